using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Proxy;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

/// <summary>The UDP client against a raw socket playing the tracker, to send exactly the datagrams a test needs.</summary>
public class UdpTrackerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TrackerClientOptions Options = new()
    {
        UdpRetransmitSchedule = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)],
    };

    private static AnnounceRequest Request => new(BinaryHash, Peer('a'), 7001, 0, 0, 10, AnnounceEvent.Started);

    private static int TransactionId(byte[] request) => BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(12));

    [Fact]
    public async Task Announce_DatagramsWithWrongTransactionIdOrFromAnotherAddress_AreIgnored()
    {
        using var tracker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var impostor = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)tracker.Client.LocalEndPoint!).Port;
        var client = new UdpTracker($"udp://127.0.0.1:{port}/announce", Options);
        var announce = client.AnnounceAsync(Request, Ct);

        var connect = await tracker.ReceiveAsync(Ct);
        var tid = TransactionId(connect.Buffer);
        await tracker.SendAsync(UdpTrackerMessages.ConnectResponse(tid + 1, 111), connect.RemoteEndPoint, Ct);        // wrong transaction id
        await impostor.SendAsync(UdpTrackerMessages.ConnectResponse(tid, 222), connect.RemoteEndPoint, Ct);          // right id, wrong sender
        await tracker.SendAsync(UdpTrackerMessages.ErrorResponse(tid + 1, "not yours"), connect.RemoteEndPoint, Ct); // an error for someone else
        await tracker.SendAsync(UdpTrackerMessages.ConnectResponse(tid, 333), connect.RemoteEndPoint, Ct);

        var request = await tracker.ReceiveAsync(Ct);
        Assert.Equal(333, BinaryPrimitives.ReadInt64BigEndian(request.Buffer)); // only the genuine connection id is used
        var answer = UdpTrackerMessages.AnnounceResponse(TransactionId(request.Buffer), 60, 0, 1,
            [new IPEndPoint(IPAddress.Loopback, 9)], AddressFamily.InterNetwork);
        await tracker.SendAsync(answer, request.RemoteEndPoint, Ct);

        Assert.Equal("127.0.0.1:9", Assert.Single((await announce).Peers).ToString());
    }

    [Fact]
    public async Task Announce_Twice_ReusesTheConnectionIdWithinAMinute()
    {
        using var tracker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)tracker.Client.LocalEndPoint!).Port;
        var client = new UdpTracker($"udp://127.0.0.1:{port}/announce", Options);
        var actions = new List<int>();
        var play = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var received = await tracker.ReceiveAsync(Ct);
                var action = BinaryPrimitives.ReadInt32BigEndian(received.Buffer.AsSpan(8));
                actions.Add(action);
                var answer = action == UdpTrackerMessages.ActionConnect
                    ? UdpTrackerMessages.ConnectResponse(TransactionId(received.Buffer), 77)
                    : UdpTrackerMessages.AnnounceResponse(TransactionId(received.Buffer), 60, 0, 0, [], AddressFamily.InterNetwork);
                await tracker.SendAsync(answer, received.RemoteEndPoint, Ct);
            }
        }, Ct);
        await client.AnnounceAsync(Request, Ct);
        await client.AnnounceAsync(Request, Ct);
        await play;
        Assert.Equal([UdpTrackerMessages.ActionConnect, UdpTrackerMessages.ActionAnnounce, UdpTrackerMessages.ActionAnnounce], actions);
    }

    [Fact]
    public async Task Announce_ErrorAction_CarriesTheTrackersText()
    {
        using var tracker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)tracker.Client.LocalEndPoint!).Port;
        var announce = new UdpTracker($"udp://127.0.0.1:{port}/announce", Options).AnnounceAsync(Request, Ct);
        var connect = await tracker.ReceiveAsync(Ct);
        await tracker.SendAsync(UdpTrackerMessages.ErrorResponse(TransactionId(connect.Buffer), "go away"), connect.RemoteEndPoint, Ct);
        var error = await Assert.ThrowsAsync<TrackerException>(() => announce);
        Assert.Equal("go away", error.FailureReason);
    }

    [Fact]
    public async Task Announce_Silence_RetransmitsOncePerScheduleStepThenFails()
    {
        using var tracker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)tracker.Client.LocalEndPoint!).Port;
        var options = new TrackerClientOptions { UdpRetransmitSchedule = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)] };
        var error = await Assert.ThrowsAsync<TrackerException>(() => new UdpTracker($"udp://127.0.0.1:{port}/announce", options).AnnounceAsync(Request, Ct));
        Assert.Contains("after 3 attempt(s)", error.Message);
        var connects = 0;
        while (tracker.Available > 0) { await tracker.ReceiveAsync(Ct); connects++; }
        Assert.Equal(3, connects);
    }

    [Fact]
    public async Task Announce_ThroughAProxyOnly_GivesTheTrackersNameToTheRelay_AndNeverAsksTheLocalResolver()
    {
        using var relay = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)); // the proxy's relay, and the tracker behind it
        await using var proxy = new FakeSocks5Server((IPEndPoint)relay.Client.LocalEndPoint!);
        var beneath = new RecordingNetwork();
        var network = new Socks5Network(beneath, new Socks5Proxy("127.0.0.1", proxy.EndPoint.Port) { Only = true });
        var options = new TrackerClientOptions { UdpRetransmitSchedule = [TimeSpan.FromSeconds(30)], Dialer = new HostDialer(network) };
        using var client = new UdpTracker("udp://tracker.example:6969/announce", options);
        var trackerAddress = IPEndPoint.Parse("203.0.113.9:6969"); // where the proxy found it: the relay names the sender
        var announce = client.AnnounceAsync(Request, Ct);

        var connect = await ReceiveRelayedAsync(relay, announce);
        await relay.SendAsync(Socks5Messages.UdpDatagram(trackerAddress, UdpTrackerMessages.ConnectResponse(TransactionId(connect.Data), 77)), connect.From, Ct);
        var request = await ReceiveRelayedAsync(relay, announce);
        var answer = UdpTrackerMessages.AnnounceResponse(TransactionId(request.Data), 60, 0, 1, [IPEndPoint.Parse("198.51.100.5:51413")], AddressFamily.InterNetwork);
        await relay.SendAsync(Socks5Messages.UdpDatagram(trackerAddress, answer), request.From, Ct);

        Assert.Equal("198.51.100.5:51413", Assert.Single((await announce).Peers).ToString());
        Assert.Equal(77, BinaryPrimitives.ReadInt64BigEndian(request.Data)); // the connection id the relayed answer gave
        Assert.Empty(beneath.Resolved);
    }

    /// <summary>Reads one datagram at the relay: it names the tracker by its host name (ATYP 3), and carries the request.
    /// An announce that ends first (it failed without sending) fails the test with its own error.</summary>
    private static async Task<(byte[] Data, IPEndPoint From)> ReceiveRelayedAsync(UdpClient relay, Task announce)
    {
        var receiving = relay.ReceiveAsync(Ct).AsTask();
        if (await Task.WhenAny(receiving, announce) != receiving)
        {
            await announce;
            Assert.Fail("the announce ended before the relay heard from it");
        }
        var received = await receiving;
        var relayed = Socks5Messages.ReadUdpDatagram(received.Buffer);
        Assert.NotNull(relayed);
        Assert.Equal(((IPEndPoint?)null, "tracker.example", 6969), (relayed.Value.Remote, relayed.Value.Host, relayed.Value.Port));
        return (relayed.Value.Data.ToArray(), received.RemoteEndPoint);
    }
}
