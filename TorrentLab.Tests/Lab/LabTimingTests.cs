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
        var slow = Slowed(1, 1, StudentClients.Python(), TestPaths.Fixture("students", "good_client.py"));
        var (_, report) = await StudentClients.CheckAsync(slow, new LabCheckOptions { Seed = 1, Stage = "handshake" });   // one run after the two measured

        // The measured start-up includes the wrapper's one-second pause.
        var line = report.Split('\n').Single(l => l.StartsWith("A start of your program takes ", StringComparison.Ordinal));
        var seconds = double.Parse(line["A start of your program takes ".Length..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(seconds >= 1, report);
    }

    [Theory]
    [InlineData(127, "a command it runs was not found")]
    [InlineData(126, "a file it runs is not executable")]
    public async Task Measure_AProgramWhoseShellCannotRunItsCommand_CouldNotStart_AndSaysWhy(int code, string why)
    {
        var program = new StudentProgram(["/bin/sh", "-c", $"echo 'interpreter: not found' >&2; exit {code}"]);

        var e = await Assert.ThrowsAsync<LabException>(() => LabTiming.MeasureAsync(program, 1, TestContext.Current.CancellationToken));

        Assert.StartsWith("could not start '/bin/sh -c", e.Message);
        Assert.Contains($"exit code {code}, stderr: interpreter: not found ({why})", e.Message);
    }

    // A hang where each kind of check used to guess from the missing output: a wrong value, a missing 'Tracker URL' line,
    // "no announce reached the tracker", a peer never dialled, a DHT node never asked.
    [Theory]
    [InlineData("bencode-strings")]
    [InlineData("parse-torrent")]
    [InlineData("discover-peers")]
    [InlineData("handshake")]
    [InlineData("download-piece")]
    [InlineData("magnet-parse")]
    [InlineData("magnet-info")]
    [InlineData("dht-ping")]
    [InlineData("dht-get-peers")]
    [InlineData("merkle-root")]
    public async Task ProgramKilledAtItsLimit_IsToldItRanTooLong_NotGivenAnOutputHint(string stage)
    {
        // Ends the trivial run at once, then hangs on every real run.
        string[] hangs = ["sh", "-c", "[ \"$1 $2\" = 'decode i0e' ] && exit 0; sleep 30", "sh"];
        var (results, report) = await StudentClients.CheckAsync(hangs,
            new LabCheckOptions { Seed = 3, Stage = stage, TimeLimit = TimeSpan.FromSeconds(1) });

        var result = Assert.Single(results).Result;
        Assert.False(result.Passed, report);
        Assert.True(result.TimedOut, report);
        Assert.StartsWith("your program ran longer than ", result.Hint);
        Assert.Contains("a start of your program takes ", result.Hint);
        Assert.DoesNotContain("wait for input", result.Hint);
    }

    /// <summary>Load that arrives after the start-up measurement: the checker's pace (here injected, three times slower
    /// during the run) stretches the limit, and the timeout that still comes names the limit, the start-up, the load and
    /// --slow.</summary>
    [Fact]
    public async Task LateLoadSpike_StretchesTheLimit_AndTheTimeoutHintNamesTheLoad()
    {
        string[] hangs = ["sh", "-c", "[ \"$1 $2\" = 'decode i0e' ] && exit 0; sleep 60", "sh"];
        var (results, report) = await StudentClients.CheckAsync(hangs, new LabCheckOptions
        {
            Seed = 3, Stage = "merkle-root", TimeLimit = TimeSpan.FromSeconds(1), Startup = TimeSpan.Zero, Pace = LabPace.Fixed(3),
        });

        var result = Assert.Single(results).Result;
        Assert.True(result.TimedOut, report);
        Assert.StartsWith("your program ran longer than 3 s, this run's time limit", result.Hint);
        Assert.Contains("a start of your program takes 0 s here", result.Hint);
        Assert.Contains("3 times slower than at the start-up measurement, and the limit was stretched to follow it", result.Hint);
        Assert.Contains("--slow 2", result.Hint);
    }

    [Fact]
    public async Task RightOutputButExitCodeOne_IsToldTheOutputIsRight_OnEveryStage()
    {
        var (results, report) = await StudentClients.CheckAsync(StudentClients.Command("exits_one.py"),
            new LabCheckOptions { Seed = 4, KeepGoing = true });

        Assert.Equal(LabStages.All.Select(s => s.Name), results.Select(r => r.Stage.Name));
        Assert.All(results, r =>
        {
            Assert.False(r.Result.Passed, report);
            Assert.StartsWith("your output is right, but your program exited with code 1", r.Result.Hint);
        });
    }

    /// <summary>One stage of each kind of check; TORRENTLAB_LAB_LONG=1 checks every stage.</summary>
    private static readonly string[] NeverExitsStages =
        ["bencode-lists", "info-hash", "discover-peers", "handshake", "download-piece", "magnet-parse", "magnet-handshake",
            "magnet-info", "dht-ping", "dht-get-peers", "merkle-root"];

    /// <summary>Every run of these checks ends at its limit, since the limit is what it is about: so the limit is short
    /// (5 s, plus the start-up allowance, stretched by the load as every limit is: the right output comes in well under a
    /// second after the start), and the checks all run at once, each waiting, not working.</summary>
    [Fact]
    public async Task RightOutputButNoExit_IsToldTheOutputIsRightAndTheProgramDidNotExit()
    {
        var stages = Environment.GetEnvironmentVariable("TORRENTLAB_LAB_LONG") == "1" ? [.. LabStages.All.Select(s => s.Name)] : NeverExitsStages;
        var command = StudentClients.Command("never_exits.py");
        var timing = await LabTiming.MeasureAsync(new StudentProgram(StudentClients.Command("good_client.py")), 1, TestContext.Current.CancellationToken);
        using var pace = LabPace.Measure();
        var runs = stages.Select(async stage =>
        {
            var (results, report) = await StudentClients.CheckAsync(command, new LabCheckOptions
            {
                Seed = 6, Stage = stage, Startup = timing.Startup, Pace = pace, TimeLimit = TimeSpan.FromSeconds(5),
            });
            var result = results.Single().Result;
            return !result.Passed && result.TimedOut
                && result.Hint?.StartsWith("your output is right, but your program did not exit", StringComparison.Ordinal) == true
                ? null : $"--stage {stage}:\n{report}";
        }).ToList();

        var failures = (await Task.WhenAll(runs)).Where(f => f is not null).ToList();
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>The stages the normal run checks the slowed reference client on: one of each kind of check (decoding, a
    /// torrent's lines, the tracker, a piece, the metadata, the DHT, a v2 piece); TORRENTLAB_LAB_LONG=1 checks all.</summary>
    private static readonly string[] SlowedStages =
        ["bencode-dictionaries", "info-hash", "discover-peers", "download-piece", "magnet-info", "dht-get-peers", "v2-download-piece"];

    /// <summary>The reference client behind a wrapper that sleeps 2 s before it starts Python and then runs it at half
    /// speed (fixtures/students/slow_interpreter.py): every stage must pass, with and without faults. The normal run
    /// checks one seed on <see cref="SlowedStages"/>, the start-up measured once; TORRENTLAB_LAB_LONG=1 runs whole checks
    /// (every stage, the start-up measured by each, as <c>lab check</c> does) on ten seeds each way.</summary>
    [Fact]
    public async Task ReferenceClient_SlowedToHalfSpeedAfterATwoSecondStart_PassesEveryStage_WithAndWithoutFaults()
    {
        var full = Environment.GetEnvironmentVariable("TORRENTLAB_LAB_LONG") == "1";
        int[] seeds = full ? [.. Enumerable.Range(1, 10)] : [21];
        var command = Slowed(2, 0.5, StudentClients.Python(), TestPaths.Fixture("students", "good_client.py"));
        TimeSpan? startup = full ? null
            : (await LabTiming.MeasureAsync(new StudentProgram(command), 1, TestContext.Current.CancellationToken)).Startup;
        var checks = from seed in seeds
                     from faults in new[] { false, true }
                     from stage in full ? new string?[] { null } : SlowedStages
                     select new LabCheckOptions { Seed = seed, Faults = faults, Stage = stage, KeepGoing = true, Startup = startup };
        // The normal run's checks all at once, sharing one pace probe: each mostly sleeps (the two-second start, the
        // stopped half of each 50 ms); the long run's whole checks four at a time, each measuring its own, as lab check does.
        using var pace = full ? null : LabPace.Measure();
        using var gate = new SemaphoreSlim(full ? 4 : checks.Count());
        var runs = checks.Select(async options =>
        {
            await gate.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                var (results, report) = await StudentClients.CheckAsync(command, options with { Pace = pace });
                var expected = options.Stage is null ? LabStages.All.Count : 1;
                return results.Count == expected && results.All(r => r.Result.Passed) ? null
                    : $"--seed {options.Seed}{(options.Faults ? " --faults" : "")}{(options.Stage is null ? "" : $" --stage {options.Stage}")}:\n{report}";
            }
            finally
            {
                gate.Release();
            }
        }).ToList();

        var failures = (await Task.WhenAll(runs)).Where(f => f is not null).ToList();
        output.WriteLine($"{runs.Count} checks over seeds {string.Join(", ", seeds)}, {(full ? "every stage" : string.Join(", ", SlowedStages))}" +
            (startup is { } s ? $"; a start takes {LabTiming.Seconds(s)} s" : ""));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>The command that runs <paramref name="command"/> after a pause of <paramref name="seconds"/>, then at
    /// <paramref name="speed"/> of full speed (fixtures/students/slow_interpreter.py).</summary>
    internal static string[] Slowed(int seconds, double speed, params string[] command) =>
        ["env", $"SLOW_START={seconds}", $"SLOW_SPEED={speed.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            StudentClients.Python(), TestPaths.Fixture("students", "slow_interpreter.py"), .. command];
}
