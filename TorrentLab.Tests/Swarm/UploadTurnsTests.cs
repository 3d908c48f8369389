using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The upload limit's turns (UploadTurns): one peer takes tokens at a time, for a run of blocks, then the
/// peers that waited, first come first served; a holder that stalls loses its turn.</summary>
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
