using System.Diagnostics;

namespace TorrentLab.Downloads;

/// <summary>Bytes per second over a sliding window of about five seconds, in one-second buckets; after five seconds
/// with no bytes, the window starts again at the next one.</summary>
/// <remarks>Thread-safe. Time comes from a <see cref="TimeProvider"/> so tests can drive it.</remarks>
public sealed class RateMeter
{
    private const int Buckets = 5; // 5 s: long enough to be steady, short enough to follow changes
    private const double MinWindow = 1.0; // a first burst is not a rate yet
    private readonly long[] _bytes = new long[Buckets];
    private readonly TimeProvider _time;
    private long _start; // where the window begins: the meter's creation, or the first byte after a window with none
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
            // Bytes after a window's worth of silence (a peer that kept us choked, then unchoked us): the rate counts
            // from them, not from the silence, which would hold it near zero for the next five seconds.
            if (_bytes.AsSpan().IndexOfAnyExcept(0L) < 0) RestartWindow(); // per block: no allocation
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
                var window = Math.Clamp(elapsed, MinWindow, Buckets);
                return _bytes.Sum() / window;
            }
        }
    }

    /// <summary>Starts the window now: the empty seconds before are not counted (every bucket is empty).</summary>
    private void RestartWindow()
    {
        _start = _time.GetTimestamp();
        _currentSecond = 0;
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
