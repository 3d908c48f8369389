using System.Diagnostics;

namespace TorrentLab.Downloads;

/// <summary>Bytes per second over a sliding window of about five seconds, in one-second buckets.</summary>
/// <remarks>Thread-safe. Time comes from a <see cref="TimeProvider"/> so tests can drive it.</remarks>
public sealed class RateMeter
{
    private const int Buckets = 5; // 5 s: long enough to be steady, short enough to follow changes
    private readonly long[] _bytes = new long[Buckets];
    private readonly TimeProvider _time;
    private readonly long _start;
    private long _currentSecond;
    private long _total;

    public RateMeter(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    /// <summary>All bytes ever added.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Counts <paramref name="bytes"/> now.</summary>
    public void Add(long bytes)
    {
        lock (_bytes)
        {
            Advance();
            _bytes[_currentSecond % Buckets] += bytes;
            _total += bytes;
        }
    }

    /// <summary>Bytes per second over the last few whole seconds (and the current partial one).</summary>
    public double BytesPerSecond
    {
        get
        {
            lock (_bytes)
            {
                Advance();
                var elapsed = _time.GetElapsedTime(_start).TotalSeconds;
                var window = Math.Clamp(elapsed, 1e-3, Buckets);
                return _bytes.Sum() / window;
            }
        }
    }

    /// <summary>Bytes in the busiest one-second bucket of the window (the current, partial second included), per
    /// second: what the sender showed it can deliver, where <see cref="BytesPerSecond"/> averages in the seconds it was
    /// idle.</summary>
    public double BestSecond
    {
        get
        {
            lock (_bytes)
            {
                Advance();
                return _bytes.Max();
            }
        }
    }

    private void Advance()
    {
        var second = (long)_time.GetElapsedTime(_start).TotalSeconds;
        if (second - _currentSecond >= Buckets) Array.Clear(_bytes);
        else for (var s = _currentSecond + 1; s <= second; s++) _bytes[s % Buckets] = 0;
        _currentSecond = Math.Max(_currentSecond, second);
        Debug.Assert(_currentSecond >= 0);
    }
}
