using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The session's blocklist on loopback, where 127.0.0.x are distinct hosts: a peer at 127.0.0.5, inside the
/// blocked range, is never dialled and its connections are closed at accept; its neighbour at 127.0.0.6, just outside,
/// is dialled and answered.</summary>
[Trait("Tier", "Slow")]
public class SessionBlocklistTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly IPAddress Blocked = IPAddress.Parse("127.0.0.5");
    private static readonly IPAddress Neighbour = IPAddress.Parse("127.0.0.6");

    /// <summary>127.0.0.5 alone, in the P2P format.</summary>
    private static IpBlocklist BlockingFive()
    {
        var list = new IpBlocklist();
        list.Load(new MemoryStream(Encoding.ASCII.GetBytes("test peer:127.0.0.5-127.0.0.5\n")));
        return list;
    }

    private static SessionSettings On(IPAddress address, IpBlocklist? blocklist = null, PeerTransport transport = PeerTransport.Tcp) => new()
    {
        ListenPort = 0,
        BindAddresses = [address],
        Transport = transport,
        Dht = false,
        DhtBootstrap = [],
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
        Blocklist = blocklist,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the control: without the list the same address is dialled, so the test can fail
    public async Task ADownload_NeverDialsAPeerInsideTheBlockedRange_AndGetsItsDataFromTheNeighbourJustOutside(bool blocking)
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 1_500_000, announce: null, seed: 52);
        built.WritePayload(folder.Combine("data"));
        // The blocked "peer" is a bare listener: the kernel completes any dial to it, accepted or not, so a dial shows.
        using var blockedPeer = new TcpListener(Blocked, 0);
        blockedPeer.Start();
        await using var neighbourSession = Session.Start(On(Neighbour));
        await using var neighbour = await Seeder.StartAsync(neighbourSession, built.Torrent,
            new DownloadOptions { OutputDirectory = folder.Combine("data") }, allowPartial: false, Ct);
        var options = new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [(IPEndPoint)blockedPeer.LocalEndpoint, new IPEndPoint(Neighbour, neighbourSession.Port)],
            StallTimeout = Patience,
            Session = On(IPAddress.Loopback, blocking ? BlockingFive() : null),
        };

        await TorrentClient.DownloadAsync(built.Torrent, options, null, Ct).WaitAsync(Patience, Ct);

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("out", built.Torrent.Name)));
        if (blocking) Assert.False(blockedPeer.Pending(), "the blocked address was dialled");
        else await WaitUntil(blockedPeer.Pending, "the address is dialled when nothing blocks it");
    }

    [Theory]
    [InlineData(PeerTransport.Tcp)]
    [InlineData(PeerTransport.Utp)]
    public async Task AConnectionFromInsideTheBlockedRange_IsClosedAtAcceptWithoutAByte_AndTheNeighbourIsAnswered(PeerTransport transport)
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null, seed: 53);
        built.WritePayload(folder.Path);
        await using var session = Session.Start(On(IPAddress.Loopback, BlockingFive(), transport));
        await using var seeder = await Seeder.StartAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = folder.Path },
            allowPartial: false, Ct);
        var handshake = new Handshake(built.Torrent.InfoHash, PeerId.CreateOurs(), 0).ToBytes();
        var target = new IPEndPoint(IPAddress.Loopback, session.Port);

        var fromBlocked = await ExchangeAsync(transport, Blocked, target, handshake);
        var fromNeighbour = await ExchangeAsync(transport, Neighbour, target, handshake);

        Assert.Equal(0, fromBlocked);                        // closed before a byte of the handshake was answered
        Assert.Equal(Handshake.Length, fromNeighbour);       // answered with the session's handshake
        Assert.Equal(1, session.BlockedConnections);
        Assert.Equal(0, session.RefusedHandshakes);          // the blocked one never got as far as a handshake
    }

    /// <summary>Connects from <paramref name="from"/>, sends <paramref name="handshake"/> and reads until the answer's
    /// length or the end of the connection; returns the bytes read.</summary>
    private static async Task<int> ExchangeAsync(PeerTransport transport, IPAddress from, IPEndPoint target, byte[] handshake)
    {
        var buffer = new byte[Handshake.Length];
        if (transport == PeerTransport.Tcp)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(target, Ct);
            await using var stream = new NetworkStream(socket);
            return await SendAndReadAsync(stream, handshake, buffer);
        }
        await using var utp = UtpSocket.Bind(new IPEndPoint(from, 0));
        await using var connection = await utp.ConnectAsync(target, Ct).WaitAsync(Patience, Ct);
        return await SendAndReadAsync(connection, handshake, buffer);
    }

    private static async Task<int> SendAndReadAsync(Stream stream, byte[] handshake, byte[] buffer)
    {
        var total = 0;
        try
        {
            await stream.WriteAsync(handshake, Ct);
            while (total < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(total), Ct).AsTask().WaitAsync(Patience, Ct);
                if (read == 0) break;
                total += read;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or UtpException) { } // reset: closed too
        return total;
    }

    private static Task WaitUntil(Func<bool> condition, string what) => Wait.UntilAsync(condition, Patience, $"never happened: {what}", Ct);
}
