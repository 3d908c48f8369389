using System.Text;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;

namespace TorrentLab.Tests.Pieces;

/// <summary>Where padding lies in the piece stream: adjacent pad files are one run, and a range counts as padding only
/// when all of it is.</summary>
public class PaddingMapTests
{
    // a (1 byte), a pad file by attr (16383), a pad file by name only (1), b (1): padding is the stream's bytes 1-16384.
    private static readonly Torrent TwoPadsInARow = Torrent.Parse(Encoding.ASCII.GetBytes(
        "d4:infod5:filesld6:lengthi1e4:pathl1:aeed4:attr1:p6:lengthi16383eed6:lengthi1e4:pathl18:_____padding_file_eed6:lengthi1e4:pathl1:beee" +
        "4:name1:t12:piece lengthi16384e6:pieces40:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAee"));

    [Fact]
    public void Of_ATorrentWithoutPadFiles_IsNull()
    {
        var plain = Torrent.Parse(Encoding.ASCII.GetBytes(
            "d4:infod5:filesld6:lengthi1e4:pathl1:aeed6:lengthi1e4:pathl1:beee4:name1:t12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee"));

        Assert.Null(PaddingMap.Of(plain));
    }

    [Theory]
    [InlineData(1, 16384, true)]     // both pad files, merged into one run
    [InlineData(16383, 2, true)]     // across the two pad files
    [InlineData(2, 100, true)]
    [InlineData(0, 2, false)]        // starts in a
    [InlineData(16384, 2, false)]    // ends in b
    [InlineData(16385, 1, false)]    // b alone
    public void Covers_IsTrueOnlyWhenTheWholeRangeIsPadding(long start, int length, bool expected)
    {
        var map = PaddingMap.Of(TwoPadsInARow);

        Assert.NotNull(map);
        Assert.Equal(expected, map.Covers(start, length));
    }
}
