using System.Net;
using System.Net.Sockets;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>One session for many torrents (<c>Swarm/Session.cs</c>): one port that routes each incoming peer to its
/// torrent by info hash, one DHT node, one peer id.</summary>
[Trait("Tier", "Slow")]
public class SessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A session on 127.0.0.1, any free port, TCP only, no DHT.</summary>
    private static SessionSettings Loopback(bool dht = false, IPEndPoint? bootstrap = null, string? dhtState = null) => new()
    {
        ListenPort = 0,
        BindAddresses = [IPAddress.Loopback],
        Transport = PeerTransport.Tcp,
        Dht = dht,
        DhtBootstrap = bootstrap is null ? [] : [bootstrap.ToString()],
        DhtStatePath = dhtState,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HandshakeTimeout = TimeSpan.FromSeconds(5),
    };

    private static DownloadOptions Torrent(string folder, params IPEndPoint[] peers) => new()
    {
        OutputDirectory = folder,
        ExtraPeers = peers,
        StallTimeout = Patience,
    };

    [Fact]
    public async Task TwoDownloads_InOneSession_RunAtOnceAndEachGetsItsOwnData()
    {
        using var folder = new TempFolder();
        var first = TestTorrents.SingleFile(length: 300_000, name: "first.bin", announce: null, seed: 11);
        var second = TestTorrents.SingleFile(length: 200_000, name: "second.bin", announce: null, seed: 12);
        await using var seederA = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(first.Torrent, first.Payload));
        await using var seederB = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(second.Torrent, second.Payload));
        await using var session = Session.Start(Loopback());
        var attached = 0;
        var progress = new Progress(() => attached = Math.Max(attached, session.TorrentCount));

        var a = TorrentClient.DownloadAsync(session, first.Torrent, Torrent(folder.Path, seederA.EndPoint), progress, Ct);
        var b = TorrentClient.DownloadAsync(session, second.Torrent, Torrent(folder.Path, seederB.EndPoint), progress, Ct);
        await Task.WhenAll(a, b).WaitAsync(Patience, Ct);

        Assert.Equal(first.Payload, File.ReadAllBytes(folder.Combine("first.bin")));
        Assert.Equal(second.Payload, File.ReadAllBytes(folder.Combine("second.bin")));
        Assert.Equal(2, attached);                 // both ran in the session at the same time
        Assert.Equal(0, session.TorrentCount);     // and left it when done
        Assert.Equal(0, session.ConnectionCount);
    }

    [Fact]
    public async Task TwoSeeders_InOneSession_ServeEachDownloaderItsOwnTorrentThroughTheOnePort()
    {
        using var folder = new TempFolder();
        var first = TestTorrents.SingleFile(length: 250_000, name: "first.bin", announce: null, seed: 21);
        var second = TestTorrents.MultiFile([("a.bin", 90_000), ("sub/b.bin", 70_000)], name: "second", announce: null, seed: 22);
        var data = folder.Combine("data");
        first.WritePayload(data);
        second.WritePayload(data);
        await using var session = Session.Start(Loopback());
        await using var seedA = await Seeder.StartAsync(session, first.Torrent, Torrent(data), allowPartial: false, Ct);
        await using var seedB = await Seeder.StartAsync(session, second.Torrent, Torrent(data), allowPartial: false, Ct);
        var port = new IPEndPoint(IPAddress.Loopback, session.Port);

        // Each downloader is a session of its own (its own port), dialling the seeders' one port.
        var a = TorrentClient.DownloadAsync(first.Torrent, Torrent(folder.Combine("a"), port) with { Session = Loopback() }, null, Ct);
        var b = TorrentClient.DownloadAsync(second.Torrent, Torrent(folder.Combine("b"), port) with { Session = Loopback() }, null, Ct);
        await Task.WhenAll(a, b).WaitAsync(Patience, Ct);

        Assert.Equal(first.Payload, File.ReadAllBytes(folder.Combine("a", "first.bin")));
        foreach (var (path, bytes) in second.Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(folder.Combine("b"), path)));
        Assert.Equal(seedA.Port, seedB.Port);
        Assert.True(seedA.Uploaded >= first.Torrent.TotalLength && seedB.Uploaded >= second.Torrent.TotalLength,
            $"uploaded {seedA.Uploaded} and {seedB.Uploaded}");
        Assert.Equal(2, session.TorrentCount);
    }

    [Fact]
    public async Task Handshake_NamingNoTorrentOfTheSession_IsRefusedWithoutAnAnswer()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null, seed: 31);
        built.WritePayload(folder.Path);
        await using var session = Session.Start(Loopback());
        await using var seeder = await Seeder.StartAsync(session, built.Torrent, Torrent(folder.Path), allowPartial: false, Ct);
        var unknown = new InfoHash(TestTorrents.Payload(20, seed: 99));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, session.Port), Ct);
        await socket.SendAsync(new Handshake(unknown, PeerId.CreateOurs(), 0).ToBytes(), Ct);
        var buffer = new byte[Handshake.Length];
        var read = await ReadAllAsync(socket, buffer).WaitAsync(Patience, Ct);

        Assert.Equal(0, read);                     // closed without our handshake: BEP 3 says drop it
        Assert.Equal(1, session.RefusedHandshakes);
        Assert.Equal(0, seeder.ConnectedPeers);
    }

    [Fact]
    public async Task Handshake_NamingOneOfTwoTorrents_ReachesThatTorrentsSwarm()
    {
        using var folder = new TempFolder();
        var first = TestTorrents.SingleFile(length: 50_000, name: "first.bin", announce: null, seed: 41);
        var second = TestTorrents.SingleFile(length: 60_000, name: "second.bin", announce: null, seed: 42);
        first.WritePayload(folder.Path);
        second.WritePayload(folder.Path);
        await using var session = Session.Start(Loopback());
        await using var seedA = await Seeder.StartAsync(session, first.Torrent, Torrent(folder.Path), allowPartial: false, Ct);
        await using var seedB = await Seeder.StartAsync(session, second.Torrent, Torrent(folder.Path), allowPartial: false, Ct);

        await using var peer = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, session.Port), second.Torrent.InfoHash,
            PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = second.Torrent.PieceCount }, Ct);
        var greeting = await peer.ReceiveAsync(Ct).AsTask().WaitAsync(Patience, Ct);

        Assert.Equal(session.PeerId, peer.RemotePeerId);
        Assert.Equal(MessageKind.Bitfield, greeting.Kind);    // the second torrent's swarm greets it with its pieces
        Assert.True(peer.PeerPieces!.IsComplete);
        await WaitUntil(() => seedB.ConnectedPeers == 1, "the second torrent's swarm counts the peer");
        Assert.Equal(0, seedA.ConnectedPeers);
    }

    [Fact]
    public async Task SameTorrentTwice_InOneSession_IsRefused()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null, seed: 51);
        built.WritePayload(folder.Path);
        await using var session = Session.Start(Loopback());
        await using var seeder = await Seeder.StartAsync(session, built.Torrent, Torrent(folder.Path), allowPartial: false, Ct);

        var error = await Assert.ThrowsAsync<SwarmException>(() => Seeder.StartAsync(session, built.Torrent, Torrent(folder.Path), allowPartial: false, Ct));

        Assert.Contains("running in this session already", error.Message);
        Assert.Equal(1, session.TorrentCount);
    }

    [Fact]
    public async Task SessionFullOfIdlePeers_MakesRoomForAnHonestDownloader_AndCountsEveryConnectionOnce()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 300_000, announce: null, seed: 55);
        built.WritePayload(folder.Combine("data"));
        await using var session = Session.Start(Loopback() with { MaxConnections = 6 });
        await using var seeder = await Seeder.StartAsync(session, built.Torrent,
            Torrent(folder.Combine("data")) with { IdlePeerGrace = TimeSpan.FromMilliseconds(500) }, allowPartial: false, Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var idle = Enumerable.Range(0, 6).Select(_ => HoldIdleAsync(session.Port, built.Torrent, stop.Token)).ToList();
        await WaitUntil(() => session.ConnectionCount == 6, "six idle peers fill the session");

        // The downloader may come before they count as idle: refused, it dials again after its back-off.
        await TorrentClient.DownloadAsync(built.Torrent, Torrent(folder.Combine("got"), new IPEndPoint(IPAddress.Loopback, session.Port))
            with { Session = Loopback() }, null, Ct).WaitAsync(Patience, Ct);
        await stop.CancelAsync();
        await Task.WhenAll(idle);

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("got", "payload.bin")));
        await WaitUntil(() => seeder.ConnectedPeers == 0 && session.ConnectionCount == 0, $"every slot given back once all left ({seeder.ConnectedPeers}, {session.ConnectionCount})");
    }

    /// <summary>A peer that handshakes, then only sends keep-alives until the test stops it.</summary>
    private static async Task HoldIdleAsync(int port, Torrent torrent, CancellationToken ct)
    {
        try
        {
            // From a host of their own: a newcomer takes only the place of a peer whose address holds more connections.
            using var client = await TorrentLab.Tests.Reliability.HostileClient.ConnectAsync(port, ct, from: IPAddress.Parse("127.0.0.2"));
            if (!await client.HandshakeAsync(torrent.InfoHash, TimeSpan.FromSeconds(5), ct)) return;
            for (var i = 0; i < 120; i++)                       // bounded: two minutes at most, the test ends far sooner
            {
                await Task.Delay(250, ct);
                if (!await client.SendAsync(new byte[4], ct)) return;   // keep-alive
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) { }
    }

    [Fact]
    public async Task OneDhtNode_ServesEveryTorrent_AndAnnouncesEachOnTheSessionPort()
    {
        using var folder = new TempFolder();
        var first = TestTorrents.SingleFile(length: 50_000, name: "first.bin", announce: null, seed: 61);
        var second = TestTorrents.SingleFile(length: 60_000, name: "second.bin", announce: null, seed: 62);
        first.WritePayload(folder.Path);
        second.WritePayload(folder.Path);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var session = Session.Start(Loopback(dht: true, bootstrap.LocalEndPoint!));
        await using var seedA = await Seeder.StartAsync(session, first.Torrent, Torrent(folder.Path), ct: Ct);
        await using var seedB = await Seeder.StartAsync(session, second.Torrent, Torrent(folder.Path), ct: Ct);
        var expected = new IPEndPoint(IPAddress.Loopback, session.Port);

        await WaitUntil(() => bootstrap.StoredPeers(first.Torrent.InfoHash).Contains(expected)
            && bootstrap.StoredPeers(second.Torrent.InfoHash).Contains(expected), "both torrents announced on the session's port");

        Assert.NotNull(seedA.DhtNode);
        Assert.Same(seedA.DhtNode, seedB.DhtNode);          // one node for both
        Assert.Equal(session.Port, seedA.DhtEndPoint!.Port); // on the peer port's UDP socket
        Assert.Equal(1, bootstrap.NodeCount);                // the bootstrap node knows one node of ours, not two
    }

    [Fact]
    public async Task MagnetLink_FetchedForASession_IsLookedUpOnTheSessionsDhtNode_NotOnANodeOfItsOwn()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 70_000, name: "linked.bin", announce: null, seed: 63);
        built.WritePayload(folder.Path);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var seeding = Session.Start(Loopback(dht: true, bootstrap.LocalEndPoint!));
        await using var seeder = await Seeder.StartAsync(seeding, built.Torrent, Torrent(folder.Path), ct: Ct);
        var seederAddress = new IPEndPoint(IPAddress.Loopback, seeding.Port);
        await WaitUntil(() => bootstrap.StoredPeers(built.Torrent.InfoHash).Contains(seederAddress), "the seeder announced");
        await using var fetching = Session.Start(Loopback(dht: true, bootstrap.LocalEndPoint!));
        await WaitUntil(() => bootstrap.NodeCount == 2, "the fetching session's node joined");
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var magnet = await TorrentClient.FetchMagnetAsync(fetching, $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}",
            new DownloadOptions { OutputDirectory = folder.Path, StallTimeout = Patience, Log = lines.Enqueue }, Ct);

        Assert.Equal(built.Torrent.InfoHash, magnet.Torrent.InfoHash);
        Assert.Equal(2, bootstrap.NodeCount);   // the two sessions' nodes: the lookup started no third one
        Assert.Contains(lines, l => l.StartsWith("dht: 1 peer(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoSessions_GivenOneStateFile_JoinTheDhtWithDifferentNodeIds()
    {
        using var folder = new TempFolder();
        var state = folder.Combine("dht.json");
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var one = Session.Start(Loopback(dht: true, bootstrap.LocalEndPoint!, state));
        await using var two = Session.Start(Loopback(dht: true, bootstrap.LocalEndPoint!, state));

        await WaitUntil(() => one.Dht is not null && two.Dht is not null, "both nodes started");

        Assert.NotEqual(one.Dht!.Id, two.Dht!.Id);
        Assert.NotEqual(one.Port, two.Port);
    }

    [Theory]
    [InlineData(8, 1, 4, 4)]     // one torrent with peers: its own limit (BEP 3's four)
    [InlineData(8, 1, 20, 8)]    // never more than the session has
    [InlineData(8, 2, 4, 4)]     // two share eight
    [InlineData(8, 3, 4, 2)]     // three: two each (eight does not split in three)
    [InlineData(8, 100, 4, 2)]   // many: never fewer than one regular and one optimistic slot
    [InlineData(20, 4, 50, 5)]
    public void UploadSlots_AreAFairShareOfTheSessions_AmongTheTorrentsWithPeers(int sessionSlots, int torrentsWithPeers, int torrentLimit, int expected)
    {
        Assert.Equal(expected, Session.FairShare(sessionSlots, torrentsWithPeers, torrentLimit));
    }

    /// <summary>Reads until the peer closes the connection or the buffer is full; returns the bytes read.</summary>
    private static async Task<int> ReadAllAsync(Socket socket, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            int read;
            try { read = await socket.ReceiveAsync(buffer.AsMemory(total), Ct); }
            catch (SocketException) { break; } // reset: closed too
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    private static Task WaitUntil(Func<bool> condition, string what) => Wait.UntilAsync(condition, Patience, $"never happened: {what}", Ct);

    private sealed class Progress(Action report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report();
    }
}
