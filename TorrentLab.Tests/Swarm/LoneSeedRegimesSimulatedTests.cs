using TorrentLab.Simulation;
using TorrentLab.Simulation.Experiments;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>A lone seed with its default options and downloaders told only of it (they may meet through its PEX), on
/// the simulated network, against the fluid bound T_min (<see cref="SwarmExperiment"/>): the regimes issue 84 found a
/// policy tuned on one benchmark had broken. Uncapped: the seed's line is eight times a downloader's, whose download
/// bounds the swarm (loopback's regime: the seed could feed every downloader at its full rate). Capped: the seed's
/// upload limit is every peer's upload, so the seed bounds the swarm and its first copy decides how soon it ends.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class LoneSeedRegimesSimulatedTests
{
    /// <summary>Issue 84's target: the last downloader within 10 % of the bound.</summary>
    private const double Within = 1.10;

    [Fact]
    public void TwoDownloaders_Uncapped_EndWithinTenPercentOfTheBound() => Simulated.Passes(TwoUncapped, seed: 1);

    [Fact]
    public void EightDownloaders_Uncapped_EndWithinTenPercentOfTheBound() => Simulated.Passes(EightUncapped, seed: 1);

    [Fact]
    public void TwoDownloaders_SeedCapped_EndWithinTenPercentOfTheBound() => Simulated.Passes(TwoCapped, seed: 1);

    /// <summary>Eight capped downloaders, at 64 MiB: at 16 MiB (64 pieces) the first seconds, before anyone has a whole
    /// piece to pass on, and the passing on of the last pieces to leave the seed take much of the downloaders' slack
    /// (9 MiB/s of upload for 8 MiB/s of need). There, with this test's timers on time, seeds 1-8 read 1.15-1.22 before
    /// the seed rejected second copies while a piece nobody was getting remained and 1.09-1.12 since (1.121 this one; the
    /// benchmark's 0.5 ms late timers: 1.09-1.10, BENCHMARKS.md); over 256 pieces, seeds 1 and 2, 1.063 and 1.064 before and
    /// 1.026 and 1.025 since.</summary>
    [Fact]
    public void EightDownloaders_SeedCapped_EndWithinTenPercentOfTheBound() => Simulated.Passes(EightCapped, seed: 1);

    /// <summary>No upload limit set, the seed's own line the limit (a home uplink): the seed cannot know what its line
    /// carries, so only which pieces it suggests to whom keeps it from sending a piece twice early. Suggestions for
    /// sixteen pieces per peer from the start read 1.15 here (each taken every few seconds, they went stale and were
    /// given again); as many as the peer takes in five seconds at its rate, 1.06.</summary>
    [Fact]
    public void TwoDownloaders_BehindTheSeedsLine_EndWithinTenPercentOfTheBound() => Simulated.Passes(TwoBehindLine, seed: 1);

    /// <summary>Eight downloaders behind the seed's own line of 1 MiB/s, at 64 MiB: 1.042 here, the seed 1.037 F.
    /// Sixteen suggestions per peer whatever its rate (before they followed the rate): 1.222, the seed 1.218 F. At 16 MiB
    /// (64 pieces) the same regime reads 1.26-1.27 with the seed's line busy throughout (1.25 F): every piece has left
    /// it once by T_min, and what is over is the passing on of the last pieces to leave it, which each of the other
    /// seven downloaders then asks of it as well as of their first receiver (bench/notes/lone-seed.md, "Eight behind
    /// the seed's line: the tail").</summary>
    [Fact]
    public void EightDownloaders_BehindTheSeedsLine_EndWithinTenPercentOfTheBound() => Simulated.Passes(EightBehindLine, seed: 1);

    /// <summary>Ten downloaders that know each other behind the seed's own line of 1 MiB/s: each piece should leave the
    /// seed about once (issue 84's bound for libtorrent's downloaders, 1.15 F, over the whole run here). Sixteen
    /// suggestions per peer from the start: 1.45 F and 1.46 T_min; at the peer's rate 1.09 F.</summary>
    [Fact]
    public void TenDownloaders_BehindTheSeedsLine_GetEachPieceFromItAboutOnce() => Simulated.Passes(TenBehindLine, seed: 1);

    internal static Task TwoBehindLine(SimRun sim) => Run(sim, BehindLine(2, mib: 16, neighbours: 0));

    internal static Task EightBehindLine(SimRun sim) => Run(sim, BehindLine(8, mib: 64, neighbours: 0));

    internal static Task TenBehindLine(SimRun sim) => Run(sim, BehindLine(10, mib: 32, neighbours: 50), "seed_upload_F", 1.15);

    internal static Task TwoUncapped(SimRun sim) => Run(sim, Uncapped(2));

    internal static Task EightCapped(SimRun sim) => Run(sim, Capped(8) with { Mib = 64 });

    internal static Task EightUncapped(SimRun sim) => Run(sim, Uncapped(8));

    internal static Task TwoCapped(SimRun sim) => Run(sim, Capped(2));

    /// <summary>The seed's line 8 MiB/s, each downloader's 1 MiB/s each way, no upload limit: T_min = F / 1 MiB/s.</summary>
    private static SwarmExperiment.Options Uncapped(int downloaders) =>
        new(Peers: downloaders, Mib: 16, SeedRate: 8 << 20, PeerRate: 1 << 20, DownFactor: 1, Neighbours: 0);

    /// <summary>The seed's line 1 MiB/s and no limit set anywhere; downloads not limited: T_min = F / 1 MiB/s.</summary>
    private static SwarmExperiment.Options BehindLine(int downloaders, int mib, int neighbours) =>
        new(Peers: downloaders, Mib: mib, SeedRate: 1 << 20, Neighbours: neighbours);

    /// <summary>Every upload limited to 1 MiB/s by the client, on lines that carry more: T_min = F / 1 MiB/s.</summary>
    private static SwarmExperiment.Options Capped(int downloaders) =>
        new(Peers: downloaders, Mib: 16, SeedRate: 1 << 20, AppCap: true, Neighbours: 0);

    /// <summary>Runs the regime and holds one figure of its last line at or under <paramref name="bound"/>: by default
    /// T/T_min within <see cref="Within"/>.</summary>
    private static async Task Run(SimRun sim, SwarmExperiment.Options options, string figure = "T/T_min", double bound = Within)
    {
        string? line = null;
        await SwarmExperiment.RunAsync(sim, options, l => line = l);
        Console.WriteLine(line);
        var value = Figure(line!, figure);
        Assert.True(value <= bound, $"{figure} {value:0.000} over {bound}: {line}");
    }

    private static double Figure(string line, string key) =>
        double.Parse(line.Split(' ').Single(p => p.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..],
            System.Globalization.CultureInfo.InvariantCulture);
}
