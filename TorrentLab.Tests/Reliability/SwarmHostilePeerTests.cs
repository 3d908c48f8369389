using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Pieces;
using TorrentLab.Reference;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>Hostile peers against the default swarm engine (<see cref="SwarmDownload"/>), the one users run: poisoners
/// beside honest seeders, a junk flooder, an impostor claiming a connected peer's id. The download completes with
/// identical data, honest peers are never banned, and the attacker gains nothing.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class SwarmHostilePeerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 8 pieces of 4 blocks: pieces get blocks from several peers at once, as in the attack reported.
    private static TestTorrents.Built Torrent() => TestTorrents.SingleFile(length: 8 * 65536, pieceLength: 65536, name: "swarm.bin", seed: 21);

    private static DownloadOptions Options(string output, ConcurrentQueue<string> log, params IPEndPoint[] peers) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
            ConnectTimeout = TimeSpan.FromSeconds(2),
            HandshakeTimeout = TimeSpan.FromSeconds(2),
            IdleTimeout = TimeSpan.FromSeconds(5),
        },
        OutputDirectory = output,
        MaxPeers = 10,
        Trackers = [],
        ExtraPeers = peers,
        StallTimeout = TimeSpan.FromSeconds(20),
        Log = log.Enqueue,
    };

    /// <summary>Pushes junk <c>piece</c> messages for every block of every piece, asked or not, as fast as it can.</summary>
    private static Task PushUnrequestedJunk(HostileSession s)
    {
        return Run();
        async Task Run()
        {
            await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
            await s.SendAsync(PeerMessage.Unchoke);
            var junk = new byte[16384];
            for (var round = 0; round < 200 && !s.Ct.IsCancellationRequested; round++)
            for (var index = 0; index < s.PieceCount; index++)
            for (var begin = 0; begin < s.Built.Torrent.PieceLength; begin += 16384)
                await s.SendAsync(PeerMessage.Piece(index, begin, junk));
        }
    }

    /// <summary>Answers every request it gets with junk of the right size.</summary>
    private static async Task AnswerWithJunk(HostileSession s)
    {
        await s.SendAsync(PeerMessage.BitfieldOf(Bitfield.Full(s.PieceCount)));
        while (true)
        {
            var m = await s.ReceiveAsync();
            if (m.Kind == MessageKind.Interested) await s.SendAsync(PeerMessage.Unchoke);
            if (m.Kind == MessageKind.Request) await s.SendAsync(PeerMessage.Piece(m.Index, m.Begin, new byte[m.Length]));
        }
    }

    [Theory]
    [InlineData("pushes unrequested junk for every block")]
    [InlineData("answers its requests with junk")]
    public async Task PoisonerBesideThreeHonestSeeders_CompletesAndNoHonestSeederIsBanned(string scenario)
    {
        var built = Torrent();
        var runs = ReliabilityMode.Count(2, 6);
        var survived = 0;
        var figures = "";
        for (var run = 0; run < runs; run++)
        {
            using var folder = new TempFolder("torrentlab-swarm-hostile");
            // The honest seeders are slowed a little, so the poisoner's blocks would land in the same pieces as theirs.
            var honest = Enumerable.Range(0, 3).Select(_ => SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
                { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(5) })).ToList();
            await using var poisoner = HostilePeer.Start(built, scenario.StartsWith("pushes", StringComparison.Ordinal) ? PushUnrequestedJunk : AnswerWithJunk);
            var log = new ConcurrentQueue<string>();
            DownloadResult result;
            try
            {
                IPEndPoint[] peers = [poisoner.EndPoint, .. honest.Select(h => h.EndPoint)];
                result = await TorrentClient.DownloadAsync(built.Torrent, Options(folder.Path, log, peers), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            }
            finally
            {
                foreach (var h in honest) await h.DisposeAsync();
            }

            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(folder.Combine("swarm.bin"))));
            foreach (var h in honest)
                Assert.DoesNotContain(result.BadPeers, b => b.StartsWith(h.EndPoint.ToString() + ":", StringComparison.Ordinal));
            Assert.DoesNotContain(poisoner.EndPoint.ToString(), result.PeersUsed);
            // A poisoner that answers requests with junk is banned when its junk lands in a piece; on a fast machine the
            // honest seeders may fill every piece first, so the ban is reported in the figures, not required. What must
            // always hold is asserted above: identical data, no honest seeder banned, the poisoner never credited.
            if (scenario.StartsWith("pushes", StringComparison.Ordinal))
                Assert.True(poisoner.DroppedByDownloader || result.BadPeers.Count > 0, "the junk pusher was neither dropped nor banned");
            // Unasked junk never counts as received, only what was asked for: each block fetched at most twice (once more
            // when junk spoiled its piece, before the poisoner is proven to have lied), each fetch with up to three endgame
            // copies from the other peers. Exactly four copies of every block is a legitimate endgame (seen once under
            // load); the flood counted would be 200 rounds of the torrent (the report: 116 MB "received" for 8 MiB).
            var mostCounted = 2 * (1 + new PieceManagerOptions().EndgameMaxRequestsPerBlock) * built.Torrent.TotalLength;
            Assert.True(result.Downloaded <= mostCounted, $"received {result.Downloaded} bytes for {built.Torrent.TotalLength}");
            survived++;
            figures = $"poisoner sent {poisoner.BytesSent} bytes; counted as received {result.Downloaded} of {built.Torrent.TotalLength}; " +
                      $"bad peers: {(result.BadPeers.Count == 0 ? "none" : string.Join("; ", result.BadPeers))}";
        }
        ReliabilityReport.Add(new ReliabilityRow("hostile peer (swarm)", $"3 honest seeders + poisoner that {scenario}", runs, survived, "none", figures));
    }

    [Fact]
    public async Task ImpostorClaimingAConnectedSeedersId_IsRefusedAndTheSeederKeepsServing()
    {
        var built = Torrent();
        using var folder = new TempFolder("torrentlab-swarm-hostile");
        // The seeder's id sorts below ours: the old tie-break would have kept the impostor's (incoming) connection.
        var seederId = new PeerId(Enumerable.Repeat((byte)0x01, PeerId.Length).ToArray());
        var ours = new PeerId(Enumerable.Repeat((byte)0xFE, PeerId.Length).ToArray());
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
            { PeerId = seederId, Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(40) });
        var port = FreePort();
        var log = new ConcurrentQueue<string>();
        var options = Options(folder.Path, log, seeder.EndPoint).WithSession(s => s with { ListenPort = port, PeerId = ours });

        // The impostor comes once the seeder has delivered a piece: until a peer speaks, a second connection from its
        // address with its id is indistinguishable from both sides dialling each other at once, which the tie-break
        // settles by peer id (Register); an impostor that races the real handshake is that case, not this one.
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new FirstPiece(delivered);
        var download = TorrentClient.DownloadAsync(built.Torrent, options, progress, Ct);
        await Task.WhenAny(delivered.Task, download).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.True(delivered.Task.IsCompleted, "the seeder never delivered a piece");
        using var impostor = await HostileClient.ConnectAsync(port, Ct);
        await impostor.SendAsync(new Handshake(built.Torrent.InfoHash, seederId).ToBytes(), Ct);
        var closed = await impostor.WaitForCloseAsync(TimeSpan.FromSeconds(10), Ct);
        var result = await download.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(closed, "the impostor's connection stayed open");
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("swarm.bin")));
        Assert.Equal([seeder.EndPoint.ToString()], result.PeersUsed);
        Assert.DoesNotContain(log, l => l.Contains("replaced", StringComparison.Ordinal));
        // The refusal's wording depends on how far the impostor's handshake got before the close ("already connected",
        // or the listener closing a duplicate); what matters is asserted above: closed, nothing replaced, the seeder kept.
        ReliabilityReport.Add(new ReliabilityRow("hostile peer (swarm)", "impostor handshakes with a connected seeder's peer id", 1, 1, "none",
            "impostor refused ('already connected'); the seeder's connection kept serving to the end"));
    }

    /// <summary>Completes <paramref name="delivered"/> at the first verified piece.</summary>
    private sealed class FirstPiece(TaskCompletionSource delivered) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            if (value.PiecesDone > 0) delivered.TrySetResult();
        }
    }

    // Hostile scripts that end their connection in different ways; each ending must reach the log with its reason.
    public static TheoryData<string> Endings => ["hangs up after the handshake", "sends a 2 GiB length prefix",
        "sends a bitfield of the wrong length", "asks for a piece that does not exist", "answers its requests with junk", "stays silent"];

    private static Func<HostileSession, Task> Script(string ending) => ending switch
    {
        "hangs up after the handshake" => s => { s.Dispose(); return Task.CompletedTask; },
        "sends a 2 GiB length prefix" => s => s.SendAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff, 7 }),
        "sends a bitfield of the wrong length" => s => s.SendAsync(HostileSession.Frame(5, new byte[s.PieceCount / 8 + 5])),
        "asks for a piece that does not exist" => s => s.SendAsync(PeerMessage.Request(9_999, 0, 16384)),
        "answers its requests with junk" => AnswerWithJunk,
        _ => _ => Task.CompletedTask,
    };

    [Fact]
    public async Task EveryPeerThatEnds_EndsWithAReasonInTheLog()
    {
        var built = Torrent();
        using var folder = new TempFolder("torrentlab-swarm-hostile");
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
            { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(5) });
        var hostile = Endings.Select(row => (Ending: (string)row.Data, Peer: HostilePeer.Start(built, Script((string)row.Data)))).ToList();
        var log = new ConcurrentQueue<string>();
        try
        {
            IPEndPoint[] peers = [.. hostile.Select(h => h.Peer.EndPoint), seeder.EndPoint];
            await TorrentClient.DownloadAsync(built.Torrent, Options(folder.Path, log, peers), null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
        finally
        {
            foreach (var h in hostile) await h.Peer.DisposeAsync();
        }

        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("swarm.bin")));
        // No ending without a reason: every disconnect names one, every ban too.
        Assert.All(log.Where(l => l.Contains(": disconnected", StringComparison.Ordinal)),
            l => Assert.Matches(@": disconnected \(\S.*\)$", l));
        Assert.All(log.Where(l => l.StartsWith("banned ", StringComparison.Ordinal)), l => Assert.Matches(@"^banned [^ ]+: \S", l));
        var reasons = new List<string>();
        foreach (var (ending, peer) in hostile)
        {
            var address = peer.EndPoint.ToString();
            var ended = log.FirstOrDefault(l => l.StartsWith($"peer {address}: disconnected (", StringComparison.Ordinal)
                                                || l.StartsWith($"banned {address}: ", StringComparison.Ordinal));
            Assert.True(ended is not null, $"the peer that {ending} has no ending in the log:\n{string.Join('\n', log)}");
            reasons.Add($"{ending}: {ended![(ended.IndexOf(address, StringComparison.Ordinal) + address.Length)..].TrimStart(':', ' ')}");
        }
        ReliabilityReport.Add(new ReliabilityRow("hostile peer (swarm)", "six peers ending in six ways beside an honest seeder",
            hostile.Count, hostile.Count, "none", string.Join("; ", reasons)));
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
