namespace TorrentLab.Lab;

/// <summary>What a stage's check gets: the student's program, a random source seeded for this stage alone, a scratch
/// folder, and the run's options.</summary>
public sealed class StageContext(LabStage stage, StudentProgram program, Random random, string folder, LabCheckOptions options,
    LabTiming? timing = null)
{
    private int _runs;

    public LabStage Stage { get; } = stage;
    public StudentProgram Program { get; } = program;

    /// <summary>Seeded from the run's seed and the stage's position, so <c>--stage X --seed N</c> repeats a full run's inputs.</summary>
    public Random Random { get; } = random;

    /// <summary>A folder of this stage's own, deleted after the run.</summary>
    public string Folder { get; } = folder;

    public LabCheckOptions Options { get; } = options;

    /// <summary>Runs of the student's program so far.</summary>
    public int Runs => _runs;

    /// <summary>The program's measured start-up and the slow factor, from which the time limit follows.</summary>
    public LabTiming Timing { get; } = timing ?? LabTiming.None;

    /// <summary>The last run of the student's program: a stage stops at its first failing run, so on a FAIL this is it.</summary>
    public StudentRun? LastRun { get; private set; }

    /// <summary>One run's time limit: the stage's own (or <see cref="LabCheckOptions.TimeLimit"/>), with the start-up
    /// allowance and the slow factor of <see cref="Timing"/>.</summary>
    public TimeSpan TimeLimit => Timing.LimitFor(Options.TimeLimit ?? Stage.TimeLimit);

    /// <summary>Runs the student's program with the stage's time limit.</summary>
    public async Task<StudentRun> RunAsync(IReadOnlyList<string> args, CancellationToken ct, CancellationToken stopEarly = default)
    {
        Interlocked.Increment(ref _runs);
        var run = await Program.RunAsync(args, TimeLimit, stopEarly, ct, Timing.Pace).ConfigureAwait(false);
        LastRun = run;
        return run;
    }

    /// <summary>A path in the stage's folder.</summary>
    public string PathFor(string name) => System.IO.Path.Combine(Folder, name);
}
