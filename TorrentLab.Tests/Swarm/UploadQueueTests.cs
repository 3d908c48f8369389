using TorrentLab.Pieces;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Which of a peer's requests the seed serves next: in the order asked, except that while a lone seed's first
/// copy goes out, first copies go first; and under an upload limit only they take the limit's tokens as they come, the
/// rest only tokens nobody took (<see cref="QueuePlan"/>).</summary>
public class UploadQueueTests
{
    private const int Block = 16 * 1024;
    private const int PieceLength = 2 * Block;

    private static readonly Func<int, bool> Any = _ => true;

    private static BlockRequest R(int piece, int block) => new(piece, block * Block, Block);

    private static (FirstCopy First, UploadQueue Queue) Make(int pieces = 4) =>
        (new FirstCopy(Enumerable.Repeat(PieceLength, pieces).ToArray(), new ManualClock()), new UploadQueue("b"));

    /// <summary>What the sender takes with the tokens it may take as they come (<see cref="QueuePlan.Now"/>).</summary>
    private static BlockRequest[] TakeNow(UploadQueue queue, FirstCopy? first, bool limited, Func<int, bool>? mayServe = null)
    {
        var plan = queue.Plan(first, limited, mayServe ?? Any);
        var into = new BlockRequest[Math.Max(plan.Now, 1)];
        return into[..queue.Take(into, plan.Now, first, limited, onlyNow: limited, mayServe ?? Any)];
    }

    [Fact]
    public void WithoutTheRule_RequestsLeaveInTheOrderAsked()
    {
        var (_, queue) = Make();
        foreach (var r in new[] { R(2, 0), R(0, 1), R(1, 0) }) queue.Add(r);

        Assert.Equal(new QueuePlan(3, 0), queue.Plan(null, limited: true, Any));
        Assert.Equal([R(2, 0), R(0, 1), R(1, 0)], TakeNow(queue, first: null, limited: true));
    }

    [Fact]
    public void UnderALimit_FirstCopiesLeaveFirst_ThenAPieceAnotherPeerGot()
    {
        var (first, queue) = Make();
        first.Sent("a", 0, Block);
        first.Sent("a", 0, Block); // piece 0 left whole, to "a"
        foreach (var r in new[] { R(0, 0), R(0, 1), R(1, 0), R(1, 1) }) queue.Add(r);

        var into = new BlockRequest[4];
        Assert.Equal(4, queue.Take(into, 4, first, limited: true, onlyNow: false, Any)); // spare tokens: every kind
        Assert.Equal([R(1, 0), R(1, 1), R(0, 0), R(0, 1)], into);
        Assert.Equal(Block * 2, first.SentAgain);
    }

    [Fact]
    public void WithoutALimit_EveryRequestGoesNow_InTheOrderAsked_PiecesAnotherPeerGetsAndPacedOnesToo()
    {
        // Issue 84: without an upload limit nothing is held back, whatever the rule thinks of the pieces: holding a
        // request only leaves the upload idle. What goes is still counted (the rule ends when every piece left once).
        var (first, queue) = Make();
        first.OthersLacking = (owner, _) => owner.Equals("b") ? ["a"] : ["b"];
        first.Asked("a", 0);       // "a" is heard from (so it is someone to spread to)
        first.Sent("a", 0, Block); // "a" is getting piece 0
        first.Sent("b", 1, Block);
        first.Sent("b", 1, Block); // "b" got piece 1 whole, which nobody else has: it is paced
        queue.Add(R(0, 0));        // again
        queue.Add(R(2, 0));        // paced
        queue.Add(R(3, 0));        // paced

        Assert.Equal(RequestClass.Paced, first.Classify("b", 2));
        Assert.Equal(new QueuePlan(3, 0), queue.Plan(first, limited: false, Any));
        Assert.Equal([R(0, 0), R(2, 0), R(3, 0)], TakeNow(queue, first, limited: false));
        Assert.Equal(Block, first.SentAgain);
    }

