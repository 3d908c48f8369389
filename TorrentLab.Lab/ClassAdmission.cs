namespace TorrentLab.Lab;

/// <summary>How many students <c>lab class</c> checks at once when <c>--jobs</c> is not given: as many as this machine
/// takes without a false verdict, measured while the class runs.</summary>
/// <remarks>A run's time limit follows the checker's pace (<see cref="LabPace"/>), stretched at most
/// <see cref="LabPace.MaxStretch"/> times; a machine slowed further could kill a right but slowed program at its limit.
/// So the class keeps the slowdown it causes itself within <see cref="Budget"/>, half that stretch, leaving the other half
/// for load that comes from elsewhere later. Another student starts only when the last one started at least
/// <see cref="Window"/> ago (its start-up and first stages are in the pace by then) and the checker's pace over that window
/// stayed under the budget. One student always runs, and at most <see cref="DefaultCap"/> at once. The rule looks only at
/// the pace it is given and the clock, so a test drives it with a made-up pace.</remarks>
public sealed class ClassAdmission
{
    /// <summary>The slowdown the class may cause: half of <see cref="LabPace.MaxStretch"/>.</summary>
    public const double Budget = LabPace.MaxStretch / 2;

    /// <summary>How long a newly started student runs, and how far back the pace is read, before the next may start.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    private readonly LabPace _pace;
    private readonly TimeProvider _time;
    private long _lastStart;
    private bool _started;

    /// <param name="pace">The checker's pace, measured beside the students' programs (<see cref="LabPace.Measure"/>).</param>
    /// <param name="cap">The most students at once, whatever the pace (at least 1).</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> shares its timestamps with <see cref="MeasuredPace"/>.</param>
    public ClassAdmission(LabPace pace, int cap, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        (_pace, Cap, _time) = (pace, cap, time);
    }

    /// <summary>The most students at once.</summary>
    public int Cap { get; }

    /// <summary>The cap on a machine with <paramref name="processors"/> processors: two students per processor, since most
    /// of a check waits on loopback and on interpreters starting (four on two cores graded a class with no false verdict,
    /// BENCHMARKS.md), at most 64.</summary>
    public static int DefaultCap(int processors) => Math.Clamp(2 * processors, 1, 64);

    /// <summary>Whether another student may start now, with <paramref name="running"/> being checked.</summary>
    public bool MayStart(int running)
    {
        if (running == 0) return true;
        if (running >= Cap) return false;
        var now = _time.GetTimestamp();
        if (_started && _time.GetElapsedTime(_lastStart, now) < Window) return false;
        return _pace.SlowdownSince(now - (long)(Window.TotalSeconds * _time.TimestampFrequency)) < Budget;
    }

    /// <summary>A student started now.</summary>
    public void Started()
    {
        _lastStart = _time.GetTimestamp();
        _started = true;
    }
}
