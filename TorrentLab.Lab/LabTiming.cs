using System.Globalization;

namespace TorrentLab.Lab;

/// <summary>How long the student's program takes to start on this machine, measured once before the stages, and the
/// time limit of each run that follows from it: verdicts must not depend on how fast the machine or the interpreter is.</summary>
/// <remarks>A run may take <c>slow x (stage limit + <see cref="StartupAllowance"/> x start-up)</c>. The stage limits
/// (<see cref="LabStages"/>) are what a correct program needs on an idle machine once it has started; a slower
/// interpreter or a loaded machine shows in the start-up, which is measured on a trivial run (<c>decode i0e</c>, twice,
/// the slower counted), so the limits grow with it. A teacher who knows the machines are slow adds <c>--slow</c>.</remarks>
public sealed record LabTiming(TimeSpan Startup, double Slow)
{
    /// <summary>Start-ups a run is allowed on top of the stage's limit: a program run through a wrapper, an interpreter
    /// that loads its modules lazily, or a machine that got busier after the measurement all start more than once as slowly.</summary>
    public const int StartupAllowance = 4;

    /// <summary>The arguments of the trivial run: the first stage's command, which every program reads and ends at once.</summary>
    public static readonly IReadOnlyList<string> TrivialRun = ["decode", "i0e"];

    // A trivial run that takes longer than this is not measured further: the program probably waits for something.
    private static readonly TimeSpan MeasureLimit = TimeSpan.FromSeconds(30);

    /// <summary>No start-up allowance and no slow factor: the stages' own limits.</summary>
    public static LabTiming None { get; } = new(TimeSpan.Zero, 1);

    /// <summary>The checker's pace beside the program: a run's limit is stretched by the slowdown it measures.</summary>
    public LabPace Pace { get; init; } = LabPace.Steady;

    /// <summary>Whether the trivial run ended by itself (false: it hit <see cref="MeasureLimit"/> and counts as zero).</summary>
    public bool Measured { get; init; } = true;

    /// <summary>The limit of one run of a stage whose own limit is <paramref name="stageLimit"/>.</summary>
    public TimeSpan LimitFor(TimeSpan stageLimit) => (stageLimit + Startup * StartupAllowance) * Slow;

    /// <summary>Measures the program's start-up: two trivial runs (the first may warm caches: a compiler, a JIT), the slower
    /// counted, since either could be what a later run meets.</summary>
    /// <exception cref="LabException">The program cannot be started at all.</exception>
    public static async Task<LabTiming> MeasureAsync(StudentProgram program, double slow, CancellationToken ct)
    {
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 2; i++)
        {
            var run = await program.RunAsync(TrivialRun, MeasureLimit * slow, ct: ct).ConfigureAwait(false);
            if (run.TimedOut) return new LabTiming(TimeSpan.Zero, slow) { Measured = false };
            // 126 and 127: a shell could not execute, or could not find, a command the program runs (its interpreter, a
            // wrapper's target): the program never started, whatever the stages would ask of it.
            if (run.ExitCode is 126 or 127 && run.Stdout.Length == 0)
                throw new LabException($"could not start '{program.Display}': {run.Outcome} ({(run.ExitCode == 127 ? "a command it runs was not found" : "a file it runs is not executable")})" +
                    (program.Sandbox is null ? "" : "; in the sandbox, homes and temporary folders are hidden: an interpreter or a file the program " +
                        "needs there is not found (install it system-wide, or see whether it runs with --no-sandbox)"));
            if (run.Elapsed > slowest) slowest = run.Elapsed;
        }
        return new LabTiming(slowest, slow);
    }

    /// <summary>The report's line on timing.</summary>
    public string Describe() =>
        (Measured
            ? $"A start of your program takes {Seconds(Startup)} s on this machine ('{string.Join(' ', TrivialRun)}', the slower of two runs): each run may take the stage's limit + {StartupAllowance} x {Seconds(Startup)} s"
            : $"A trivial run ('{string.Join(' ', TrivialRun)}') did not end within {MeasureLimit.TotalSeconds * Slow:0} s, so each run gets the stage's own limit")
        + (Slow == 1 ? "." : $", x {Slow.ToString("0.##", CultureInfo.InvariantCulture)} (--slow).");

    /// <summary>The hint for a run killed at its time limit: a timeout, said as one, never as a wrong output; it names
    /// the limit, the measured start-up, the load measured during the run and <c>--slow</c>.</summary>
    public string TimeoutHint(StudentRun run) =>
        $"your program ran longer than {Seconds(run.Limit)} s, this run's time limit on this machine, and was killed before it finished " +
        $"({Limits(run)}): look for a loop or a read that never ends (a socket without a timeout, waiting for bytes that never " +
        "come); if it is right but slow, run the checker with --slow 2";

    /// <summary>What a killed run's limit was made of, for every hint on a timeout.</summary>
    public string Limits(StudentRun run) =>
        $"a start of your program takes {Seconds(Startup)} s here" +
        (Slow == 1 ? "" : $", x {Slow.ToString("0.##", CultureInfo.InvariantCulture)} (--slow)") +
        (run.Slowdown > 1.05
            ? $"; the machine was loaded during this run, {run.Slowdown.ToString("0.#", CultureInfo.InvariantCulture)} times slower than at the start-up measurement, and the limit was stretched to follow it" +
              (run.Slowdown >= LabPace.MaxStretch ? $" (at most x {LabPace.MaxStretch:0})" : "")
            : "; the machine's load did not change during the run");

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString(t.TotalSeconds < 10 ? "0.##" : "0.#", CultureInfo.InvariantCulture);
}
