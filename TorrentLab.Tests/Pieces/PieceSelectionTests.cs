using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>Which pieces a file selection wants: a piece takes the highest priority of the files it holds bytes of.</summary>
public class PieceSelectionTests
{
    // Pieces of 16384 bytes over a.bin 20000, b.bin 30000, c.bin 40000 (90000 bytes, 6 pieces):
    //   piece 0 [0, 16384)       a
    //   piece 1 [16384, 32768)   a (to 20000), b
    //   piece 2 [32768, 49152)   b
    //   piece 3 [49152, 65536)   b (to 50000), c
    //   piece 4 [65536, 81920)   c
    //   piece 5 [81920, 90000)   c (8080 bytes)
    internal static readonly TestTorrents.Built Layout =
        TestTorrents.MultiFile([("a.bin", 20_000), ("b.bin", 30_000), ("c.bin", 40_000)], pieceLength: 16 * 1024, name: "sel");

    private static readonly FilePriority Skip = FilePriority.Skip, Low = FilePriority.Low, Normal = FilePriority.Normal, High = FilePriority.High;

    [Fact]
    public void For_OnlyTheMiddleFile_WantsItsPiecesIncludingBothSharedOnes()
    {
        var selection = PieceSelection.For(Layout.Torrent, [Skip, Normal, Skip]);

        Assert.Equal([1, 2, 3], Enumerable.Range(0, 6).Where(selection.IsWanted));
        Assert.Equal(3, selection.WantedCount);
        Assert.Equal(3 * 16384L, selection.WantedBytes);
        Assert.False(selection.IsEverything);
        Assert.False(selection.HasLevels);
    }

    [Fact]
    public void For_OnlyTheLastFile_WantsTheShortLastPieceAndTheSharedOne()
    {
        var selection = PieceSelection.For(Layout.Torrent, [Skip, Skip, Normal]);

        Assert.Equal([3, 4, 5], Enumerable.Range(0, 6).Where(selection.IsWanted));
        Assert.Equal(2 * 16384L + 8080, selection.WantedBytes);
    }

    [Fact]
    public void Rank_SharedPiece_TakesTheHigherOfItsFilesPriorities()
    {
        var selection = PieceSelection.For(Layout.Torrent, [Low, Skip, High]);

        Assert.Equal([Low, Low, Skip, High, High, High], Enumerable.Range(0, 6).Select(selection.Rank));
        Assert.True(selection.HasLevels);
    }

    [Fact]
    public void For_Null_WantsEveryPieceAtNormalPriority()
    {
        var selection = PieceSelection.For(Layout.Torrent, null);

        Assert.True(selection.IsEverything);
        Assert.Equal(Layout.Torrent.TotalLength, selection.WantedBytes);
        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(Normal, selection.Rank(i)));
        Assert.Null(selection.Skipping(Layout.Torrent));
    }

    [Fact]
    public void For_EveryFileNormal_AnswersAsTheWholeTorrent()
    {
        var selection = PieceSelection.For(Layout.Torrent, [Normal, Normal, Normal]);
        var have = new Bitfield(6);
        have.Set(1);
        have.Set(5);

        Assert.True(selection.IsEverything);
        Assert.False(selection.HasLevels);
        Assert.Equal([Normal, Normal, Normal], selection.Files);
        Assert.All(Enumerable.Range(0, 6), i => Assert.True(selection.IsWanted(i)));
        Assert.Equal((2, 16384L + 8080), selection.WantedIn(have, Layout.Torrent));
        Assert.False(selection.IsDoneIn(have));
        Assert.True(selection.IsDoneIn(Bitfield.Full(6)));
    }

    [Fact]
    public void For_WrongNumberOfPriorities_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => PieceSelection.For(Layout.Torrent, [Normal, Normal]));

        Assert.Contains("expected one priority per file (3), got 2", error.Message);
    }

    [Fact]
    public void For_UnknownPriorityValue_Throws()
    {
        Assert.Throws<ArgumentException>(() => PieceSelection.For(Layout.Torrent, [Normal, (FilePriority)7, Normal]));
    }

    [Fact]
    public void IsDoneIn_EveryWantedPieceButNoSkippedOne_IsTrue()
    {
        var selection = PieceSelection.For(Layout.Torrent, [Skip, Normal, Skip]);
        var have = new Bitfield(6);
        have.Set(1);
        have.Set(2);
        Assert.False(selection.IsDoneIn(have));

        have.Set(3);

        Assert.True(selection.IsDoneIn(have));
        Assert.Equal((3, 3 * 16384L), selection.WantedIn(have, Layout.Torrent));
        Assert.Equal((3 * 16384L, 2), selection.Skipping(Layout.Torrent));
    }
}
