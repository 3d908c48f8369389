using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>Kills the CLI with SIGKILL at random moments of a download, again and again on the same output folder,
/// then lets it finish: the ledger is always readable, no run ever asks for a piece the ledger recorded when it
/// started, and the final data is identical. CI: 5 kills; TORRENTLAB_RELIABILITY=long: 25.</summary>
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public partial class CrashConsistencyTests
{
    private const int Pieces = 128;
    private const int PieceLength = 16384;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SigkillAtRandomMoments_ThenRestart_LedgerAlwaysReadableNoLedgerPieceRefetchedDataIdentical()
    {
        var kills = ReliabilityMode.Count(5, 25);
        var built = TestTorrents.SingleFile(length: Pieces * PieceLength, pieceLength: PieceLength, name: "crash.bin", seed: 13);
        using var folder = new TempFolder("torrentlab-crash");
        var torrentPath = built.WriteTorrent(folder.Path);
        var output = folder.Combine("out");
        var ledger = new ResumeLedger(built.Torrent, output);
        // Which pieces each run (connection) asked for: the seeder records them.
        var requested = new ConcurrentDictionary<int, ConcurrentBag<int>>();
        var connection = 0;
        await using var seeder = HostilePeer.Start(built, s =>
        {
            var run = Interlocked.Increment(ref connection);
            var mine = requested.GetOrAdd(run, _ => []);
            // 30 ms a block: about 4 s for the whole download, so kills land at every stage (ledger saves are 3 s apart).
            return s.ServeHonestlyAsync(async bytes =>
            {
                await s.SendAsync(bytes);
                if (bytes.Length > PieceHeaderAndSome) await Task.Delay(30, s.Ct);
            }, onRequest: m => mine.Add(m.Index));
        }, maxConnections: 2 * (kills + 4)); // each run may dial twice: encrypted first (prefer), then plaintext
        var args = new[] { CliRunner.CliDll, torrentPath, "-o", output, "--quiet", "--max-peers", "1", "--peer", seeder.EndPoint.ToString() };
        var random = new Random(20250702);
        var refetched = 0;
        var ledgerCounts = new List<int>();
        var completedEarly = 0;

        for (var k = 0; k < kills; k++)
        {
            var trustedAtStart = TrustedPieces(ledger);
            var before = Volatile.Read(ref connection);
            var delay = TimeSpan.FromMilliseconds(random.Next(300, 4500));
            using (var process = ProcessRunner.Start("dotnet", args))
            {
                try
                {
                    process.WaitForExit(delay);
                }
                finally
                {
                    if (!process.HasExited) process.Kill(); // SIGKILL: no chance to save anything
                    process.WaitForExit();
                }
            }
            // Never unreadable: LedgerInspector throws on a torn file; Validate never throws.
            ledgerCounts.Add(LedgerInspector.SavedPieces(ledger.FilePath));
            _ = ledger.Validate();
            refetched += RefetchedFromLedger(requested, before, trustedAtStart);
            if (ledgerCounts[^1] == Pieces)
            {
                // This run finished before its kill: check it, then start a fresh download for the next kills.
                Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(output, "crash.bin"))));
                completedEarly++;
                Directory.Delete(output, recursive: true);
            }
        }

        var trustedBeforeLast = TrustedPieces(ledger);
        var lastConnection = Volatile.Read(ref connection);
        var final = await CliRunner.RunAsync(args[1..], TimeSpan.FromSeconds(60));
        refetched += RefetchedFromLedger(requested, lastConnection, trustedBeforeLast);

        Assert.True(final.ExitCode == CliRunner.Codes.Ok, final.Stderr);
        Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(output, "crash.bin"))));
        Assert.True(ledger.Validate().IsTrusted);
        Assert.Equal(0, refetched);
        // A run killed after its last piece was written but before the ledger listed it leaves the last run nothing to
        // fetch: it finds every piece on disk and says so ("nothing to download"), with no "received" figure.
        var receivedLine = Received().Match(final.Stdout);
        Assert.True(receivedLine.Success || final.Stdout.Contains("nothing to download", StringComparison.Ordinal), final.Stdout);
        var received = receivedLine.Success ? long.Parse(receivedLine.Groups[1].Value) : 0;
        Assert.True(received <= (long)(Pieces - trustedBeforeLast.Count) * PieceLength,
            $"the last run received {received} bytes with {trustedBeforeLast.Count} pieces in the ledger");
        var resumed = AlreadyOnDisk().Match(final.Stdout) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;
        ReliabilityReport.Add(new ReliabilityRow("crash", "SIGKILL at random moments (0.3-4.5 s), restart, finish", kills + 1, kills + 1,
            refetched == 0 ? "none" : $"{refetched} ledger pieces refetched",
            $"ledger pieces after each kill (-1: none yet): {string.Join(",", ledgerCounts)}; {completedEarly} run(s) finished before the kill; last run: {resumed} of {Pieces} on disk, received {received} bytes; data identical"));
    }

    // A piece message's frame: 4 + 1 + 8 + block; anything longer than this is a block, not a control message.
    private const int PieceHeaderAndSome = 4 + WireLimits.PieceHeader + 16;

    /// <summary>The pieces a valid ledger lists (empty when there is none or it is untrusted: then nothing is promised).</summary>
    private static HashSet<int> TrustedPieces(ResumeLedger ledger) =>
        ledger.Validate() is { IsTrusted: true } check ? [.. check.Trusted!.SetIndexes()] : [];

    /// <summary>Pieces asked for by the runs after connection number <paramref name="after"/> that the ledger listed.</summary>
    private static int RefetchedFromLedger(ConcurrentDictionary<int, ConcurrentBag<int>> requested, int after, HashSet<int> trusted) =>
        requested.Where(r => r.Key > after).SelectMany(r => r.Value).Distinct().Count(trusted.Contains);

    [GeneratedRegex(@"received (\d+) bytes")]
    private static partial Regex Received();

    [GeneratedRegex(@"(\d+) of \d+ pieces were already on disk")]
    private static partial Regex AlreadyOnDisk();
}
