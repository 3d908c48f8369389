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
}
