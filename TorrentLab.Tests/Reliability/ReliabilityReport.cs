using System.Globalization;

namespace TorrentLab.Tests.Reliability;

/// <summary>One row of the campaign's summary table: what was tried, how many times, what survived, what was lost.</summary>
/// <param name="Area">The campaign area ("fuzz", "hostile peer", "crash", ...).</param>
/// <param name="Scenario">What was tried, in a few words.</param>
/// <param name="Tried">How many inputs, runs or requests.</param>
/// <param name="Survived">How many ended as they should (parsed or rejected with the typed error, completed, ...).</param>
/// <param name="Lost">What was lost: unhandled exceptions, hangs, corrupt data, refetched pieces; "none" when nothing.</param>
/// <param name="Figures">Measured figures: rates, memory, slowest input.</param>
internal sealed record ReliabilityRow(string Area, string Scenario, long Tried, long Survived, string Lost, string Figures)
{
    public string ToTsv() => string.Join('\t', Area, Scenario, Tried.ToString(CultureInfo.InvariantCulture),
        Survived.ToString(CultureInfo.InvariantCulture), Lost, Figures).Replace('\n', ' ');
}

/// <summary>Prints rows to the test output and, when <c>TORRENTLAB_RELIABILITY_REPORT</c> names a file, appends them
/// there as tab-separated lines (bench/reliability/run.sh turns that file into the table of docs/RELIABILITY.md).</summary>
internal static class ReliabilityReport
{
    private static readonly Lock Gate = new();

    /// <summary>Records one row.</summary>
    public static void Add(ReliabilityRow row)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"[{ReliabilityMode.Name}] {row.Area} | {row.Scenario} | tried {row.Tried} | survived {row.Survived} | lost: {row.Lost} | {row.Figures}");
        if (Environment.GetEnvironmentVariable("TORRENTLAB_RELIABILITY_REPORT") is not { Length: > 0 } path) return;
        lock (Gate) File.AppendAllText(path, row.ToTsv() + "\n");
    }

    /// <summary>Bytes as MiB with one decimal, for the figures column.</summary>
    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>A rate with no decimals.</summary>
    public static string PerSecond(double count, TimeSpan elapsed) =>
        (elapsed.TotalSeconds <= 0 ? 0 : count / elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture) + "/s";
}
