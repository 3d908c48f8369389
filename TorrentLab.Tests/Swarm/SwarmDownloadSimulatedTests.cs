using TorrentLab.Client;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Simulation;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary><c>Swarm/SwarmDownload.cs</c> against bad and slow peers on the simulated network: the lab's synthetic
/// seeders (<see cref="SyntheticPeer"/>, the same code that grades students on real sockets) each on a host of its
/// own, the download on another, one virtual clock. What these tests check is the engine's request timeout, stall
/// timeout and bans, which on real sockets cost their seconds of wall time each and raced the machine's load.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class SwarmDownloadSimulatedTests
{
    [Fact]
    public void RunAsync_TwentyOneMixedPeers_WritesEveryFileRightAndBansTheBadOnes() =>
        Simulated.Deterministic(TwentyOneMixedPeers, seed: 21);

    [Fact]
    public void RunAsync_PeerThatSkipsRequestsForPiecesItClaims_IsBannedAndTheSlowHonestPeerFinishes() =>
        Simulated.Deterministic(PeerThatSkipsRequests, seed: 22);

    [Fact]
    public void RunAsync_NoHonestPeer_ThrowsDownloadFailedExceptionNamingTheBannedPeers_OnceTheStallTimeoutHasPassed_NotBefore() =>
        Simulated.Deterministic(NoHonestPeer, seed: 23);

    [Fact]
    public void RunAsync_OnlyACorruptPeer_ProgressPieceMapShowsTheFailedPieces() =>
        Simulated.Deterministic(OnlyACorruptPeer, seed: 24);

    /// <summary>The mock swarm's multi-file torrent, no tracker.</summary>
    private static TestTorrents.Built Torrent(int totalBytes, int pieceLength) => MockSwarm.ThreeFiles(totalBytes, pieceLength, announce: null);

    private static SyntheticPeerOptions CorruptEverything(SyntheticPeerOptions options)
    {
        var honest = options.Payload;
        return options with { Payload = (offset, destination) => { honest(offset, destination); destination[0] ^= 0xFF; } };
    }

    internal static async Task TwentyOneMixedPeers(SimRun sim)
    {
        await using var swarm = new SimulatedSwarm(sim, Torrent(3 << 20, 32 * 1024));
        // The bad peers come first, so they are dialled first. Two protocol violators give themselves away in their
        // first messages (a have out of range, a wrong info hash) and are always banned. Two others show only when asked
        // for a block (the oversized length prefix comes as the answer to a request, the corrupt data too): whether they
        // are asked before four fast honest peers finish is the dialler's and picker's business (their bans are tested
        // alone, in NoHonestPeer and the sole-sender test below), but their data never reaches a piece.
        var corrupt = swarm.Add(SyntheticBehaviour.Normal, CorruptEverything);
        var oversized = swarm.Add(SyntheticBehaviour.OversizedLength);
        var outOfRange = swarm.Add(SyntheticBehaviour.HaveOutOfRange);
        var wrongHash = swarm.Add(SyntheticBehaviour.WrongInfoHash);
        var bad = new[] { outOfRange, wrongHash };
        foreach (var (behaviour, count) in new[]
        {
            (SyntheticBehaviour.Normal, 4), (SyntheticBehaviour.Slow, 5), (SyntheticBehaviour.NeverUnchokes, 2),
            (SyntheticBehaviour.ChokesMidPiece, 2), (SyntheticBehaviour.DisconnectsAfterBlocks, 2), (SyntheticBehaviour.LiesInBitfield, 2),
        })
            for (var i = 0; i < count; i++) swarm.Add(behaviour);

        // No tracker on the simulated network: the seventeen others are given after the four bad ones (on real sockets
        // they came from a tracker, and so after the given ones too).
        var result = await TorrentClient.DownloadAsync(swarm.Built.Torrent,
            swarm.Options() with { ExtraPeers = [.. swarm.Peers.Select(p => p.EndPoint)] }, null, CancellationToken.None);

        swarm.AssertFiles();
        foreach (var peer in bad)
            Assert.True(result.BadPeers.Any(b => b.StartsWith(peer.EndPoint + ":", StringComparison.Ordinal)),
                $"{peer} is not among the bad peers: {string.Join(" | ", result.BadPeers)}");
        Assert.NotEmpty(result.PeersUsed);
        Assert.DoesNotContain(corrupt.EndPoint.ToString(), result.PeersUsed);
        Assert.DoesNotContain(oversized.EndPoint.ToString(), result.PeersUsed);
        Assert.Equal(0, result.PiecesFromResume);
        var expected = swarm.Built.Files.Select(f => f.Path.Replace('\\', '/'))
            .Append($".torrentlab/{swarm.Built.Torrent.InfoHash.Hex}.json")
            .Append($".torrentlab/{Session.DhtStateFile}") // the DHT routing table, saved beside the ledgers
            .Order().ToList();
        Assert.Equal(expected, MockSwarm.FilesBelow(swarm.Output));
    }

    /// <summary>A peer that claims pieces it then never sends (it ignores the requests) is banned once the request
    /// timeout has passed on them; a slow honest peer (100 ms a block) finishes the download.</summary>
    internal static async Task PeerThatSkipsRequests(SimRun sim)
    {
        await using var swarm = new SimulatedSwarm(sim, Torrent(3 << 19, 16 * 1024));
        var liar = swarm.Add(SyntheticBehaviour.LiesInBitfield, o => o with { LieReaction = LieReaction.Ignore });
        var slow = swarm.Add(SyntheticBehaviour.Slow, o => o with { SlowDelay = TimeSpan.FromMilliseconds(100) });
        var log = new List<string>();

        var result = await TorrentClient.DownloadAsync(swarm.Built.Torrent,
            swarm.Options(log.Add) with { ExtraPeers = [liar.EndPoint, slow.EndPoint], RequestTimeout = TimeSpan.FromSeconds(1) }, null,
            CancellationToken.None);

        swarm.AssertFiles();
        Assert.True(result.BadPeers.Any(b => b.StartsWith(liar.EndPoint + ":", StringComparison.Ordinal) && b.Contains("skipped", StringComparison.Ordinal)),
            string.Join("\n", log));
        Assert.Contains(slow.EndPoint.ToString(), result.PeersUsed);
    }

    /// <summary>Two peers that break the protocol and one that never unchokes: the download fails with one error naming
    /// the two banned, once its stall timeout (3 s without a block) has passed and not before.</summary>
    internal static async Task NoHonestPeer(SimRun sim)
    {
        await using var swarm = new SimulatedSwarm(sim, Torrent(256 * 1024, 16 * 1024));
        foreach (var behaviour in new[] { SyntheticBehaviour.OversizedLength, SyntheticBehaviour.HaveOutOfRange, SyntheticBehaviour.NeverUnchokes })
            swarm.Add(behaviour);
        var stall = TimeSpan.FromSeconds(3);
        var started = sim.Clock.Now;

        var error = await Assert.ThrowsAsync<DownloadFailedException>(() => TorrentClient.DownloadAsync(swarm.Built.Torrent,
            swarm.Options() with { ExtraPeers = [.. swarm.Peers.Select(p => p.EndPoint)], StallTimeout = stall }, null, CancellationToken.None));

        // The two violators are banned in their first messages; the timer first looks at the download after 1 s, the
        // stall clock starts there, and runs out 3 s later with no block from the third.
        Assert.Equal(stall + TimeSpan.FromSeconds(1), sim.Clock.Now - started);
        Assert.Contains("no peer delivered data for 3 s", error.Message);
        Assert.Contains("2 banned", error.Message);
        Assert.Contains(swarm.Peers[0].EndPoint.ToString(), error.Message);
    }

    /// <summary>A peer whose every block is corrupt: no piece passes its hash, and the progress reports show the
    /// pieces that failed before the stall timeout ends the download.</summary>
    internal static async Task OnlyACorruptPeer(SimRun sim)
    {
        await using var swarm = new SimulatedSwarm(sim, Torrent(1 << 20, 16 * 1024));
        var corrupt = swarm.Add(SyntheticBehaviour.Normal, CorruptEverything);
        var failed = 0;

        await Assert.ThrowsAsync<DownloadFailedException>(() => TorrentClient.DownloadAsync(swarm.Built.Torrent,
            swarm.Options() with { ExtraPeers = [corrupt.EndPoint], StallTimeout = TimeSpan.FromSeconds(2) },
            new Callback(p => failed = Math.Max(failed, p.Pieces?.CountOf(PieceState.Failed) ?? 0)), CancellationToken.None));

        Assert.True(failed > 0, "no progress report showed a failed piece");
    }

    private sealed class Callback(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
