namespace TorrentLab.Tests.Infrastructure;

/// <summary>A <see cref="TimeProvider"/> that moves only when a test calls <see cref="Advance"/>: no real sleeps.</summary>
/// <remarks>Timers it creates (e.g. a <see cref="PeriodicTimer"/>) fire synchronously inside <see cref="Advance"/>.</remarks>
public sealed class ManualClock(DateTimeOffset? start = null) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() { lock (_lock) return _now; }

    /// <summary>Timestamps follow the manual time too (ticks of 100 ns).</summary>
    public override long GetTimestamp() => GetUtcNow().UtcTicks;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>How long until the earliest pending timer fires; null when none is pending.</summary>
    public TimeSpan? NextTimerIn
    {
        get
        {
            lock (_lock)
            {
                var due = _timers.Where(t => t.DueAt is not null).Select(t => t.DueAt!.Value).ToList();
                return due.Count == 0 ? null : due.Min() - _now;
            }
        }
    }

    /// <summary>How long until each pending timer fires, soonest first (timers with no due time are left out): a test
    /// can wait until the code under test has armed the timer it expects, before it moves time past it.</summary>
    public IReadOnlyList<TimeSpan> PendingTimers
    {
        get
        {
            lock (_lock) return [.. _timers.Where(t => t.DueAt is not null).Select(t => t.DueAt!.Value - _now).Order()];
        }
    }

    /// <summary>Moves time forward and fires the timers that came due, in order.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_lock) target = _now + by;
        while (true)
        {
            ManualTimer? due;
            lock (_lock)
            {
                due = _timers.Where(t => t.DueAt <= target).MinBy(t => t.DueAt);
                if (due is null) { _now = target; return; }
                _now = due.DueAt!.Value;
                due.DueAt = due.Period is { } p && p > TimeSpan.Zero && p != Timeout.InfiniteTimeSpan ? _now + p : null;
            }
            due.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_lock) _timers.Add(timer);
        return timer;
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }
        public TimeSpan? Period { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
                Period = period;
            }
            return true;
        }

        public void Dispose() { lock (clock._lock) clock._timers.Remove(this); }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
