using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Whole swarms of the unchanged engine on the simulated network: a hundred sessions, each on a host of its
/// own with its own access link, deterministic from the seed.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class SwarmSimulatedTests
{
    [Fact]
    public void HundredPeers_OneSeed_FlashCrowd_AllComplete_TheSameWayForTheSameSeed()
    {
        var run = Simulated.Deterministic(HundredPeers, seed: 100, wallLimit: TimeSpan.FromMinutes(15));
        Assert.True(run.Events > 10_000, $"only {run.Events} events");
    }

    [Fact]
    public void TenPeers_SuperSeeded_AsTheRealSwarmBenchmark_EndWithinTenPercentOfItsTOverTMin()
    {
        var run = Simulated.Passes(TenPeersAsOnLoopback, seed: 1);
        Assert.Contains("T/T_min=", run.Output);
    }

    [Fact]
    public void TenPeers_JoiningThroughATrackerAsTheRealProcessesDid_EndWithinTenPercentOfTheirTOverTMin()
    {
        var run = Simulated.Passes(TenPeersJoiningAsOnLoopback, seed: 1);
        Assert.Contains("join=tracker", run.Output);
    }

    [Fact]
    public void ATrace_WritesEachPeersStateEveryFiveSeconds_AndLeavesTheEventLogAsWithoutIt()
    {
        var plain = Simulated.Passes(SmallMeasuredSwarm, seed: 1);
        var traced = Simulated.Passes(SmallMeasuredSwarmTraced, seed: 1);
        Assert.Equal(plain.Events, traced.Events);
        Assert.Equal(plain.Digest, traced.Digest);
    }

    private static TorrentLab.Simulation.Experiments.SwarmExperiment.Options SmallMeasured(string? trace) =>
        new(Peers: 4, Mib: 1, PieceKib: 64, SeedRate: 1 << 20, Uploads: "gnutella", Super: true, Trace: trace);

    internal static Task SmallMeasuredSwarm(SimRun sim) =>
        TorrentLab.Simulation.Experiments.SwarmExperiment.RunAsync(sim, SmallMeasured(null), _ => { });

    /// <summary>The swarm of <see cref="SmallMeasuredSwarm"/> with a trace: a line for the seed (p=-1) and each of the
    /// four peers at each 5 s, with the fields BENCHMARKS.md reads.</summary>
    internal static async Task SmallMeasuredSwarmTraced(SimRun sim)
    {
        var path = Path.Combine(sim.Folder, "trace.txt");
        string? line = null;
        await TorrentLab.Simulation.Experiments.SwarmExperiment.RunAsync(sim, SmallMeasured(path), l => line = l);
        var lines = File.ReadAllLines(path);
        var last = Figure(line!, "T_s");
        Assert.Equal(0, lines.Length % 5); // the seed and four peers at each instant
        Assert.True(lines.Length / 5 >= (int)(last / 5), $"{lines.Length} lines for a run of {last} s");
        Assert.Equal(5, lines.Count(l => l.StartsWith("t=5 ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("t=5 p=-1 ", StringComparison.Ordinal));
        foreach (var field in (string[])["up_use=", "down_use=", "unchoked_int=", "waiting=", "queued=", "unchoked_by=", "requesting_fast="])
            Assert.All(lines, l => Assert.Contains(" " + field, l));
    }

    /// <summary>A run of bench/swarm/swarm.py without super-seeding (bench/notes/swarm.md, "The simulator beside the real
    /// swarm", run 1 of 2026-11-25): the peers, separate processes started together, heard the tracker's first answer
    /// 5.19-6.02 s after their start (the listed times), and the swarm read T/T_min = 1.256 (the seed sent 1.06 F). The
    /// same swarm on the simulated network, each peer starting then and told by the tracker of the seed and the peers
    /// before it, must agree within 10 % (issue 51).</summary>
    internal static async Task TenPeersJoiningAsOnLoopback(SimRun sim)
    {
        const double real = 1.256;
        string? line = null;
        await TorrentLab.Simulation.Experiments.SwarmExperiment.RunAsync(sim,
            new(Peers: 10, Mib: 32, PieceKib: 256, SeedRate: 1 << 20, Super: false, AppCap: true, Join: "tracker",
                Starts: "5.19,5.28,5.29,5.31,5.32,5.35,5.38,5.47,5.52,6.02"), l => line = l);
        Console.WriteLine(line);
        Assert.InRange(Figure(line!, "T/T_min"), real * 0.9, real * 1.1);
        Assert.InRange(Figure(line!, "seed_upload_F"), 1.0, 1.10);
    }

    private static double Figure(string line, string key) =>
        double.Parse(line.Split(' ').Single(p => p.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..],
            System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A run of bench/swarm/swarm.py with super-seeding at load 4-6 (bench/notes/swarm.md, "Why the simulator's
    /// super-seed was faster", 2026-11-28): the peers heard the tracker's first answer 1.41-1.72 s after their start,
    /// and the swarm read T/T_min = 1.17 (the seed sent 1.01 F). The same swarm on the simulated network, on paths as
    /// short as those measured between the processes (under a millisecond each way) and with timers that fire up to
    /// half a millisecond late as a real machine's do, must agree within 10 % (issue 51), and the seed send at most
    /// 1.10 F (issue 37). Before the upload limit took turns (UploadTurns) the two read 1.42-1.59 and 1.11-1.12.</summary>
    internal static async Task TenPeersAsOnLoopback(SimRun sim)
    {
        const double real = 1.17;
        string? line = null;
        await TorrentLab.Simulation.Experiments.SwarmExperiment.RunAsync(sim,
            new(Peers: 10, Mib: 32, PieceKib: 256, SeedRate: 1 << 20, Super: true, AppCap: true, LatencyMs: 0.25, Join: "tracker",
                Starts: "1.41,1.45,1.47,1.48,1.51,1.54,1.55,1.61,1.62,1.72", TimersLateMs: 0.5), l => line = l);
        Console.WriteLine(line);
        Assert.InRange(Figure(line!, "T/T_min"), real * 0.9, real * 1.1);
        Assert.InRange(Figure(line!, "seed_upload_F"), 1.0, 1.10);
    }

    internal static async Task HundredPeers(SimRun sim)
    {
        const int peers = 99;
        var random = new Random(sim.Seed);
        // 1 MiB in 16 pieces, each peer with at most 30 connections: what a run costs is mostly the haves (each peer
        // tells each of its neighbours of each piece it gets: 4 MiB in 64 pieces to up to 50 neighbours made 300,000 of
        // the 470,000 events, 23 s of CPU a run; now about 9 s), and 16 pieces of 4 blocks still leave the choker, the
        // piece picker, PEX and the end game everything to do.
        var built = TestTorrents.SingleFile(length: 1 << 20, pieceLength: 64 * 1024, name: "crowd.bin", announce: null, seed: 7);
        // The seed uploads at 1 MiB/s; the others at 128-512 KiB/s, downloading four times faster, 10-60 ms from the core.
        var seedHost = sim.Network.AddHost("seed", new LinkSpec(TimeSpan.FromMilliseconds(20), 1 << 20, 8 << 20));
        var hosts = Enumerable.Range(0, peers).Select(i =>
        {
            var up = random.Next(128, 513) * 1024L;
            return sim.Network.AddHost($"p{i:00}", new LinkSpec(TimeSpan.FromMilliseconds(random.Next(10, 61)), up, 4 * up));
        }).ToList();
        built.WritePayload(sim.FolderOf(seedHost));
        var settings = new SessionSettings { ListenPort = 6881, Dht = false, Transport = PeerTransport.Tcp, Encryption = TorrentLab.Wire.EncryptionPolicy.Off };

        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, settings));
        await using var seeder = await Seeder.StartAsync(seedSession, built.Torrent,
            new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Trackers = [], Log = seedHost.LogLine }, allowPartial: false);
        var sessions = hosts.Select(h => TorrentClient.StartSession(sim.SessionOn(h, settings))).ToList();
        try
        {
            // What a tracker would answer: the seed and a few peers that came before; PEX tells the rest.
            var downloads = hosts.Select((h, i) => TorrentClient.DownloadAsync(sessions[i], built.Torrent, new DownloadOptions
            {
                OutputDirectory = sim.FolderOf(h), Trackers = [], Log = h.LogLine, StallTimeout = TimeSpan.FromMinutes(5),
                MaxPeers = 30,
                ExtraPeers = [new IPEndPoint(seedHost.Address, 6881), .. Enumerable.Range(0, Math.Min(i, 5))
                    .Select(_ => new IPEndPoint(hosts[random.Next(i)].Address, 6881)).Distinct()],
            })).ToList();
            var results = await Task.WhenAll(downloads);

            foreach (var h in hosts) Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(h), "crowd.bin")));
            // The seed cannot have sent every copy: the peers served most of the 99 copies to each other.
            var (seedUp, _) = seedHost.Bytes;
            Assert.True(seedUp < 0.5 * peers * built.Torrent.TotalLength, $"the seed uploaded {seedUp} bytes of {peers} copies");
            sim.Log.Line("scenario", $"all complete at {sim.Clock.Now}; slowest {results.Max(r => r.Elapsed)}; seed uploaded {seedUp}");
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }
    }
}
