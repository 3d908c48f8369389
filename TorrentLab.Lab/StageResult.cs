namespace TorrentLab.Lab;

/// <summary>The verdict on one stage: passed or not, what was expected and what came out, and a hint for the mistake
/// the evidence points to.</summary>
/// <param name="Passed">True when every case of the stage was right.</param>
/// <param name="Cases">How many runs of the student's program the stage made.</param>
/// <param name="Ran">The command line of the failing run (or the last run when passed).</param>
/// <param name="Expected">What the failing run should have produced.</param>
/// <param name="Actual">What it produced (stdout, exit code, file content summary).</param>
/// <param name="Hint">What the evidence says went wrong, or null when nothing specific was found.</param>
public sealed record StageResult(bool Passed, int Cases, string Ran, string Expected, string Actual, string? Hint)
{
    /// <summary>Supporting evidence for a failure: the tracker's rejection, the peer's log, the wire trace.</summary>
    public IReadOnlyList<string> Evidence { get; init; } = [];

    /// <summary>True when <see cref="Hint"/> holds even if the run was killed at its time limit: it comes from what the
    /// peers saw (a reject the program kept waiting after) or says itself that the program did not exit. Otherwise a
    /// timed-out run's hint is the timeout (<see cref="LabTiming.TimeoutHint"/>), never a guess about its output.</summary>
    public bool HintStandsOnTimeout { get; init; }

    /// <summary>The seed the stage's inputs came from (filled in by the checker).</summary>
    public int Seed { get; init; }

    /// <summary>How long the stage took (filled in by the checker).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Whether the stage was graded with the faulty peers (filled in by the checker).</summary>
    public bool Faults { get; init; }

    /// <summary>Whether the failing run was killed at its time limit (filled in by the checker).</summary>
    public bool TimedOut { get; init; }

    /// <summary>What of the checker's ended the failing run, when something did: its time limit or a cap of the sandbox
    /// (<see cref="StudentRun.Stop"/>), its own line in the verdict (filled in by the checker).</summary>
    public string? Stop { get; init; }

    /// <summary>A failed stage whose output was right but whose run did not end with exit code 0.</summary>
    public static StageResult RightOutputWrongEnd(int cases, StudentRun run, string expected) =>
        new(false, cases, run.CommandLine, expected, $"{run.StdoutShown}\n({run.Outcome})", run.RightOutputHint) { HintStandsOnTimeout = true };

    /// <summary>A passed stage after <paramref name="cases"/> runs.</summary>
    public static StageResult Pass(int cases, string ran) => new(true, cases, ran, "", "", null);

    /// <summary>A failed stage.</summary>
    public static StageResult Fail(int cases, string ran, string expected, string actual, string? hint, IReadOnlyList<string>? evidence = null) =>
        new(false, cases, ran, expected, actual, hint) { Evidence = evidence ?? [] };
}
