using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The upload limit's turns (UploadTurns): one peer takes tokens at a time, for a run of blocks, then the
/// peers that waited, first come first served; a holder that stalls or falls behind the rate loses its turn, and a peer
/// whose connection paces it takes beside the turns.</summary>
public class UploadTurnsTests
{
    private const int Block = 16 * 1024;
    private const long Rate = 1 << 20; // 1 MiB/s: turns of 32 blocks (half a second)

    [Fact]
    public void TurnBlocks_HalfASecondOfTheRate_Within4And64()
    {
        Assert.Equal(32, UploadTurns.TurnBlocks(Rate, Block));
        Assert.Equal(4, UploadTurns.TurnBlocks(16 * 1024, Block));
        Assert.Equal(64, UploadTurns.TurnBlocks(100L << 20, Block));
    }

    [Fact]
    public void TryClaim_WhileAnotherHoldsTheTurn_IsRefusedUntilItsBlocksAreTaken()
    {
        var turns = new UploadTurns(new ManualClock());
        object a = new(), b = new();
        Assert.True(turns.TryClaim(a, Rate, Block));
        Assert.False(turns.TryClaim(b, Rate, Block));
        turns.Took(a, 31);
        Assert.True(turns.TryClaim(a, Rate, Block));   // one block of its turn left
        Assert.False(turns.TryClaim(b, Rate, Block));
        turns.Took(a, 1);
        Assert.Null(turns.Holder);                      // nobody waited: the next claim takes it
        Assert.True(turns.TryClaim(b, Rate, Block));
        Assert.Same(b, turns.Holder);
    }

    [Fact]
    public async Task EndOfATurn_HandsTheNextToTheFirstWaiter_NotToTheHolderNorALaterWaiter()
    {
        var turns = new UploadTurns(new ManualClock());
        object a = new(), b = new(), c = new();
        Assert.True(turns.TryClaim(a, Rate, Block));
        Assert.False(turns.TryClaim(b, Rate, Block));
        var bWaits = turns.WaitAsync(b, CancellationToken.None);
        Assert.False(turns.TryClaim(c, Rate, Block));
        var cWaits = turns.WaitAsync(c, CancellationToken.None);
        Assert.False(bWaits.IsCompleted);

        turns.Took(a, 32);
        await bWaits;
        Assert.Same(b, turns.Holder);
        Assert.False(cWaits.IsCompleted);
        Assert.False(turns.TryClaim(a, Rate, Block));  // the old holder queues behind c
        Assert.True(turns.TryClaim(b, Rate, Block));

        turns.Done(b);                                  // nothing left to send: c's turn
        await cWaits;
        Assert.Same(c, turns.Holder);
    }

    [Fact]
    public async Task AHolderThatTakesNothingForStaleAfter_LosesTheTurnToTheWaiter()
    {
        var clock = new ManualClock();
        var turns = new UploadTurns(clock);
        object a = new(), b = new();
        Assert.True(turns.TryClaim(a, Rate, Block));
        turns.Took(a, 1);
        Assert.False(turns.TryClaim(b, Rate, Block));
        var bWaits = turns.WaitAsync(b, CancellationToken.None);

        clock.Advance(UploadTurns.StaleAfter - TimeSpan.FromMilliseconds(1));
        Assert.False(bWaits.IsCompleted);
        Assert.Same(a, turns.Holder);
        clock.Advance(TimeSpan.FromMilliseconds(1));   // the waiter's timer: the holder has stalled
        await bWaits;
        Assert.Same(b, turns.Holder);
        Assert.True(turns.TryClaim(b, Rate, Block));
    }

    [Fact]
    public void AtALowRate_AHolderWaitingABlocksTimeForTokens_IsNotStale()
    {
        var clock = new ManualClock();
        var turns = new UploadTurns(clock);
        object a = new(), b = new();
        const long slow = 16 * 1024; // a block a second
        Assert.True(turns.TryClaim(a, slow, Block));
        turns.Took(a, 1);
        clock.Advance(TimeSpan.FromSeconds(1.5));       // waiting for its next block's tokens
        Assert.False(turns.TryClaim(b, slow, Block));
        clock.Advance(TimeSpan.FromSeconds(0.5));       // two blocks' time without a take: stalled
        Assert.True(turns.TryClaim(b, slow, Block));
    }

    /// <summary>A block's time at <see cref="Rate"/>: 1/64 s.</summary>
    private static readonly TimeSpan BlockTime = TimeSpan.FromSeconds((double)Block / Rate);

    /// <summary>A peer's sender under turns, as <c>PeerUpload.DrainAsync</c> is: it asks, and waits when it is not its turn.</summary>
    private static async Task TurnOfAsync(UploadTurns turns, object peer)
    {
        while (!turns.TryClaim(peer, Rate, Block)) await turns.WaitAsync(peer, CancellationToken.None);
    }

