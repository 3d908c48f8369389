using System.Diagnostics;
using System.Security.Cryptography;

namespace TorrentLab.Lab;

/// <summary>How much slower this machine runs now than when the check started: a run's time limit is stretched by it,
/// so load that arrives after the start-up measurement (another job, a class graded in parallel) never turns a right
/// answer into a timeout.</summary>
/// <remarks>Injectable: the checker uses <see cref="Measure"/>; a test gives a fixed slowdown instead of real busy loops.</remarks>
public abstract class LabPace
{
    /// <summary>The most a run's limit is stretched: a machine more than four times slower than at the start gets no more,
    /// and the timeout hint says so (the teacher then adds <c>--slow</c>).</summary>
    public const double MaxStretch = 4;

    /// <summary>How many times slower the machine ran since <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp)
    /// than when the check started: 1 or more.</summary>
    public abstract double SlowdownSince(long since);

    /// <summary>A pace that never changes: the stages' limits as they are (library callers, most tests).</summary>
    public static LabPace Steady { get; } = new Fixed(1);

    /// <summary>A pace fixed at <paramref name="slowdown"/>, as if load had come and stayed.</summary>
    public static LabPace Fixed(double slowdown) => new Fixed(slowdown);

    /// <summary>A pace measured beside the program: <see cref="MeasuredPace"/>; dispose it when the check ends.</summary>
    public static MeasuredPace Measure() => new();
}

internal sealed class Fixed(double slowdown) : LabPace
{
    public override double SlowdownSince(long since) => Math.Max(1, slowdown);
}

/// <summary>The checker's own pace, measured beside the program: every 100 ms a thread times a fixed piece of work
/// (SHA-256 over 2 MiB); the first second's median is the baseline, and the slowdown over a run is the median of its
/// samples over that baseline. A busy machine slows the probe exactly as it slows the student's program: both wait for
/// a core. Costs a few per cent of one core.</summary>
public sealed class MeasuredPace : LabPace, IDisposable
{
    private const int BaselineSamples = 10;
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);

    private readonly List<(long At, double Ticks)> _samples = [];
    private readonly byte[] _work = new byte[2 * 1024 * 1024];   // a few milliseconds of work: longer than a scheduler's slice, so a busy core shows
    private double _baseline;
    private volatile bool _stopped;

    internal MeasuredPace()
    {
        new Thread(Run) { IsBackground = true, Name = "lab pace", Priority = ThreadPriority.Normal }.Start();
    }

    public override double SlowdownSince(long since)
    {
        lock (_samples)
        {
            if (_baseline <= 0) return 1;
            var window = _samples.Where(s => s.At >= since).Select(s => s.Ticks).Order().ToList();
            return window.Count == 0 ? 1 : Math.Max(1, window[window.Count / 2] / _baseline);
        }
    }

    private void Run()
    {
        while (!_stopped)
        {
            var start = Stopwatch.GetTimestamp();
            SHA256.HashData(_work);
            var ticks = (double)(Stopwatch.GetTimestamp() - start);
            lock (_samples)
            {
                _samples.Add((start, ticks));
                if (_samples.Count > 10_000) _samples.RemoveRange(BaselineSamples, 5_000);   // a long check keeps its baseline and its recent past
                if (_baseline <= 0 && _samples.Count == BaselineSamples) _baseline = _samples.Select(s => s.Ticks).Order().ElementAt(BaselineSamples / 2);
            }
            Thread.Sleep(Every);   // the probe's period, on its own thread: not a wait for anything
        }
    }

    /// <summary>Stops the probe.</summary>
    public void Dispose() => _stopped = true;
}
