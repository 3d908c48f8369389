using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The Python student clients in fixtures/students/ and a quiet way to run the checker on them.</summary>
public static class StudentClients
{
    /// <summary>The stages our own CLI is checked on, in one place: today all of them; when a stage is added before
    /// its command lands in the CLI (e.g. magnet links), leave it out here until it does.</summary>
    public static readonly string[] StagesOurCliImplements =
    [
        "bencode-strings", "bencode-integers", "bencode-lists", "bencode-dictionaries",
        "parse-torrent", "info-hash", "piece-hashes", "discover-peers",
        "handshake", "download-piece", "download-file",
        "magnet-parse", "magnet-handshake", "magnet-info", "magnet-download-piece", "magnet-download",
        "dht-ping", "dht-get-peers", "dht-magnet-download",
        "v2-info-hash", "merkle-root",
    ];

    /// <summary>Debian's python3 (the brief's interpreter), else any python3 on PATH; skips visibly when there is none.</summary>
    public static string Python()
    {
        Interop.RequireExecutable("python3");
        return File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    }

    /// <summary>The command that runs fixtures/students/<paramref name="script"/>.</summary>
    public static string[] Command(string script) => [Python(), TestPaths.Fixture("students", script)];

    /// <summary>The time limit of a check of a broken client: 20 s, generous for a loaded machine (a broken client fails on
    /// the evidence long before it); 5 s for the one that waits forever after its mistake by design
    /// (metadata_ignores_reject.py), whose verdict comes only at its limit, whatever the limit: its hint is drawn from
    /// the reject the peers logged in its first second, and 20 s would only be waited out.</summary>
    public static TimeSpan BrokenClientLimit(string client) =>
        TimeSpan.FromSeconds(client == "metadata_ignores_reject.py" ? 5 : 20);

    /// <summary>Runs the checker in process and returns its verdicts and its report text; <paramref name="ct"/> null: the test's.</summary>
    internal static async Task<(IReadOnlyList<(LabStage Stage, StageResult Result)> Results, string Report)> CheckAsync(
        IReadOnlyList<string> command, LabCheckOptions options, CancellationToken? ct = null)
    {
        var report = new StringWriter();
        var checker = new LabChecker(new StudentProgram(command), options, report);
        var results = await checker.RunAsync(ct ?? TestContext.Current.CancellationToken);
        return (results, report.ToString());
    }
}
