namespace TorrentLab.Tests.Reliability;

/// <summary>How hard the reliability campaign pushes: CI counts by default, much larger ones when
/// <c>TORRENTLAB_RELIABILITY=long</c> (see bench/reliability/run.sh, which also collects the summary table).</summary>
internal static class ReliabilityMode
{
    /// <summary>True when <c>TORRENTLAB_RELIABILITY=long</c>.</summary>
    public static bool IsLong => Environment.GetEnvironmentVariable("TORRENTLAB_RELIABILITY") == "long";

    /// <summary>The mode's name, as the summary table prints it.</summary>
    public static string Name => IsLong ? "long" : "ci";

    /// <summary>The CI count, or the long-mode count.</summary>
    public static int Count(int ci, int @long) => IsLong ? @long : ci;

    /// <summary>The xunit trait every reliability test carries: <c>dotnet test --filter Category=reliability</c>.</summary>
    public const string Category = "reliability";
}

/// <summary>The reliability tests that measure the process's heap (<see cref="MemoryWatch"/>, the fuzz harness) or
/// flood the machine (a thousand idle clients, announce storms, tracker load) run one at a time, after the rest: other
/// tests beside them would blur the figures. Those that only run the CLI against a hostile input, a full disk or a
/// kill (FullDiskTests, PathTraversalTests, CrashConsistencyTests, HostileTrackerTests, SwappedOutputFolderTests) run
/// beside other tests like any slow class.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = "reliability";
}
