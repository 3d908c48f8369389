using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Downloads;

public class RateLimitTests
{
    private const int Block = 16 * 1024;

    [Fact]
    public void TryTake_Unlimited_GrantsEverything()
    {
        var limit = new RateLimit(0, clock: new ManualClock());
        Assert.False(limit.IsLimited);
        Assert.Equal(1000, limit.TryTake(1000, Block));
        Assert.Equal(TimeSpan.Zero, limit.Delay);
    }

    [Fact]
    public void TryTake_FullBucket_GrantsAQuarterSecondOfTheRateThenNothing()
    {
        var limit = new RateLimit(1 << 20, clock: new ManualClock()); // 1 MiB/s: a burst of 256 KiB = 16 blocks
        Assert.Equal(16, limit.TryTake(100, Block));
        Assert.Equal(0, limit.TryTake(1, Block));
    }

    [Fact]
    public void TryTake_AfterTimePasses_GrantsWhatTheRateEarned()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(1 << 20, clock: clock);
        limit.TryTake(100, Block);
        clock.Advance(TimeSpan.FromMilliseconds(125)); // 128 KiB earned
        Assert.Equal(8, limit.TryTake(100, Block));
        Assert.Equal(0, limit.TryTake(100, Block));
    }

    [Fact]
    public void TryTake_OverTenSeconds_GrantsTheRateTimesTheTimePlusOneBurst()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(2 << 20, clock: clock);
        long granted = 0;
        for (var step = 0; step < 1000; step++) // 10 s in steps of 10 ms, always asking for more than is allowed
        {
            granted += (long)limit.TryTake(64, Block) * Block;
            clock.Advance(TimeSpan.FromMilliseconds(10));
        }
        // 20 MiB earned plus the first burst (512 KiB); a take may overdraw by less than one block.
        Assert.InRange(granted, (20L << 20) + (512 << 10) - Block, (20L << 20) + (512 << 10) + Block);
    }

    [Fact]
    public void TryTake_RefusedThenAskingLate_GetsWhatTheRateEarnedWhileItWaited()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(1 << 20, clock: clock);
        Assert.Equal(16, limit.TryTake(100, Block));
        Assert.Equal(0, limit.TryTake(1, Block));       // refused: somebody waits for tokens
        clock.Advance(TimeSpan.FromMilliseconds(600)); // and asks again late (a loaded machine): 614.4 KiB earned
        Assert.Equal(39, limit.TryTake(100, Block));   // 38.4 blocks: the last one overdraws
    }

    [Fact]
    public void TryTake_NobodyWaited_StillHoldsAQuarterSecondAfterAPause()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(1 << 20, clock: clock);
        Assert.Equal(16, limit.TryTake(16, Block));     // emptied, but nothing was refused
        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(16, limit.TryTake(100, Block));    // the burst: a quarter second
    }

    [Fact]
    public void TryTake_RefusedThenSilentForLong_KeepsAtMostOneSecond()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(1 << 20, clock: clock);
        limit.TryTake(100, Block);
        Assert.Equal(0, limit.TryTake(1, Block));
        clock.Advance(TimeSpan.FromSeconds(5));       // a waiter this late was stopped, not slow: no 5 s burst
        Assert.Equal(64, limit.TryTake(1000, Block));
    }

    [Fact]
    public void TryTake_AWaiterAlwaysLate_StillGetsTheRate()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(2 << 20, clock: clock); // 2 MiB/s: a burst of 32 blocks
        long granted = 0;
        for (var step = 0; step < 25; step++) // 10 s: take all, be refused, come back 400 ms later
        {
            granted += (long)limit.TryTake(1000, Block) * Block;
            Assert.Equal(0, limit.TryTake(1, Block));
            clock.Advance(TimeSpan.FromMilliseconds(400));
        }
        // 10 s of the rate (the last 400 ms not taken) plus the first burst: none of what was earned is lost.
        Assert.InRange(granted, (20L << 20) - (800 << 10) + (512 << 10) - Block, (20L << 20) - (800 << 10) + (512 << 10) + Block);
    }

    [Fact]
    public void TryTake_PartialChunk_OverdrawsAndTheDebtIsRepaidFirst()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(64 * 1024, clock: clock); // burst = one block (the minimum)
        Assert.Equal(1, limit.TryTake(1, Block));
        clock.Advance(TimeSpan.FromSeconds(0.125));         // 8 KiB earned: half a block, still granted, 8 KiB in debt
        Assert.Equal(1, limit.TryTake(1, Block));
        Assert.Equal(0, limit.TryTake(1, Block));
        Assert.Equal(TimeSpan.FromSeconds((8 * 1024 + 1) / (64.0 * 1024)), limit.Delay);
    }

    [Fact]
    public void TryTakeOnCredit_AnEmptyBucketOwingLessThanTheCredit_GrantsAChunk_AndLaterTakesWaitForTheDebt()
    {
        var clock = new ManualClock();
        var parent = new RateLimit(64 * 1024, clock: clock);
        var limit = new RateLimit(1 << 20, parent);
        Assert.Equal(1, limit.TryTake(1, Block));                    // the parent's one block: now empty
        Assert.Equal(0, limit.TryTake(1, Block));
        Assert.Equal(1, limit.TryTakeOnCredit(1, Block, credit: Block)); // a block the parent owes
        Assert.Equal(0, limit.TryTakeOnCredit(1, Block, credit: Block)); // it owes a block: no more on that credit
        clock.Advance(TimeSpan.FromSeconds(0.25));                  // one block earned repays the debt
        Assert.Equal(0, limit.TryTake(1, Block));
        Assert.Equal(TimeSpan.FromSeconds(1.0 / (64 * 1024)), limit.Delay);
    }

    [Fact]
    public void Delay_EmptyBucket_IsTheTimeToEarnOneByte()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(1 << 20, clock: clock);
        limit.TryTake(16, Block);
        Assert.Equal(TimeSpan.FromSeconds(1.0 / (1 << 20)), limit.Delay);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, limit.Delay);
    }

    [Fact]
    public void TryTake_UnderAParent_GrantsTheSmallerOfBothAndRefundsTheChild()
    {
        var clock = new ManualClock();
        var global = new RateLimit(256 * 1024, clock: clock);      // burst 64 KiB = 4 blocks
        var torrent = new RateLimit(1 << 20, global);               // burst 256 KiB = 16 blocks
        Assert.True(torrent.IsLimited);
        Assert.Equal(4, torrent.TryTake(100, Block));
        global.BytesPerSecond = 0;                                  // the global limit lifted: the child still holds 12 blocks
        Assert.Equal(12, torrent.TryTake(100, Block));
    }

    [Fact]
    public void TryTake_ParentLimitedChildUnlimited_FollowsTheParent()
    {
        var clock = new ManualClock();
        var global = new RateLimit(1 << 20, clock: clock);
        var a = new RateLimit(0, global);
        var b = new RateLimit(0, global);
        Assert.True(a.IsLimited);
        Assert.Equal(10, a.TryTake(10, Block));
        Assert.Equal(6, b.TryTake(10, Block)); // the two torrents share the one 16-block burst
        Assert.Equal(0, a.TryTake(10, Block));
    }

    [Fact]
    public void Refund_GivesTokensBackUpToTheBurst()
    {
        var limit = new RateLimit(1 << 20, clock: new ManualClock());
        Assert.Equal(16, limit.TryTake(16, Block));
        limit.Refund(4L * Block);
        Assert.Equal(4, limit.TryTake(16, Block));
        limit.Refund(100L * Block);
        Assert.Equal(16, limit.TryTake(100, Block));
    }

    [Fact]
    public void BytesPerSecond_Lowered_CutsTheBurstAtOnce()
    {
        var limit = new RateLimit(4 << 20, clock: new ManualClock()); // burst 1 MiB
        limit.BytesPerSecond = 256 * 1024;                             // burst 64 KiB
        Assert.Equal(4, limit.TryTake(100, Block));
    }

    [Fact]
    public void BytesPerSecond_SetFromUnlimited_StartsWithAFullBucket()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(0, clock: clock);
        limit.TryTake(100, Block);
        limit.BytesPerSecond = 1 << 20;
        Assert.Equal(16, limit.TryTake(100, Block));
        Assert.Equal(0, limit.TryTake(100, Block));
    }

    [Fact]
    public void BytesPerSecond_Negative_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimit(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimit(1).BytesPerSecond = -5);
    }

    [Fact]
    public async Task WaitAsync_InDebt_CompletesOnlyOnceTheClockHasEarnedTheDebtBack()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(64 * 1024, clock: clock);
        limit.TryTake(1, Block);
        clock.Advance(TimeSpan.FromMilliseconds(125));
        Assert.Equal(1, limit.TryTake(1, Block)); // 8 KiB earned, 16 KiB taken: 8 KiB in debt, 125 ms to repay
        var wait = limit.WaitAsync(TestContext.Current.CancellationToken);
        var advanced = TimeSpan.Zero;
        for (var i = 0; i < 20 && !wait.IsCompleted && clock.NextTimerIn is { } next; i++)
        {
            Assert.InRange(next, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(250)); // steps of 1 to 250 ms
            clock.Advance(next);
            advanced += next;
        }
        await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.InRange(advanced, TimeSpan.FromMilliseconds(125), TimeSpan.FromMilliseconds(127));
        Assert.Equal(TimeSpan.Zero, limit.Delay);
    }

    [Fact]
    public async Task WaitAsync_AFewBytesShort_WaitsOneMillisecondStepsNotASpin()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(64 * 1024, clock: clock);
        limit.TryTake(1, Block); // empty: one byte (15 us) away
        var wait = limit.WaitAsync(TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);
        Assert.Equal(TimeSpan.FromMilliseconds(1), clock.NextTimerIn);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws()
    {
        var limit = new RateLimit(64 * 1024, clock: new ManualClock());
        limit.TryTake(2, Block);
        using var cancel = new CancellationTokenSource();
        var wait = limit.WaitAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public void Beneath_TakesFromTheTorrentsLimitAndTheSessionsAndGivesBackWhatTheSessionRefused()
    {
        var clock = new ManualClock();
        var session = new RateLimit(1 << 20, clock: clock);       // a burst of 16 blocks
        var torrent = new RateLimit(2 << 20, clock: clock);       // a burst of 32 blocks, made without the session
        var both = RateLimit.Beneath(torrent, session);
        Assert.True(both.IsLimited);
        Assert.True(both.Reaches(session));
        Assert.Equal(16, both.TryTake(100, Block));               // the session's bucket is the smaller
        Assert.Equal(0, session.TryTake(1, Block));
        Assert.Equal(16, torrent.TryTake(100, Block));            // the torrent got its 16 refused blocks back
    }

    [Fact]
    public void Beneath_SessionUnlimitedNow_FollowsARateSetLater()
    {
        var clock = new ManualClock();
        var session = new RateLimit(0, clock: clock);
        var both = RateLimit.Beneath(new RateLimit(0, clock: clock), session);
        Assert.False(both.IsLimited);
        session.BytesPerSecond = 1 << 20;
        Assert.True(both.IsLimited);
        Assert.Equal(16, both.TryTake(100, Block));
        Assert.True(both.Delay > TimeSpan.Zero);
    }
    [Fact]
    public void TryTakeSpare_GrantsOnlyTokensAFullBucketWouldLose()
    {
        // What a sender whose requests wait behind first copies may take: tokens nobody took for a quarter second (a
        // full bucket), never those the first copies' senders take as they come.
        var clock = new ManualClock();
        var limit = new RateLimit(1 << 20, clock: clock); // 1 MiB/s: a burst of 256 KiB = 16 blocks
        Assert.Equal(16, limit.TryTakeSpare(16, Block));  // a full bucket is spare
        clock.Advance(TimeSpan.FromMilliseconds(200));     // 200 KiB earned: not full
        Assert.Equal(0, limit.TryTakeSpare(1, Block));
        clock.Advance(TimeSpan.FromMilliseconds(50));      // full: from now on tokens would be lost
        Assert.Equal(16, limit.TryTakeSpare(16, Block));
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(7, limit.TryTake(16, Block));        // a first copy's sender takes them as they come
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(0, limit.TryTakeSpare(1, Block));    // what it overdrew keeps the bucket short of full
    }

    [Fact]
    public void TryTakeSpare_UnderAParent_NeedsBothFull()
    {
        var clock = new ManualClock();
        var session = new RateLimit(1 << 20, clock: clock);
        var torrent = new RateLimit(0, session);
        Assert.Equal(16, session.TryTake(16, Block)); // another torrent emptied the session's bucket
        Assert.Equal(0, torrent.TryTakeSpare(1, Block));
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(16, torrent.TryTakeSpare(16, Block));
    }

    [Fact]
    public async Task WaitForSpareAsync_WaitsUntilTheBucketIsFull()
    {
        var clock = new ManualClock();
        var limit = new RateLimit(4 << 20, clock: clock); // a burst of 1 MiB, refilled in 250 ms
        limit.TryTake(64, Block);
        var wait = limit.WaitForSpareAsync(TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(wait.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(64, limit.TryTakeSpare(64, Block));
    }
}
