using TorrentLab.Pieces;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Which of a peer's requests the seed serves next, on a manual clock: in the order asked, except that while a
/// lone seed's first copy goes out, first copies go first and the rest wait for other peers' first copies, at most
/// <see cref="UploadQueue.HoldLimit"/> at a time.</summary>
public class UploadQueueTests
{
    private const int Block = 16 * 1024;
    private const int PieceLength = 2 * Block;

    private static readonly Func<int, bool> Any = _ => true;

    private static BlockRequest R(int piece, int block) => new(piece, block * Block, Block);

    private static (ManualClock Clock, FirstCopy First, UploadQueue Queue) Make(int pieces = 4)
    {
        var clock = new ManualClock();
        var first = new FirstCopy(Enumerable.Repeat(PieceLength, pieces).ToArray(), clock);
        return (clock, first, new UploadQueue("b", clock));
    }

    private static BlockRequest[] TakeAll(UploadQueue queue, FirstCopy? first, bool othersWait, Func<int, bool>? mayServe = null)
    {
        var count = queue.Plan(first, othersWait, mayServe ?? Any, out var holdYoung);
        var into = new BlockRequest[Math.Max(count, 1)];
        return into[..queue.Take(into, count, first, holdYoung, mayServe ?? Any)];
    }

    [Fact]
    public void WithoutTheRule_RequestsLeaveInTheOrderAsked()
    {
        var (_, _, queue) = Make();
        foreach (var r in new[] { R(2, 0), R(0, 1), R(1, 0) }) queue.Add(r);

        Assert.Equal([R(2, 0), R(0, 1), R(1, 0)], TakeAll(queue, first: null, othersWait: true));
        Assert.False(queue.Holding);
    }

    [Fact]
    public void FirstCopiesLeaveFirst_ThenAPieceAnotherPeerGot_WhenNobodyElseWaitsForAFirstCopy()
    {
        var (_, first, queue) = Make();
        first.Sent("a", 0, Block);
        first.Sent("a", 0, Block); // piece 0 left whole, to "a"
        foreach (var r in new[] { R(0, 0), R(0, 1), R(1, 0), R(1, 1) }) queue.Add(r);

        Assert.Equal([R(1, 0), R(1, 1), R(0, 0), R(0, 1)], TakeAll(queue, first, othersWait: false));
        Assert.Equal(Block * 2, first.SentAgain);
    }

    [Fact]
    public void APieceAnotherPeerGets_WaitsWhileOthersGetFirstCopies_AtMostHoldLimitFromItsRequest_ThenThePeerFinishesIt()
    {
        var (clock, first, queue) = Make();
        first.Sent("a", 0, Block); // "a" owns piece 0, half-way
        queue.Add(R(0, 0));
        clock.Advance(TimeSpan.FromSeconds(1));
        queue.Add(R(0, 1));

        Assert.Empty(TakeAll(queue, first, othersWait: true));
        Assert.True(queue.Holding);
        clock.Advance(UploadQueue.HoldLimit - TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(TakeAll(queue, first, othersWait: true));

        clock.Advance(TimeSpan.FromMilliseconds(1)); // the first request has waited HoldLimit, the second not yet
        var into = new BlockRequest[2];
        var count = queue.Plan(first, othersWait: true, Any, out var holdYoung);
        Assert.Equal(1, count);
        Assert.True(queue.Holding); // the second is still waiting

        // Once the first goes, the second follows at once: what it started the peer may finish (half a piece is of no
        // use to it).
        Assert.Equal(2, queue.Take(into, 2, first, holdYoung, Any));
        Assert.Equal([R(0, 0), R(0, 1)], into);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void ARequestThatWaited_DoesNotLetALaterOneSkipItsWait()
    {
        var (clock, first, queue) = Make();
        first.Sent("a", 0, Block);
        first.Sent("a", 1, Block);
        queue.Add(R(0, 0));
        clock.Advance(UploadQueue.HoldLimit);
        Assert.Equal([R(0, 0)], TakeAll(queue, first, othersWait: true));

        queue.Add(R(1, 0)); // another piece "a" is getting: it waits its own time

        Assert.Empty(TakeAll(queue, first, othersWait: true));
        Assert.True(queue.Holding);
    }

    [Fact]
    public void APeerThatKeepsGettingFirstCopies_KeepsItsOtherRequestsWaiting_PastHoldLimit()
    {
        var (clock, first, queue) = Make(pieces: 16);
        first.Sent("a", 0, Block); // "a" is getting piece 0
        queue.Add(R(0, 0));
        for (var piece = 1; piece < 16; piece++) queue.Add(R(piece, 0));

        var sent = new List<BlockRequest>();
        var seconds = (int)FirstCopy.StaleAfter.TotalSeconds - 1; // past HoldLimit; "a" still holds piece 0
        Assert.True(seconds > UploadQueue.HoldLimit.TotalSeconds);
        for (var second = 0; second < seconds; second++)
        {
            var count = queue.Plan(first, othersWait: true, Any, out var holdYoung);
            var into = new BlockRequest[1];
            if (queue.Take(into, Math.Min(count, 1), first, holdYoung, Any) == 1) sent.Add(into[0]); // a block a second
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(Enumerable.Range(1, seconds).Select(p => R(p, 0)), sent);
        Assert.True(queue.Holding);
    }

    [Fact]
    public void RequestsThatMayNotBeServedNow_StayQueued_AndCountForNothing()
    {
        var (_, first, queue) = Make();
        queue.Add(R(1, 0));
        queue.Add(R(2, 0));
        Func<int, bool> onlyTwo = piece => piece == 2; // choked, piece 2 in its allowed fast set

        Assert.Equal([R(2, 0)], TakeAll(queue, first, othersWait: true, onlyTwo));
        Assert.Equal(1, queue.Count);
        Assert.False(queue.HasFirstCopies(first, onlyTwo));
        Assert.True(queue.HasFirstCopies(first, Any));
    }

    [Fact]
    public void OnceTheRuleEnds_EveryRequestIsAFirstCopy_AndNothingWaits()
    {
        var (_, first, queue) = Make();
        first.Sent("a", 0, Block);
        queue.Add(R(0, 1));
        queue.Add(R(1, 0));
        first.AnotherSource();

        Assert.Equal([R(0, 1), R(1, 0)], TakeAll(queue, first, othersWait: true));
    }

    [Fact]
    public void RemoveAll_DropsWhatItSelects_AndSaysWhich()
    {
        var (_, _, queue) = Make();
        foreach (var r in new[] { R(0, 0), R(1, 0), R(0, 1) }) queue.Add(r);
        var dropped = new List<BlockRequest>();

        queue.RemoveAll(r => r.Index == 0, dropped.Add);

        Assert.Equal([R(0, 0), R(0, 1)], dropped);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.Remove(R(1, 0)));
        Assert.False(queue.Remove(R(1, 0)));
    }
}
