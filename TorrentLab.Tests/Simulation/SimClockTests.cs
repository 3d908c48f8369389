using TorrentLab.Simulation;

namespace TorrentLab.Tests.Simulation;

/// <summary>The simulation's clock and calendar, stepped by hand (no engine, no process of its own).</summary>
public class SimClockTests
{
    [Fact]
    public void Step_RunsEntriesInTimeOrder_AndThoseDueTogetherInTheOrderMade()
    {
        var clock = new SimClock();
        var ran = new List<string>();
        clock.After(TimeSpan.FromSeconds(2), s => ran.Add((string)s!), "late");
        clock.After(TimeSpan.FromSeconds(1), s => ran.Add((string)s!), "first");
        clock.After(TimeSpan.FromSeconds(1), s => ran.Add((string)s!), "second");
        while (clock.Step()) { }
        Assert.Equal(["first", "second", "late"], ran);
        Assert.Equal(TimeSpan.FromSeconds(2), clock.Now);
        Assert.Equal(SimClock.Epoch + TimeSpan.FromSeconds(2), clock.GetUtcNow());
    }

    [Fact]
    public void ThousandsOfEntries_MadeInAnyOrderAndSomeFromInsideOthers_RunByTimeThenByTheOrderMade()
    {
        var clock = new SimClock();
        var random = new Random(51);
        var made = new List<(long Due, int Made)>();
        var ran = new List<(long Due, int Made)>();
        void Schedule(long due)
        {
            var mine = (Due: Math.Max(due, clock.NowTicks), Made: made.Count);
            made.Add(mine);
            var entry = clock.At(due, _ =>
            {
                ran.Add(mine);
                if (ran.Count % 3 == 0) Schedule(clock.NowTicks + random.Next(0, 4));   // some due at once, some at the same tick as others
            }, null);
            if (made.Count % 7 == 0) { entry.Cancel(); made[^1] = (-1, mine.Made); }
        }
        for (var i = 0; i < 5_000; i++) Schedule(random.Next(0, 500));   // many due at the same tick
        while (clock.Step()) { }

        var expected = made.Where(e => e.Due >= 0).OrderBy(e => e.Due).ThenBy(e => e.Made).ToList();
        Assert.True(expected.Count > 5_000, $"{expected.Count} entries ran");
        Assert.Equal(expected, ran);
    }

    [Fact]
    public void CancelledEntry_NeitherRunsNorHoldsWhatItWouldHaveRun()
    {
        var clock = new SimClock();
        var weak = Arm(clock, out var entry);
        entry.Cancel();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(weak.IsAlive, "a cancelled entry still holds its state until its time comes");
        Assert.Null(clock.NextDue);
        Assert.False(clock.Step());
    }

    private static WeakReference Arm(SimClock clock, out SimClock.Entry entry)
    {
        var state = new byte[1024];
        entry = clock.After(TimeSpan.FromMinutes(3), _ => throw new InvalidOperationException("cancelled"), state);
        return new WeakReference(state);
    }

    [Fact]
    public void Timer_FiresAtItsDueTime_ThenEveryPeriod_AndChangeMovesIt_AndDisposeStopsIt()
    {
        var clock = new SimClock();
        var fired = new List<TimeSpan>();
        var timer = clock.CreateTimer(_ => fired.Add(clock.Now), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        for (var i = 0; i < 3; i++) clock.Step();
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)], fired);

        timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        clock.Step();
        Assert.Equal(TimeSpan.FromSeconds(15), fired[^1]);
        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        Assert.False(clock.Step());
        Assert.Equal(4, fired.Count);
    }

    [Fact]
    public async Task TaskDelay_OnTheClock_CompletesOnlyWhenTheCalendarReachesIt()
    {
        var clock = new SimClock();
        var delay = Task.Delay(TimeSpan.FromSeconds(30), clock, TestContext.Current.CancellationToken);
        Assert.False(delay.IsCompleted);
        Assert.True(clock.Step());
        await delay.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(TimeSpan.FromSeconds(30), clock.Now);
    }
}
