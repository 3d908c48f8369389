using System.Diagnostics;

namespace TorrentLab.Utp;

/// <summary>The monotonic microsecond clock uTP stamps its packets with (BEP 29 wants the highest resolution at hand).</summary>
internal static class UtpClock
{
    private static readonly double TicksToMicros = 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Microseconds on a monotonic clock with an arbitrary origin.</summary>
    public static long NowMicros() => (long)(Stopwatch.GetTimestamp() * TicksToMicros);

    /// <summary>The microsecond clock of <paramref name="time"/>: <see cref="NowMicros"/> for the system's, else that
    /// provider's timestamps (a simulated network's clock).</summary>
    public static Func<long> Of(TimeProvider time)
    {
        if (time == TimeProvider.System) return NowMicros;
        var toMicros = 1_000_000.0 / time.TimestampFrequency;
        return () => (long)(time.GetTimestamp() * toMicros);
    }
}