    [Fact]
    public async Task AHolderTakingABlockEvery60Ms_FallsBehindTheRate_AndLosesItsTurnToTheWaiterWithinTheTurnsTime()
    {
        // A slow reader: its connection takes a block every 60 ms, so it never goes StaleAfter without taking, and it
        // used to hold a turn of 32 blocks for two seconds while the waiter got nothing.
        var clock = new ManualClock();
        var turns = new UploadTurns(clock);
        object slow = new(), waiter = new();
        Assert.True(turns.TryClaim(slow, Rate, Block));
        turns.Took(slow, 1);
        var waiterGetsIt = TurnOfAsync(turns, waiter);
        var blocks = 1;
        var held = TimeSpan.Zero;
        while (true)
        {
            clock.Advance(TimeSpan.FromMilliseconds(60));
            held += TimeSpan.FromMilliseconds(60);
            if (!turns.TryClaim(slow, Rate, Block)) break;
            turns.Took(slow, 1);
            blocks++;
        }
        await waiterGetsIt;

        Assert.Same(waiter, turns.Holder);
        // StaleAfter behind the rate's pace (a block every 15.6 ms): after 300 ms and 5 of its 32 blocks, where the turn
        // at the rate is 500 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(300), held);
        Assert.Equal(5, blocks);
        Assert.True(held < UploadTurns.TurnBlocks(Rate, Block) * BlockTime);
    }

    [Fact]
    public async Task AHolderTakingAtTheRate_KeepsItsTurnForAllItsBlocks_AlsoWhenWokenLateOnce()
    {
        var clock = new ManualClock();
        var turns = new UploadTurns(clock);
        object holder = new(), waiter = new();
        Assert.True(turns.TryClaim(holder, Rate, Block));
        var waiterGetsIt = TurnOfAsync(turns, waiter);
        var taken = 0;
        while (taken < 32)
        {
            // A block as each one's tokens come; once, woken 150 ms late (a loaded machine), it takes the ten blocks the
            // bucket kept for it meanwhile (a batch is at most 8) and is back on the rate's pace.
            var late = taken == 10;
            clock.Advance(late ? BlockTime + TimeSpan.FromMilliseconds(150) : BlockTime);
            foreach (var batch in late ? [8, 2] : (int[])[1])
            {
                Assert.True(turns.TryClaim(holder, Rate, Block), $"lost its turn after {taken} blocks");
                Assert.Same(holder, turns.Holder);
                turns.Took(holder, batch);
                taken += batch;
            }
        }
        await waiterGetsIt;

        Assert.Equal(32, taken);
        Assert.Same(waiter, turns.Holder);
    }

    [Fact]
    public async Task AHolderWaitingForTokensThatASharedLimitGivesItSlowly_IsNotBehind_AndKeepsItsTurnForAllItsBlocks()
    {
        // A session's limit shared by four torrents: this torrent's holder finds tokens for a block every 60 ms and
        // waits for each, as far along as the limit lets it be.
        var clock = new ManualClock();
        var turns = new UploadTurns(clock);
        object holder = new(), waiter = new();
        Assert.True(turns.TryClaim(holder, Rate, Block));
        var waiterGetsIt = TurnOfAsync(turns, waiter);
        for (var taken = 0; taken < 32; taken++)
        {
            turns.WaitsForTokens(holder);
            clock.Advance(TimeSpan.FromMilliseconds(60));
            Assert.True(turns.TryClaim(holder, Rate, Block), $"lost its turn after {taken} blocks");
            turns.Took(holder, 1);
        }
        await waiterGetsIt;
        Assert.Same(waiter, turns.Holder);
    }

    [Fact]
    public async Task AHolderWhoseSendWaitedForRoom_PassesItsTurnOnAtOnce_AndTakesBesideTheTurnsUntilASendGoesStraightThrough()
    {
        var turns = new UploadTurns(new ManualClock());
        object slow = new(), waiter = new();
        Assert.True(turns.TryClaim(slow, Rate, Block));
        turns.Took(slow, 1);
        var waiterGetsIt = TurnOfAsync(turns, waiter);

        turns.Sent(slow, waited: true);                 // its connection is full: no turn brings its bytes sooner
        await waiterGetsIt;
        Assert.Same(waiter, turns.Holder);
        Assert.True(turns.PacedByConnection(slow));
        Assert.True(turns.TryClaim(slow, Rate, Block)); // beside the waiter's turn, which it keeps
        await turns.WaitAsync(slow, CancellationToken.None); // returns at once: it waits for no turn
        Assert.Same(waiter, turns.Holder);

        turns.Sent(slow, waited: false);                // its connection took a send at once: turns again
        Assert.False(turns.PacedByConnection(slow));
        Assert.False(turns.TryClaim(slow, Rate, Block));
        Assert.Same(waiter, turns.Holder);
    }

    [Fact]
    public void APeerThatWasPacedByItsConnection_IsForgottenWhenItIsDone()
    {
        var turns = new UploadTurns(new ManualClock());
        object peer = new(), other = new();
        Assert.True(turns.TryClaim(other, Rate, Block));
        turns.Sent(peer, waited: true);
        turns.Done(peer);                               // nothing left to send, or gone
        Assert.False(turns.PacedByConnection(peer));
        Assert.False(turns.TryClaim(peer, Rate, Block));
    }

    [Fact]
    public async Task AWaiterThatLeaves_IsSkipped()
    {
        var turns = new UploadTurns(new ManualClock());
        object a = new(), b = new(), c = new();
        Assert.True(turns.TryClaim(a, Rate, Block));
        using var cts = new CancellationTokenSource();
        var bWaits = turns.WaitAsync(b, cts.Token);
        var cWaits = turns.WaitAsync(c, CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bWaits);
        turns.Done(a);
        await cWaits;
        Assert.Same(c, turns.Holder);
    }
}