    [Fact]
    public void UnderALimit_OnlyFirstCopiesTakeTokensAsTheyCome_TheRestTakeSpareOnes_PacedBeforeAgain()
    {
        var (first, queue) = Make();
        first.OthersLacking = (owner, _) => owner.Equals("b") ? ["a"] : ["b"];
        first.Asked("a", 0);
        first.Sent("a", 0, Block); // "a" is getting piece 0
        queue.Add(R(0, 0));        // again
        queue.Add(R(1, 0));        // a first copy

        Assert.Equal(new QueuePlan(1, 1), queue.Plan(first, limited: true, Any));
        Assert.Equal([R(1, 0)], TakeNow(queue, first, limited: true));
        first.Sent("b", 1, Block); // "b" now has piece 1 whole, nobody else: its next new piece is paced
        queue.Add(R(2, 0));

        var plan = queue.Plan(first, limited: true, Any);
        Assert.Equal(new QueuePlan(0, 2), plan);
        var into = new BlockRequest[2];
        Assert.Equal(2, queue.Take(into, plan.Later, first, limited: true, onlyNow: false, Any)); // spare tokens: in the rule's order
        Assert.Equal([R(2, 0), R(0, 0)], into);
    }

    [Fact]
    public void APieceStartedWithSpareTokens_IsFinishedWithTokensAsTheyCome()
    {
        // Half a piece is of no use to a peer: once it got a block of a piece another peer is getting, the rest of that
        // piece is a first copy for it too.
        var (first, queue) = Make();
        first.Sent("a", 0, Block);
        queue.Add(R(0, 0));
        queue.Add(R(0, 1));
        var into = new BlockRequest[1];
        Assert.Equal(1, queue.Take(into, 1, first, limited: true, onlyNow: false, Any));

        Assert.Equal(new QueuePlan(1, 0), queue.Plan(first, limited: true, Any));
    }

    [Fact]
    public void RequestsThatMayNotBeServedNow_StayQueued_AndCountForNothing()
    {
        var (first, queue) = Make();
        queue.Add(R(1, 0));
        queue.Add(R(2, 0));
        Func<int, bool> onlyTwo = piece => piece == 2; // choked, piece 2 in its allowed fast set

        Assert.Equal(new QueuePlan(1, 0), queue.Plan(first, limited: true, onlyTwo));
        Assert.Equal([R(2, 0)], TakeNow(queue, first, limited: true, onlyTwo));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void OnceTheRuleEnds_EveryRequestIsAFirstCopy_AndNothingWaits()
    {
        var (first, queue) = Make();
        first.Sent("a", 0, Block);
        queue.Add(R(0, 1));
        queue.Add(R(1, 0));
        first.AnotherSource();

        Assert.Equal(new QueuePlan(2, 0), queue.Plan(first, limited: true, Any));
        Assert.Equal([R(0, 1), R(1, 0)], TakeNow(queue, first, limited: true));
    }

    [Fact]
    public void RejectAgainOnce_RejectsThePiecesAnotherPeerGot_OnceABlock_AndKeepsFirstCopies()
    {
        // Issue 84: a peer whose queue holds only pieces another peer got waits for spare tokens; told no, it asks for
        // a piece nobody has, which takes the tokens as they come. Asked again, the block waits as before.
        var (first, queue) = Make();
        first.Sent("a", 0, Block);
        first.Sent("a", 0, Block); // piece 0 left whole, to "a"
        foreach (var r in new[] { R(0, 0), R(1, 0), R(0, 1) }) queue.Add(r);
        var rejected = new List<BlockRequest>();

        Assert.Equal(2, queue.RejectAgainOnce(first, Any, rejected.Add));

        Assert.Equal([R(0, 0), R(0, 1)], rejected);
        Assert.Equal(new QueuePlan(1, 0), queue.Plan(first, limited: true, Any)); // the first copy stays
        queue.Add(R(0, 0)); // asked again: it wants nothing else of us
        Assert.Equal(0, queue.RejectAgainOnce(first, Any, rejected.Add));
        Assert.Equal(new QueuePlan(1, 1), queue.Plan(first, limited: true, Any));
        Assert.Equal(0, queue.RejectAgainOnce(first, _ => false, rejected.Add)); // one that may not be served is not ours to answer here
        Assert.Equal(2, rejected.Count);
    }

    [Fact]
    public void RemoveAll_DropsWhatItSelects_AndSaysWhich()
    {
        var (_, queue) = Make();
        foreach (var r in new[] { R(0, 0), R(1, 0), R(0, 1) }) queue.Add(r);
        var dropped = new List<BlockRequest>();

        queue.RemoveAll(r => r.Index == 0, dropped.Add);

        Assert.Equal([R(0, 0), R(0, 1)], dropped);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.Remove(R(1, 0)));
        Assert.False(queue.Remove(R(1, 0)));
    }
}
