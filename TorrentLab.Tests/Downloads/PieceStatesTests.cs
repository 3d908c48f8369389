using TorrentLab.Downloads;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Downloads;

public class PieceStatesTests
{
    [Fact]
    public void From_OverlappingSources_VerifiedWinsThenFailedThenRequested()
    {
        var have = new Bitfield(6);
        have.Set(0);
        have.Set(1);

        var states = PieceStates.From(have, requested: [1, 2, 3], failed: [3, 4]);

        Assert.Equal("221330", states.ToDigits()); // 0,1 verified; 2 requested; 3 requested but failed; 4 failed; 5 missing
        Assert.Equal(PieceState.Failed, states[4]);
        Assert.Equal(1, states.CountOf(PieceState.Requested));
        Assert.Equal(1, states.CountOf(PieceState.Missing));
    }

    [Fact]
    public void From_IndexesOutOfRange_AreIgnored() =>
        Assert.Equal("00", PieceStates.From(new Bitfield(2), requested: [-1, 2], failed: [99]).ToDigits());

    [Fact]
    public void AllVerified_AnswersAsAMapOfVerifiedPieces()
    {
        var states = PieceStates.AllVerified(5);

        Assert.Equal(5, states.Count);
        Assert.Equal("22222", states.ToDigits());
        Assert.Equal(PieceState.Verified, states[4]);
        Assert.Throws<IndexOutOfRangeException>(() => states[5]);
        Assert.Equal([0, 1, 2, 3, 4], states.IndexesOf(PieceState.Verified));
        Assert.Empty(states.IndexesOf(PieceState.Missing));
        Assert.Equal(5, states.CountOf(PieceState.Verified));
        Assert.Equal(0, states.CountOf(PieceState.Failed));
        Assert.True(states.Verified().IsComplete);
        Assert.Equal(5, states.Verified().Length);
    }

    [Fact]
    public void From_EveryPieceVerified_VerifiedWinsOverRequestedAndFailed() =>
        Assert.Equal("222", PieceStates.From(Bitfield.Full(3), requested: [0], failed: [2]).ToDigits());

    [Fact]
    public void WithAvailability_KeepsTheStatesAndCountsEachPieceClampedAt255()
    {
        var have = new Bitfield(4);
        have.Set(1);
        var plain = PieceStates.From(have, requested: [2]);

        var counted = plain.WithAvailability([0, 3, 300, 1]);

        Assert.False(plain.HasAvailability);
        Assert.Equal(0, plain.Availability(1));
        Assert.True(counted.HasAvailability);
        Assert.Equal(plain.ToDigits(), counted.ToDigits());
        Assert.Equal([0, 3, 255, 1], Enumerable.Range(0, 4).Select(counted.Availability));
        Assert.Throws<ArgumentOutOfRangeException>(() => counted.Availability(4));
        Assert.Throws<ArgumentException>(() => plain.WithAvailability([1, 2, 3]));
        Assert.Throws<ArgumentException>(() => plain.WithAvailability([1, -1, 0, 0]));
        Assert.Equal(7, PieceStates.AllVerified(2).WithAvailability([7, 9]).Availability(0)); // a seed's map counts too
    }
}
