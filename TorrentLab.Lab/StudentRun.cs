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

    /// <summary>The checker's cap the run met, besides the time limit (<see cref="StudentCap.None"/>: none).</summary>
    public StudentCap Cap { get; init; }

    /// <summary>What the cap was, for the verdict: "2048 MiB for the whole run", "/tmp, 256 MiB".</summary>
    public string CapDetail { get; init; } = "";

    /// <summary>Finished by itself with exit code 0.</summary>
    public bool Succeeded => !TimedOut && !StoppedEarly && Cap == StudentCap.None && ExitCode == 0;

    /// <summary>The verdict's line on what ended the run when the checker's own limit did: the time limit or a cap; null
    /// when the program ended by itself.</summary>
    public string? Stop => TimedOut ? $"time limit: killed after {LabTiming.Seconds(Elapsed)} s (its limit: {LabTiming.Seconds(Limit)} s)" : Cap switch
    {
        StudentCap.Memory => $"memory limit: killed by the kernel, the run went over {CapDetail}",
        StudentCap.Processes => $"process cap: a new process or thread was refused, the run already had {CapDetail}",
        StudentCap.Disk => $"disk cap: {CapDetail} is full",
        StudentCap.Cpu => $"CPU limit: killed after {CapDetail} of CPU in one process",
        _ => null,
    };

    /// <summary>The hint for a run that met a cap (null when it met none): what the cap is and what usually makes a
    /// client meet it.</summary>
    public string? CapHint => Cap switch
    {
        StudentCap.Memory => $"your program used more memory than the sandbox allows ({CapDetail}) and the kernel killed it: look for data " +
            "that grows without end (a whole file or every piece kept in memory, a buffer per message never freed, a list never emptied)",
        StudentCap.Processes => $"your program started more processes or threads than the sandbox allows ({CapDetail} at once) and a new one " +
            "was refused: look for a thread or process started per peer, per block or per message without end, or a fork in a loop",
        StudentCap.Disk => $"your program filled {CapDetail}: write only what the stage asks for (its output file) and remove what " +
            "you keep in temporary files; a download of a few MiB never needs more",
        StudentCap.Cpu => $"your program used {CapDetail} of CPU time in one process and the kernel stopped it: look for a busy loop " +
            "(polling a socket without waiting, a retry without a pause)",
        _ => null,
    };

    /// <summary>How the run ended, in words, with the end of stderr when it failed.</summary>
    public string Outcome
    {
        get
        {
            if (TimedOut) return $"killed after {Elapsed.TotalSeconds:0.#} s (time limit)";
            if (StoppedEarly) return $"stopped after {Elapsed.TotalSeconds:0.#} s: the evidence below already shows the mistake";
            if (Stop is { } stop) return stop;
            var stderr = LastLines(Stderr, 3);
            // 128 + 9: a SIGKILL the checker did not send (its own kills and caps are named above): the machine's
            // out-of-memory killer, or someone's kill -9.
            if (ExitCode == 137) return "killed by SIGKILL from outside the checker (not its time limit, not a cap of the sandbox)" + (stderr.Length == 0 ? "" : $", stderr: {stderr}");
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
            if (Stop is { } stop) return $"your output is right, but your program met the sandbox's {stop}: {CapHint}";
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
