using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Tracker.Server;

/// <summary>The tracker's UDP side under load, spoken to in raw BEP 15 datagrams: many announcers at once, a flood of
/// connects, a flood of malformed datagrams, and connection ids tied to an address and two minutes.</summary>
public class UdpTrackerEndpointTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2024, 1, 1, 0, 0, 30, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InfoHash Hash(int torrent) => new(Enumerable.Range(0, 20).Select(b => (byte)(b * 13 + torrent)).ToArray());

    private static PeerId PeerOf(int torrent, int peer) => new(System.Text.Encoding.ASCII.GetBytes($"-TZ0100-{torrent:D6}{peer:D6}"));

    private static UdpClient Client(string address = "127.0.0.1") => new(new IPEndPoint(IPAddress.Parse(address), 0));

    private static async Task<byte[]> AskAsync(UdpClient client, int port, byte[] request)
    {
        await client.SendAsync(request, new IPEndPoint(IPAddress.Loopback, port), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return (await client.ReceiveAsync(timeout.Token)).Buffer;
    }

    private static async Task<long> ConnectAsync(UdpClient client, int port, int transactionId = 1)
    {
        var answer = await AskAsync(client, port, UdpTrackerMessages.ConnectRequest(transactionId));
        Assert.Equal((UdpTrackerMessages.ActionConnect, transactionId), (BinaryPrimitives.ReadInt32BigEndian(answer), BinaryPrimitives.ReadInt32BigEndian(answer.AsSpan(4))));
        return UdpTrackerMessages.ReadConnectResponse(answer);
    }

    private static byte[] Announce(long connectionId, int transactionId, InfoHash hash, PeerId peer, int port, long left = 100) =>
        UdpTrackerMessages.AnnounceRequest(connectionId, transactionId, new AnnounceRequest(hash, peer, port, 0, 0, left, AnnounceEvent.Started));

    [Fact]
    public async Task ManyConcurrentAnnouncers_EachAnswerCarriesItsTransactionIdAndTheRightSwarm()
    {
        const int Torrents = 8, PeersEach = 25;   // 200 announcers, each from its own socket, all at once
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);

        await Task.WhenAll(Enumerable.Range(0, Torrents * PeersEach).Select(async n =>
        {
            var (torrent, peer) = (n % Torrents, n / Torrents);
            using var client = Client();
            var id = await ConnectAsync(client, server.Port, n);
            var left = peer % 5 == 0 ? 0 : 100;   // every fifth peer is a seeder
            var answer = await AskAsync(client, server.Port, Announce(id, 1_000_000 + n, Hash(torrent), PeerOf(torrent, peer), 10_000 + n, left));
            Assert.Equal(UdpTrackerMessages.ActionAnnounce, BinaryPrimitives.ReadInt32BigEndian(answer));
            Assert.Equal(1_000_000 + n, BinaryPrimitives.ReadInt32BigEndian(answer.AsSpan(4)));
            // The peers listed are peers of this torrent only (ports 10_000 + n with n % Torrents == torrent).
            var peers = UdpTrackerMessages.ReadAnnounceResponse(answer, AddressFamily.InterNetwork).Peers;
            Assert.All(peers, p => Assert.Equal(torrent, (p.Port - 10_000) % Torrents));
        }));

        using var last = Client();
        var lastId = await ConnectAsync(last, server.Port);
        for (var torrent = 0; torrent < Torrents; torrent++)
        {
            var answer = UdpTrackerMessages.ReadAnnounceResponse(
                await AskAsync(last, server.Port, Announce(lastId, torrent, Hash(torrent), PeerOf(torrent, 999), 9_000)), AddressFamily.InterNetwork);
            Assert.Equal(Enumerable.Range(0, PeersEach).Select(peer => 10_000 + peer * Torrents + torrent), answer.Peers.Select(p => p.Port).Order());
            Assert.Equal((5, PeersEach - 5 + 1), (answer.Complete!.Value, answer.Incomplete!.Value)); // seeders; leechers with the asker
        }
    }

    [Fact]
    public async Task FloodOfMalformedDatagrams_GoodAnnouncesAreStillAnswered()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        using var attacker = Client();
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);
        var random = new Random(37);
        byte[][] malformed =
        [
            [1, 2, 3],                                                                        // shorter than the 16-byte header
            UdpTrackerMessages.ConnectRequest(5).Select((b, i) => i == 0 ? (byte)0x99 : b).ToArray(), // wrong protocol id
            Announce(12345, 6, Hash(0), PeerOf(0, 0), 7000),                                 // a connection id never issued
            UdpTrackerMessages.AnnounceRequest(0, 7, new AnnounceRequest(Hash(0), PeerOf(0, 0), 7000, 0, 0, 0))[..60], // cut short
            [.. UdpTrackerMessages.ConnectRequest(8)[..8], 0, 0, 0, 9, 0, 0, 0, 8],           // an action BEP 15 does not define
        ];
        using var good = Client();
        var answered = 0;
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 250; i++)
            {
                var datagram = i % 6 == 5 ? RandomBytes(random) : malformed[i % malformed.Length];
                await attacker.SendAsync(datagram, target, Ct);
            }
            var id = await ConnectAsync(good, server.Port, round);
            var answer = await AskAsync(good, server.Port, Announce(id, 500 + round, Hash(1), PeerOf(1, round), 8000 + round));
            Assert.Equal((UdpTrackerMessages.ActionAnnounce, 500 + round), (BinaryPrimitives.ReadInt32BigEndian(answer), BinaryPrimitives.ReadInt32BigEndian(answer.AsSpan(4))));
            Assert.Equal(round, UdpTrackerMessages.ReadAnnounceResponse(answer, AddressFamily.InterNetwork).Peers.Count);
            answered++;
        }
        Assert.Equal(20, answered);
        Assert.Equal(20, server.GetSwarm(Hash(1)).Peers.Count);
        Assert.Empty(server.GetSwarm(Hash(0)).Peers);   // nothing malformed was recorded

        static byte[] RandomBytes(Random random)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            return bytes;
        }
    }

    [Fact]
    public async Task FloodOfConnects_ConnectionIdsStillWork()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        using var client = Client();
        long last = 0;
        for (var burst = 0; burst < 120; burst++)   // 12,000 connects, more than any table of issued ids would hold
        {
            for (var i = 0; i < 100; i++) await client.SendAsync(UdpTrackerMessages.ConnectRequest(i), new IPEndPoint(IPAddress.Loopback, server.Port), Ct);
            for (var i = 0; i < 100; i++) last = UdpTrackerMessages.ReadConnectResponse((await client.ReceiveAsync(Ct)).Buffer);
        }
        var answer = await AskAsync(client, server.Port, Announce(last, 77, Hash(2), PeerOf(2, 0), 7000));
        Assert.Equal(UdpTrackerMessages.ActionAnnounce, BinaryPrimitives.ReadInt32BigEndian(answer));
    }

    [Fact]
    public async Task ConnectionId_AcceptedForTwoMinutesFromItsAddressOnly()
    {
        var time = new ManualTime();
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Time = time }, Ct);
        using var client = Client();
        using var other = Client("127.0.0.2");   // all of 127.0.0.0/8 is loopback on Linux
        var id = await ConnectAsync(client, server.Port);

        var fromElsewhere = await AskAsync(other, server.Port, Announce(id, 1, Hash(3), PeerOf(3, 0), 7000));
        time.Now += TimeSpan.FromMinutes(2);
        var afterTwoMinutes = await AskAsync(client, server.Port, Announce(id, 2, Hash(3), PeerOf(3, 1), 7001));
        time.Now += TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1);
        var afterThree = await AskAsync(client, server.Port, Announce(id, 3, Hash(3), PeerOf(3, 2), 7002));

        Assert.Equal("unknown connection id", UdpTrackerMessages.ReadErrorMessage(fromElsewhere));
        Assert.Equal(UdpTrackerMessages.ActionAnnounce, BinaryPrimitives.ReadInt32BigEndian(afterTwoMinutes));
        Assert.Equal("unknown connection id", UdpTrackerMessages.ReadErrorMessage(afterThree));
    }

    [Fact]
    public async Task ConnectWithTheWrongMagic_GetsNoAnswer()
    {
        // Issue 53: 16 bytes with a wrong magic drew a 71-byte error, a reflection x4.4 for a forged source.
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        using var client = Client();
        var wrongMagic = UdpTrackerMessages.ConnectRequest(5);
        wrongMagic[0] ^= 0x99;
        await client.SendAsync(wrongMagic, new IPEndPoint(IPAddress.Loopback, server.Port), Ct);

        // The answer to the next, honest connect is the first datagram back: the wrong one got none.
        Assert.NotEqual(0, await ConnectAsync(client, server.Port, transactionId: 6));
    }

    [Theory]
    [InlineData(16)]   // the bare header: an answer would outweigh it
    [InlineData(28)]   // one byte short of the 29-byte answer
    public async Task UnknownConnectionId_InADatagramShorterThanTheError_GetsNoAnswer(int length)
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        using var client = Client();
        var forged = new byte[length];
        BinaryPrimitives.WriteInt64BigEndian(forged, 0x1234);                                      // no id we gave
        BinaryPrimitives.WriteInt32BigEndian(forged.AsSpan(8), UdpTrackerMessages.ActionAnnounce);
        BinaryPrimitives.WriteInt32BigEndian(forged.AsSpan(12), 5);
        await client.SendAsync(forged, new IPEndPoint(IPAddress.Loopback, server.Port), Ct);

        Assert.NotEqual(0, await ConnectAsync(client, server.Port, transactionId: 6)); // first back: the connect's answer
    }

    [Fact]
    public async Task UnknownConnectionId_InAnAnnounce_GetsAnErrorNoLongerThanTheRequest()
    {
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        using var client = Client();
        var request = Announce(0x1234, 9, Hash(4), PeerOf(4, 0), 7000);

        var answer = await AskAsync(client, server.Port, request);

        Assert.Equal("unknown connection id", UdpTrackerMessages.ReadErrorMessage(answer));
        Assert.True(answer.Length <= request.Length, $"{answer.Length} bytes answered to {request.Length}");
    }
}
