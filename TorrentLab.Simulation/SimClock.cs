namespace TorrentLab.Simulation;

/// <summary>The one clock of a simulation and its calendar: everything that is to happen at a later time (a timer of
/// the engine, a datagram arriving, a link finishing a send) is an entry, and time moves only from one entry to the
/// next, when the driver has run everything that was ready (<see cref="Driver"/>).</summary>
/// <remarks>Entries due at the same tick run in the order they were made, so the calendar is a strict order and a run
/// replays exactly. It is a <see cref="TimeProvider"/>, so the engine's timers, delays, periodic timers and
/// timestamps (<c>SessionSettings.Time</c>) all read and wait on it. Not thread-safe: a simulation has one thread.</remarks>
internal sealed class SimClock : TimeProvider
{
    /// <summary>What a simulated clock reads at tick 0: a fixed instant, so wall-clock dates in logs replay too.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PriorityQueue<Entry, (long Due, long Order)> _calendar = new();
    private long _now;
    private long _made;

    /// <summary>Time since the start.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(_now);

    /// <summary>Ticks (100 ns) since the start.</summary>
    public long NowTicks => _now;

    /// <summary>Entries run so far.</summary>
    public long Ran { get; private set; }

    /// <summary>Entries waiting (cancelled ones included until their time comes).</summary>
    public int Waiting => _calendar.Count;

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(_now);

    public override long GetTimestamp() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Runs <paramref name="action"/> with <paramref name="state"/> after <paramref name="delay"/> (at once
    /// after what is due now when zero).</summary>
    public Entry After(TimeSpan delay, Action<object?> action, object? state) => At(_now + Math.Max(0, delay.Ticks), action, state);

    /// <summary>Runs <paramref name="action"/> at tick <paramref name="due"/> (now, if that has passed).</summary>
    public Entry At(long due, Action<object?> action, object? state)
    {
        var entry = new Entry(action, state);
        Add(entry, Math.Max(due, _now));
        return entry;
    }

    private void Add(Entry entry, long due)
    {
        entry.Order = _made++;
        _calendar.Enqueue(entry, (due, entry.Order));
    }

    /// <summary>The tick of the next live entry, or null when nothing is left.</summary>
    public long? NextDue
    {
        get
        {
            while (_calendar.TryPeek(out var entry, out var key))
            {
                if (entry.Live && entry.Order == key.Order) return key.Due;
                _calendar.Dequeue(); // cancelled or moved: dropped when its old time comes up
            }
            return null;
        }
    }

    /// <summary>Moves the clock to the next live entry and runs it; false when nothing is left.</summary>
    public bool Step()
    {
        while (_calendar.TryDequeue(out var entry, out var key))
        {
            if (!entry.Live || entry.Order != key.Order) continue;
            _now = key.Due;
            entry.Order = -1;
            Ran++;
            entry.Run();
            return true;
        }
        return false;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new Timer(this, callback, state, dueTime, period);

    /// <summary>One thing to happen at a time; cancelled by <see cref="Cancel"/>.</summary>
    internal class Entry(Action<object?> action, object? state)
    {
        internal long Order = -1; // the calendar order of its latest placing: an older placing of it is stale

        /// <summary>False once cancelled.</summary>
        public bool Live { get; private set; } = true;

        /// <summary>It will not run (if it has not yet).</summary>
        public void Cancel() => Live = false;

        internal virtual void Run() => action(state);

        /// <summary>Puts it back on the calendar at <paramref name="due"/> (a timer's next period).</summary>
        internal void Reschedule(SimClock clock, long due)
        {
            Live = true;
            clock.Add(this, Math.Max(due, clock._now));
        }
    }

    /// <summary>An engine timer on the calendar: <see cref="System.Threading.Timer"/>'s semantics, on virtual time.</summary>
    private sealed class Timer : ITimer
    {
        private readonly SimClock _clock;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly ExecutionContext? _context = ExecutionContext.Capture();
        private readonly Entry _entry;
        private long _period = -1;
        private bool _disposed;

        public Timer(SimClock clock, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
            _entry = new Entry(static s => ((Timer)s!).Fire(), this);
            _entry.Cancel();
            Change(dueTime, period);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed) return false;
            _entry.Cancel();
            _period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? -1 : period.Ticks;
            if (dueTime != Timeout.InfiniteTimeSpan) _entry.Reschedule(_clock, _clock._now + Math.Max(0, dueTime.Ticks));
            return true;
        }

        private void Fire()
        {
            if (_disposed) return;
            if (_period > 0) _entry.Reschedule(_clock, _clock._now + _period);
            if (_context is null) _callback(_state);
            else ExecutionContext.Run(_context, static s => { var t = (Timer)s!; t._callback(t._state); }, this);
        }

        public void Dispose()
        {
            _disposed = true;
            _entry.Cancel();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
