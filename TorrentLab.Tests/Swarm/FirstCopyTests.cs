using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>A lone seed's first copy without a network, on a manual clock: which requests count as first copies,
/// who owns a piece being sent, when a piece is free again, and what is suggested to whom.</summary>
public class FirstCopyTests
{
    private const int Piece = 4 * 16 * 1024; // four blocks
    private const int Block = 16 * 1024;

    private static FirstCopy Make(int pieces, ManualClock clock) => new(Enumerable.Repeat(Piece, pieces).ToArray(), clock);

    [Fact]
    public void APieceNeverSent_IsAFirstCopyForAnyone_ThenBelongsToThePeerSentItsFirstBlock()
    {
        var clock = new ManualClock();
        var first = Make(4, clock);
        Assert.True(first.IsFirstCopy("a", 0));
        Assert.True(first.IsFirstCopy("b", 0));

        first.Sent("a", 0, Block);

        Assert.Equal("a", first.OwnerOf(0));
        Assert.True(first.IsFirstCopy("a", 0));   // the rest of its piece
        Assert.False(first.IsFirstCopy("b", 0));  // another's: it waits
        Assert.True(first.IsFirstCopy("b", 1));
    }

    [Fact]
    public void TheFirstPeerToAsk_HoldsThePiece_ThoughAnotherIsServedFirst()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);

        first.Asked("a", 0);
        first.Asked("b", 0);

        Assert.Equal("a", first.OwnerOf(0));
        Assert.False(first.IsFirstCopy("b", 0));
        Assert.Null(first.Suggest("c", i => i == 0)); // spoken for
        clock.Advance(FirstCopy.StaleAfter);          // nothing of it left for "a" meanwhile (a queue too deep)
        Assert.True(first.IsFirstCopy("b", 0));
    }

    [Fact]
    public void AChokedPeer_GivesBackThePiecesItAskedForAndGotNothingOf_ButKeepsOneItStarted()
    {
        var clock = new ManualClock();
        var first = Make(3, clock);
        first.Asked("a", 0);
        first.Asked("a", 1);
        first.Sent("a", 1, Block);

        first.Choked("a");

        Assert.Null(first.OwnerOf(0));
        Assert.Equal("a", first.OwnerOf(1));
        Assert.True(first.IsFirstCopy("b", 0));
        Assert.False(first.IsFirstCopy("b", 1));
    }

    [Fact]
    public void APieceSentWhole_HasLeftOnce_AndIsAFirstCopyForNobodyElse()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);

        for (var b = 0; b < 4; b++) first.Sent("a", 0, Block);

        Assert.Equal(1, first.PiecesOut);
        Assert.False(first.IsFirstCopy("b", 0));
        clock.Advance(FirstCopy.StaleAfter * 3); // a piece that left is not taken back by time
        Assert.False(first.IsFirstCopy("b", 0));
        Assert.Equal(0, first.SentAgain);
    }

    [Fact]
    public void AnOwnerSentNothingForStaleAfter_LosesThePiece_AndTheNextPeerSentABlockOwnsIt()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);
        first.Sent("a", 0, Block);

        clock.Advance(FirstCopy.StaleAfter - TimeSpan.FromSeconds(1));
        Assert.False(first.IsFirstCopy("b", 0));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(first.IsFirstCopy("b", 0));

        first.Sent("b", 0, Block);

        Assert.Equal("b", first.OwnerOf(0));
        Assert.Equal(Block, first.SentAgain); // what the stale owner got is lost to the swarm
        Assert.False(first.IsFirstCopy("c", 0));
    }

    [Fact]
    public void APeerSentPartOfAPieceAnotherOwns_MayFinishIt_AndWhatItGetsCountsAsSentAgain()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);
        first.Sent("a", 0, Block);

        first.Sent("b", 0, Block); // served after its wait (UploadQueue.HoldLimit)

        Assert.True(first.IsFirstCopy("b", 0)); // half a piece is of no use to it
        Assert.False(first.IsFirstCopy("c", 0));
        Assert.Equal(Block, first.SentAgain);
        Assert.Equal("a", first.OwnerOf(0));
    }

    [Fact]
    public void AnOwnerLeavingMidPiece_FreesIt_AndOneLeavingWithTheOnlyCopy_PutsItBack()
    {
        var clock = new ManualClock();
        var first = Make(3, clock);
        first.Sent("a", 0, Block);                          // half-way
        for (var b = 0; b < 4; b++) first.Sent("a", 1, Block); // whole, nobody else announced it
        for (var b = 0; b < 4; b++) first.Sent("a", 2, Block); // whole, and "b" has it from "a"
        first.PeerHas("b", 2);
        Assert.Equal(2, first.PiecesOut);

        first.PeerLeft("a", heldByOthers: i => i == 2);

        Assert.Null(first.OwnerOf(0));
        Assert.True(first.IsFirstCopy("c", 0));
        Assert.True(first.IsFirstCopy("c", 1));
        Assert.False(first.IsFirstCopy("c", 2));
        Assert.Equal(1, first.PiecesOut);
    }

    [Fact]
    public void APieceAPeerAnnounces_HasLeftOnce_WhoeverSentIt()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);

        first.PeerHas("b", 1); // its bitfield: it had the piece from another source

        Assert.False(first.IsFirstCopy("c", 1));
        Assert.Equal(1, first.PiecesOut);
    }

    [Fact]
    public void TheRuleEnds_WhenEveryPieceLeftOnce_OrAnotherCompleteSourceIsSeen()
    {
        var clock = new ManualClock();
        var whole = Make(2, clock);
        for (var i = 0; i < 2; i++) for (var b = 0; b < 4; b++) whole.Sent("a", i, Block);
        Assert.False(whole.Active);
        Assert.True(whole.IsFirstCopy("b", 0)); // served as asked from now on
        Assert.Null(whole.Suggest("b", _ => true));

        var other = Make(2, clock);
        other.Sent("a", 0, Block);
        Assert.True(other.Active);
        other.AnotherSource();
        Assert.False(other.Active);
        Assert.True(other.IsFirstCopy("b", 0));
        Assert.Null(other.Suggest("b", _ => true));
    }

    [Fact]
    public void CouldStartNew_WhileAPieceNobodyIsGettingRemains_AndThePeersPaceAllowsIt()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);
        Assert.True(first.CouldStartNew("b", _ => true));

        first.Sent("a", 0, Block); // "a" is getting piece 0
        Assert.True(first.CouldStartNew("b", _ => true)); // piece 1: nobody's

        first.Sent("c", 1, Block); // "c" is getting piece 1: nothing new is left for "b"
        Assert.False(first.CouldStartNew("b", _ => true));

        clock.Advance(FirstCopy.StaleAfter); // both owners went stale: their pieces are free again
        Assert.True(first.CouldStartNew("b", _ => true));

        first.AnotherSource(); // the rule ended: nothing is held, nothing to make way for
        Assert.False(first.CouldStartNew("b", _ => true));
    }

    [Fact]
    public void CouldStartNew_IsFalseForAPeerThatHoldsEveryPieceNobodyIsGetting()
    {
        var first = Make(3, new ManualClock());
        first.Sent("a", 0, Block); // "a" is getting piece 0; pieces 1 and 2 are nobody's

        Assert.False(first.CouldStartNew("b", i => i == 0)); // "b" came with pieces 1 and 2: it can start nothing new
        Assert.True(first.CouldStartNew("b", i => i != 1));  // it lacks piece 2
    }

    [Fact]
    public void CouldStartNew_IsFalseForAPeerItsPaceHoldsBack()
    {
        var clock = new ManualClock();
        var first = Make(4, clock);
        first.OthersLacking = (owner, _) => owner.Equals("b") ? ["a"] : ["b"];
        first.Asked("a", 0); // "a" is heard from: someone "b" could pass pieces to
        for (var b = 0; b < 4; b++) first.Sent("b", 1, Block); // "b" got piece 1 whole, and nobody else has it

        Assert.False(first.CouldStartNew("b", _ => true));
        Assert.True(first.CouldStartNew("a", _ => true));
    }

    [Fact]
    public void Suggest_GivesEachPeerADifferentPieceItLacks_NeitherOwnedNorOut()
    {
        var clock = new ManualClock();
        var first = Make(6, clock);
        for (var b = 0; b < 4; b++) first.Sent("x", 0, Block); // out
        first.Sent("x", 1, Block);                               // owned

        var toA = first.Suggest("a", i => i != 2);  // "a" has piece 2
        var toB = first.Suggest("b", _ => true);
        var toA2 = first.Suggest("a", i => i != 2);

        int?[] given = [toA, toB, toA2];
        Assert.All(given, p => Assert.NotNull(p));
        Assert.Equal(3, given.Distinct().Count());
        Assert.All(given, p => Assert.DoesNotContain(p!.Value, new[] { 0, 1 }));
        Assert.NotEqual(2, toA);
        Assert.NotEqual(2, toA2);
        Assert.Equal(2, first.PendingSuggestions("a"));
        Assert.Equal(1, first.PendingSuggestions("b"));
    }

    [Fact]
    public void ASuggestionTaken_OrLeftStale_IsNoLongerPending_AndAStaleOneMayGoToAnotherPeer()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);
        var toA = first.Suggest("a", _ => true)!.Value;
        var toB = first.Suggest("b", _ => true)!.Value;
        Assert.Null(first.Suggest("c", _ => true)); // both pieces are spoken for

        clock.Advance(FirstCopy.StaleAfter);
        first.Sent("a", toA, Block); // taken: "a" owns it now
        Assert.Equal(0, first.PendingSuggestions("a"));

        Assert.Equal(0, first.PendingSuggestions("b")); // left stale
        Assert.Equal(toB, first.Suggest("c", _ => true));
    }

    [Fact]
    public void ASuggestionAskedFor_Unpaced_IsTakenAtTheRequest_Paced_StaysTheHeldPeersUntilItMayClaimIt()
    {
        var clock = new ManualClock();
        var first = Paced(6, clock, "a", "b");
        first.Asked("b", 5);                          // "b" takes part
        var suggested = first.Suggest("a", _ => true)!.Value;
        SendWhole(first, "a", suggested == 0 ? 1 : 0); // then "a" got a whole piece that has not spread: it is paced

        Assert.False(first.Asked("a", suggested));     // paced: held, claims nothing, and the piece stays suggested to it
        Assert.Null(first.OwnerOf(suggested));
        Assert.Equal(1, first.PendingSuggestions("a"));

        Assert.True(first.Asked("a", suggested, paced: false)); // unpaced: taken, and claimed
        Assert.Equal(0, first.PendingSuggestions("a"));
        Assert.Equal("a", first.OwnerOf(suggested));
        Assert.False(first.Asked("a", 4, paced: false));         // never suggested to it
        Assert.False(first.Asked("b", suggested, paced: false)); // suggested to another
    }

    [Fact]
    public void AnUnpacedSuggestion_IgnoresThePeersPace_APacedOneWaitsForIt()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a", "b");
        first.Asked("b", 3);
        SendWhole(first, "a", 0);                      // "a" is paced until piece 0 spreads

        Assert.Null(first.Suggest("a", _ => true));
        var unpaced = first.Suggest("a", i => i != 0, paced: false);
        Assert.NotNull(unpaced);
        Assert.DoesNotContain(unpaced!.Value, new[] { 0, 3 }); // out, and claimed by "b"
    }

    /// <summary>A rule with pacing, where every peer but the owner lacks every piece (the swarm's view).</summary>
    private static FirstCopy Paced(int pieces, ManualClock clock, params string[] peers) =>
        new(Enumerable.Repeat(Piece, pieces).ToArray(), clock)
        {
            OthersLacking = (owner, _) => [.. peers.Where(p => p != (string)owner)],
        };

    private static void SendWhole(FirstCopy first, string peer, int piece)
    {
        for (var b = 0; b < 4; b++) first.Sent(peer, piece, Block);
    }

    [Fact]
    public void APeerWhosePieceHasNotSpread_StartsNoOtherFirstCopy_UntilAnotherPeerAnnouncesIt()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a", "b");
        first.Asked("b", 3); // "b" takes part
        SendWhole(first, "a", 0);

        Assert.Equal(RequestClass.Paced, first.Classify("a", 1));
        Assert.Null(first.Suggest("a", _ => true));
        first.Asked("a", 1);
        Assert.Null(first.OwnerOf(1)); // a paced request claims nothing

        first.PeerHas("b", 0); // "b" got it from "a"

        Assert.Equal(RequestClass.FirstCopy, first.Classify("a", 1));
    }

    [Fact]
    public void APieceStillComing_CountsAgainstThePace()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a", "b");
        first.Asked("b", 3);
        first.Asked("a", 0);

        Assert.Equal(RequestClass.Paced, first.Classify("a", 1));
        Assert.Equal(RequestClass.Again, first.Classify("b", 0));
    }

    [Fact]
    public void AWholePiece_CountsAsSpread_AfterSpreadAfter()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a", "b");
        SendWhole(first, "a", 0);
        first.Asked("b", 3);

        clock.Advance(FirstCopy.SpreadAfter - TimeSpan.FromSeconds(1));
        first.Asked("b", 3); // still taking part
        Assert.Equal(RequestClass.Paced, first.Classify("a", 1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RequestClass.FirstCopy, first.Classify("a", 1));
    }

    [Fact]
    public void ALoneDownloader_IsNeverPaced()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a");
        first.Asked("a", 0);
        SendWhole(first, "a", 0);
        first.Asked("a", 1);

        Assert.Equal(RequestClass.FirstCopy, first.Classify("a", 2));
        Assert.Equal("a", first.OwnerOf(1));
    }

    [Fact]
    public void ASilentPeer_HoldsNobodyBack()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a", "silent"); // connected, interested, never asks nor announces
        SendWhole(first, "a", 0);

        Assert.Equal(RequestClass.FirstCopy, first.Classify("a", 1));
    }

    [Fact]
    public void AHoarder_ThatNeverAnnouncesWhatItGot_HoldsNobodyBackOnceStale()
    {
        var clock = new ManualClock();
        var first = Paced(4, clock, "a", "hoarder");
        SendWhole(first, "hoarder", 1);
        clock.Advance(FirstCopy.StaleAfter);
        first.Asked("hoarder", 2); // it keeps asking, and never says have
        SendWhole(first, "a", 0);

        Assert.Equal(RequestClass.FirstCopy, first.Classify("a", 3));
    }

    [Fact]
    public void APeerLeaving_GivesBackItsSuggestions()
    {
        var clock = new ManualClock();
        var first = Make(1, clock);
        Assert.Equal(0, first.Suggest("a", _ => true));

        first.PeerLeft("a", heldByOthers: _ => false);

        Assert.Equal(0, first.Suggest("b", _ => true));
    }

    [Fact]
    public void AnotherCompleteSource_EndsTheRuleForGood_EvenAfterItsBitfieldCountedEveryPieceOut_AndItLeft()
    {
        var clock = new ManualClock();
        var first = Make(2, clock);
        first.PeerHas("seed", 0);
        first.PeerHas("seed", 1);
        Assert.False(first.Active); // every piece out

        first.AnotherSource();
        first.PeerLeft("seed", _ => false); // nobody else holds its pieces

        Assert.False(first.Active);
    }
}
