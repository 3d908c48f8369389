namespace TorrentLab.Lab;

/// <summary>What one run of the student's program did.</summary>
/// <param name="CommandLine">The command as a shell would show it.</param>
/// <param name="ExitCode">Its exit code (-1 when it was killed).</param>
/// <param name="Stdout">Everything it printed on stdout (capped).</param>
/// <param name="Stderr">Everything it printed on stderr (capped).</param>
/// <param name="TimedOut">True when it was killed for running past the stage's time limit.</param>
/// <param name="StoppedEarly">True when the checker stopped it because the evidence already showed the mistake.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
public sealed record StudentRun(string CommandLine, int ExitCode, string Stdout, string Stderr, bool TimedOut, bool StoppedEarly, TimeSpan Elapsed)
{
    /// <summary>The run's time limit in the end: the one asked for, stretched by <see cref="Slowdown"/>.</summary>
    public TimeSpan Limit { get; init; }

    /// <summary>How many times slower the machine ran during this run than at the check's start (1: no load came),
    /// measured when the run reached its limit (<see cref="LabPace"/>).</summary>
    public double Slowdown { get; init; } = 1;

    /// <summary>Finished by itself with exit code 0.</summary>
    public bool Succeeded => !TimedOut && !StoppedEarly && ExitCode == 0;

    /// <summary>How the run ended, in words, with the end of stderr when it failed.</summary>
    public string Outcome
    {
        get
        {
            if (TimedOut) return $"killed after {Elapsed.TotalSeconds:0.#} s (time limit)";
            if (StoppedEarly) return $"stopped after {Elapsed.TotalSeconds:0.#} s: the evidence below already shows the mistake";
            var stderr = LastLines(Stderr, 3);
            return ExitCode == 0 ? "exit code 0" : stderr.Length == 0 ? $"exit code {ExitCode}" : $"exit code {ExitCode}, stderr: {stderr}";
        }
    }

    /// <summary>The hint for a run whose output was right but that did not end with exit code 0: the mistake is in how it
    /// ends, not in what it computes.</summary>
    public string RightOutputHint
    {
        get
        {
            if (TimedOut || StoppedEarly)
                return $"your output is right, but your program did not exit: it was still running after {LabTiming.Seconds(Elapsed)} s and was " +
                    "killed; end it once it has printed (close its sockets, stop or join its threads)";
            var stderr = LastLines(Stderr, 3);
            return $"your output is right, but your program exited with code {ExitCode}" + (stderr.Length > 0 ? $" (stderr: {stderr})" : "") +
                ": exit with code 0 when a command succeeds";
        }
    }

    /// <summary>Stdout trimmed and cut to a few lines, for a report.</summary>
    public string StdoutShown => Shorten(Stdout.TrimEnd(), 12);

    internal static string Shorten(string text, int maxLines)
    {
        if (text.Length == 0) return "(nothing)";
        var lines = text.Split('\n');
        var shown = string.Join("\n", lines.Take(maxLines).Select(l => l.Length > 200 ? l[..200] + "..." : l));
        return lines.Length > maxLines ? shown + $"\n... ({lines.Length - maxLines} more lines)" : shown;
    }

    private static string LastLines(string text, int count)
    {
        var lines = text.TrimEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(" | ", lines.TakeLast(count).Select(l => l.Length > 200 ? l[..200] + "..." : l.TrimEnd('\r')));
    }
}
