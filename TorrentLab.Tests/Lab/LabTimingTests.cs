using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>Verdicts that do not depend on the machine's speed: limits grow with the program's measured start-up and
/// <c>--slow</c>, a slow but correct program passes, and a program killed at its limit is told so, not given a guess
/// about its output.</summary>
[Trait("Tier", "Slow")]
public class LabTimingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(10, 0, 1, 10)]       // nothing measured: the stage's own limit
    [InlineData(10, 2, 1, 18)]       // plus four start-ups
    [InlineData(10, 2, 1.5, 27)]     // and times the slow factor
    [InlineData(30, 0.5, 2, 64)]
    public void LimitFor_AddsFourStartupsThenMultipliesBySlow(double stage, double startup, double slow, double expected)
    {
        var timing = new LabTiming(TimeSpan.FromSeconds(startup), slow);

        Assert.Equal(TimeSpan.FromSeconds(expected), timing.LimitFor(TimeSpan.FromSeconds(stage)));
    }

    [Fact]
    public async Task Measure_SlowStartingProgram_CountsItsStartupAndReportsIt()
    {
        var slow = SlowStart(1, StudentClients.Python(), TestPaths.Fixture("students", "good_client.py"));
        var (_, report) = await StudentClients.CheckAsync(slow, new LabCheckOptions { Seed = 1, Stage = "bencode-integers" });

        // The measured start-up includes the wrapper's one-second pause.
        var line = report.Split('\n').Single(l => l.StartsWith("A start of your program takes ", StringComparison.Ordinal));
        var seconds = double.Parse(line["A start of your program takes ".Length..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(seconds >= 1, report);
    }

    [Fact]
    public async Task ProgramKilledAtItsLimit_IsToldItRanTooLong_NotGivenAnOutputHint()
    {
        // Ends the trivial run at once, then hangs on every real run.
        string[] hangs = ["sh", "-c", "[ \"$1 $2\" = 'decode i0e' ] && exit 0; sleep 30", "sh"];
        var (results, report) = await StudentClients.CheckAsync(hangs,
            new LabCheckOptions { Seed = 3, Stage = "bencode-strings", TimeLimit = TimeSpan.FromSeconds(1) });

        var result = Assert.Single(results).Result;
        Assert.False(result.Passed, report);
        Assert.True(result.TimedOut, report);
        Assert.StartsWith("your program ran longer than ", result.Hint);
        Assert.Contains("a start of your program takes ", result.Hint);
        Assert.DoesNotContain("wait for input", result.Hint);
    }

    [Theory]
    [InlineData("bencode-integers")]
    [InlineData("info-hash")]
    [InlineData("magnet-parse")]
    [InlineData("handshake")]
    public async Task RightOutputButExitCodeOne_IsToldTheOutputIsRight(string stage)
    {
        var (results, report) = await StudentClients.CheckAsync(StudentClients.Command("exits_one.py"),
            new LabCheckOptions { Seed = 4, Stage = stage });

        var result = Assert.Single(results).Result;
        Assert.False(result.Passed, report);
        Assert.StartsWith("your output is right, but your program exited with code 1", result.Hint);
    }

    /// <summary>The reference client behind a wrapper that sleeps before it starts Python: every stage must pass, with and
    /// without faults. Two checks in the normal run; TORRENTLAB_LAB_LONG=1 makes it ten seeds each way.</summary>
    [Fact]
    public async Task ReferenceClient_StartingTwoSecondsLate_PassesEveryStage_WithAndWithoutFaults()
    {
        var seeds = Environment.GetEnvironmentVariable("TORRENTLAB_LAB_LONG") == "1" ? Enumerable.Range(1, 10).ToArray() : [21];
        var command = SlowStart(2, StudentClients.Python(), TestPaths.Fixture("students", "good_client.py"));
        using var gate = new SemaphoreSlim(4);
        var runs = seeds.SelectMany(seed => new[] { false, true }.Select(faults => (Seed: seed, Faults: faults))).Select(async c =>
        {
            await gate.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                var (results, report) = await StudentClients.CheckAsync(command,
                    new LabCheckOptions { Seed = c.Seed, Faults = c.Faults, KeepGoing = true });
                return results.Count == LabStages.All.Count && results.All(r => r.Result.Passed) ? null : $"--seed {c.Seed}{(c.Faults ? " --faults" : "")}:\n{report}";
            }
            finally
            {
                gate.Release();
            }
        }).ToList();

        var failures = (await Task.WhenAll(runs)).Where(f => f is not null).ToList();
        output.WriteLine($"{runs.Count} full checks over seeds {string.Join(", ", seeds)}");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>The command that runs <paramref name="command"/> after a pause of <paramref name="seconds"/>.</summary>
    internal static string[] SlowStart(int seconds, params string[] command) =>
        ["env", $"SLOW_START={seconds}", "sh", TestPaths.Fixture("students", "slow_start.sh"), .. command];
}
