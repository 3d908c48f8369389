namespace TorrentLab.Simulation;

/// <summary>Runs a simulation's scenario to its end on the one thread-pool thread of this process, moving the clock
/// only when nothing else is ready to run.</summary>
/// <remarks>
/// <para>How a .NET program is made deterministic here: the process has exactly one thread-pool thread
/// (<see cref="SingleThread"/>), so every continuation of the engine (after <c>ConfigureAwait(false)</c>, from a
/// <c>TaskCompletionSource</c> that runs continuations asynchronously, a channel, a semaphore, <c>Task.Run</c>) is a
/// work item run by that one thread, one after another, in the order they were queued; and nothing else queues work:
/// no socket (the network is simulated), no system timer (every timer is on <see cref="SimClock"/>).
/// The driver is itself a work item. Each time it runs it looks at the pool's queue: while anything waits there, it
/// queues itself behind it; when nothing does, every consequence of the last event has run, and it moves the clock
/// to the next entry of the calendar and runs that. The order of everything is then a function of the seed.</para>
/// <para>This is what libtorrent's simulator does with asio's one io_context, where a program is single-threaded by
/// construction; a .NET program is not, so the thread pool is made so.</para>
/// </remarks>
internal sealed class Driver : IThreadPoolWorkItem
{
    private readonly SimClock _clock;
    private readonly TimeSpan _limit;
    private readonly ManualResetEventSlim _done = new();
    private Task? _scenario;
    private Func<Task>? _start;
    private long _steps;

    private Driver(SimClock clock, TimeSpan limit)
    {
        _clock = clock;
        _limit = limit;
    }

    /// <summary>Why the run ended: null when the scenario completed (its task says how), else what stopped it.</summary>
    public string? Stopped { get; private set; }

    /// <summary>The scenario's task, once started.</summary>
    public Task? Scenario => _scenario;

    /// <summary>Starts <paramref name="scenario"/> on the pool thread and drives the clock until it ends, nothing is
    /// left to happen, virtual time passes <paramref name="limit"/>, or no step is taken for
    /// <paramref name="stallLimit"/> of real time (a blocking wait on the one thread: a bug, reported as such).</summary>
    public static Driver Run(SimClock clock, Func<Task> scenario, TimeSpan limit, TimeSpan stallLimit)
    {
        SingleThread.Check();
        var driver = new Driver(clock, limit) { _start = scenario };
        ThreadPool.UnsafeQueueUserWorkItem(driver, preferLocal: false);
        long seen = -1;
        while (!driver._done.Wait(stallLimit))
        {
            var now = Interlocked.Read(ref driver._steps);
            if (now != seen)
            {
                seen = now;
                continue;
            }
            driver.Stopped = $"no step for {stallLimit.TotalSeconds:0} s of real time at {clock.Now}: the one thread is blocked (a synchronous wait on work that needs it)";
            break;
        }
        return driver;
    }

    void IThreadPoolWorkItem.Execute()
    {
        Interlocked.Increment(ref _steps);
        if (_start is { } start)
        {
            _start = null;
            try { _scenario = start(); }
            catch (Exception e) { _scenario = Task.FromException(e); }
        }
        if (_scenario!.IsCompleted)
        {
            _done.Set();
            return;
        }
        // Everything made ready by the last event runs before time moves on: the driver waits behind it. An event that
        // made nothing ready (a link's next turn, a cancelled timer) is followed at once by the next one, without the
        // round trip through the pool's queue that would find it empty again: the same order, fewer work items.
        while (ThreadPool.PendingWorkItemCount == 0)
        {
            if (_clock.NextDue is not { } next)
            {
                Stopped = $"nothing left to happen at {_clock.Now}, and the scenario has not ended: it waits for something no one will do";
                _done.Set();
                return;
            }
            if (next > _limit.Ticks)
            {
                Stopped = $"the scenario ran past its limit of {_limit} of simulated time";
                _done.Set();
                return;
            }
            try { _clock.Step(); }
            catch (Exception e)
            {
                Stopped = $"an event threw at {_clock.Now}: {e}";
                _done.Set();
                return;
            }
            Interlocked.Increment(ref _steps);
            if (_scenario.IsCompleted)
            {
                _done.Set();
                return;
            }
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }
}
