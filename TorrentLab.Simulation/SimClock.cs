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

    private readonly Calendar _calendar = new();
    private long _now;
    private long _made;
    private long _timersLate;  // ticks: the engine's timers fire up to this late (0: on time)
    private Random? _lateness;

    /// <summary>Time since the start.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(_now);

    /// <summary>Ticks (100 ns) since the start.</summary>
    public long NowTicks => _now;

    /// <summary>Entries run so far.</summary>
    public long Ran { get; private set; }

    /// <summary>Entries waiting (cancelled ones included until their time comes).</summary>
    public int Waiting => _calendar.Count;

    /// <summary>Entries waiting that will still run (a walk over the calendar: a diagnostic, not for every step).</summary>
    public int Live => _calendar.CountLive();

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(_now);

    public override long GetTimestamp() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>From now on the engine's timers (<see cref="TimeProvider.CreateTimer"/>, so its delays too) fire late by
    /// a time drawn uniformly from [0, <paramref name="most"/>) with a random source seeded by <paramref name="seed"/>,
    /// as a runtime's timers do on a real machine (they fire after their time, never before, and two due together
    /// wake in no fixed order). Without it, timers due at the same tick run in the order they were made: an engine
    /// whose waiters race for one resource (the upload limit's tokens) sees the same waiter win every time, which no
    /// real machine does (bench/notes/swarm.md, "Why the simulator's super-seed was faster"). Network deliveries stay exact.</summary>
    public void MakeTimersLate(TimeSpan most, int seed)
    {
        _timersLate = Math.Max(0, most.Ticks);
        _lateness = _timersLate > 0 ? new Random(seed) : null;
    }

    private long Lateness() => _lateness is { } random ? random.NextInt64(_timersLate) : 0;

    /// <summary>Runs <paramref name="action"/> with <paramref name="state"/> after <paramref name="delay"/> (at once
    /// after what is due now when zero).</summary>
    public Entry After(TimeSpan delay, Action<object?> action, object? state) => At(_now + Math.Max(0, delay.Ticks), action, state);

    /// <summary>Runs <paramref name="action"/> at tick <paramref name="due"/> (now, if that has passed).</summary>
    public Entry At(long due, Action<object?> action, object? state)
    {
        var entry = new Entry(action, state);
        _calendar.Push(Math.Max(due, _now), _made++, entry, null);
        return entry;
    }

    /// <summary>Runs <paramref name="action"/> with <paramref name="state"/> after <paramref name="delay"/>, for good:
    /// there is nothing to cancel it by, so nothing is made for it but its place in the calendar (what the network
    /// does with every piece it carries: a few million entries in a large run).</summary>
    public void Post(TimeSpan delay, Action<object?> action, object? state) => PostAt(_now + Math.Max(0, delay.Ticks), action, state);

    /// <summary>Runs <paramref name="action"/> at tick <paramref name="due"/> (now, if that has passed), for good (<see cref="Post"/>).</summary>
    public void PostAt(long due, Action<object?> action, object? state) => _calendar.Push(Math.Max(due, _now), _made++, action, state);

    /// <summary>The tick of the next live entry, or null when nothing is left.</summary>
    public long? NextDue
    {
        get
        {
            while (_calendar.Count > 0)
            {
                ref readonly var first = ref _calendar.First;
                if (first.Live) return first.Due;
                _calendar.Pop(); // cancelled: dropped when its time comes up
            }
            return null;
        }
    }

    /// <summary>Moves the clock to the next live entry and runs it; false when nothing is left.</summary>
    public bool Step()
    {
        while (_calendar.Count > 0)
        {
            var slot = _calendar.Pop();
            if (!slot.Live) continue;
            _now = slot.Due;
            Ran++;
            if (slot.What is Entry entry) entry.Run();
            else ((Action<object?>)slot.What)(slot.State);
            return true;
        }
        return false;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new Timer(this, callback, state, dueTime, period);

    /// <summary>The calendar's order: a binary min-heap of (due tick, order made) kept in one array of structs, compared
    /// inline (a <see cref="PriorityQueue{TElement, TPriority}"/> keyed by a tuple compared through its default
    /// comparer was a tenth of a run's managed time). The same strict order, so the same run.</summary>
    private sealed class Calendar
    {
        private Slot[] _heap = new Slot[256];

        public int Count { get; private set; }

        public ref readonly Slot First => ref _heap[0];

        public void Push(long due, long order, object what, object? state)
        {
            if (Count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
            var heap = _heap;
            var i = Count++;
            while (i > 0)
            {
                var parent = (i - 1) >> 1;
                ref var up = ref heap[parent];
                if (up.Due < due || up.Due == due && up.Order < order) break;
                heap[i] = up;
                i = parent;
            }
            heap[i] = new Slot(due, order, what, state);
        }

        public Slot Pop()
        {
            var heap = _heap;
            var top = heap[0];
            var last = heap[--Count];
            heap[Count] = default;
            if (Count > 0)
            {
                var i = 0;
                while (true)
                {
                    var child = 2 * i + 1;
                    if (child >= Count) break;
                    if (child + 1 < Count && Before(in heap[child + 1], in heap[child])) child++;
                    if (!Before(in heap[child], in last)) break;
                    heap[i] = heap[child];
                    i = child;
                }
                heap[i] = last;
            }
            return top;
        }

        public int CountLive()
        {
            var live = 0;
            for (var i = 0; i < Count; i++)
                if (_heap[i].Live) live++;
            return live;
        }

        private static bool Before(in Slot a, in Slot b) => a.Due < b.Due || a.Due == b.Due && a.Order < b.Order;
    }

    /// <summary>A place in the calendar: an <see cref="Entry"/> (which may be cancelled), or an action and its state
    /// posted for good.</summary>
    private readonly record struct Slot(long Due, long Order, object What, object? State)
    {
        public bool Live => What is not Entry entry || entry.Live;
    }

    /// <summary>One thing to happen at a time, once; <see cref="Cancel"/> lets go of what it would have run, so a
    /// cancelled entry waiting for its time holds nothing alive (a connection's idle timer, three minutes out).</summary>
    internal sealed class Entry(Action<object?> action, object? state)
    {
        private Action<object?>? _action = action;
        private object? _state = state;

        /// <summary>False once run or cancelled.</summary>
        public bool Live => _action is not null;

        /// <summary>It will not run (if it has not yet).</summary>
        public void Cancel()
        {
            _action = null;
            _state = null;
        }

        internal void Run()
        {
            var (run, with) = (_action!, _state);
            Cancel();
            run(with);
        }
    }

    /// <summary>An engine timer on the calendar: <see cref="System.Threading.Timer"/>'s semantics, on virtual time.</summary>
    private sealed class Timer : ITimer
    {
        private readonly SimClock _clock;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly ExecutionContext? _context = ExecutionContext.Capture();
        private Entry? _next;
        private long _period = -1;
        private bool _disposed;

        public Timer(SimClock clock, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
            Change(dueTime, period);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed) return false;
            _next?.Cancel();
            _next = null;
            _period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? -1 : period.Ticks;
            if (dueTime != Timeout.InfiniteTimeSpan) Arm(Math.Max(0, dueTime.Ticks));
            return true;
        }

        private void Arm(long delay) => _next = _clock.At(_clock._now + delay + _clock.Lateness(), static s => ((Timer)s!).Fire(), this);

        private void Fire()
        {
            _next = null;
            if (_disposed) return;
            if (_period > 0) Arm(_period);
            if (_context is null) _callback(_state);
            else ExecutionContext.Run(_context, static s => { var t = (Timer)s!; t._callback(t._state); }, this);
        }

        public void Dispose()
        {
            _disposed = true;
            _next?.Cancel();
            _next = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
