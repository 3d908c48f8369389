using System.Text.Json;
using TorrentLab.Cli.Commands;

namespace TorrentLab.Tests.Cli;

/// <summary>How <c>torrentlab pieces</c> prints a map (<c>PiecesCommand.Print</c>), in process: rows of 64 pieces with
/// their indexes, a row of peer counts under each while the torrent runs, and each file's span, an empty file's too.</summary>
public class PiecesCommandPrintTests
{
    [Fact]
    public void Print_RunningTorrentOfSeventyPieces_TwoRowsEachWithItsPeerCountsAndEveryFile()
    {
        var states = new string('2', 60) + "1133000000"; // 60 verified, 2 requested, 2 failed, 6 missing
        var availability = Enumerable.Range(0, 70).Select(i => i < 64 ? i % 3 : 12).ToArray();
        var json = JsonSerializer.Serialize(new
        {
            infoHash = new string('a', 40), name = "seventy", pieceLength = 262144, states, availability,
            missing = 6, requested = 2, verified = 60, failed = 2,
            files = new object[]
            {
                new { index = 1, path = "seventy/big.bin", firstPiece = 0, lastPiece = 68 },
                new { index = 2, path = "seventy/empty.txt", firstPiece = 69, lastPiece = 68 },
                new { index = 3, path = "seventy/tail.bin", firstPiece = 68, lastPiece = 69 },
            },
        });
        using var map = JsonDocument.Parse(json);
        var output = new StringWriter();

        PiecesCommand.Print(map.RootElement, output);

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal($"seventy ({new string('a', 40)})", lines[0]);
        Assert.Equal("70 pieces of 256 KiB: 60 verified, 2 requested, 2 failed, 6 missing", lines[1]);
        Assert.EndsWith("(the row below: connected peers that have each piece)", lines[2], StringComparison.Ordinal);
        Assert.Equal(" 0  " + new string('#', 60) + "rrxx", lines[3]);
        Assert.Equal("    " + string.Concat(Enumerable.Range(0, 64).Select(i => (char)('0' + i % 3))), lines[4]);
        Assert.Equal("64  ......", lines[5]);
        Assert.Equal("    ++++++", lines[6]); // ten peers or more
        Assert.Equal("files:", lines[7]);
        Assert.Equal("    1 seventy/big.bin: pieces 0-68, 60 of 69 verified", lines[8]);
        Assert.Equal("    2 seventy/empty.txt: no piece (empty), 0 of 0 verified", lines[9]);
        Assert.Equal("    3 seventy/tail.bin: pieces 68-69, 0 of 2 verified", lines[10]);
    }

    [Fact]
    public void Print_PiecesWithSenders_ALegendOfLettersAndARowOfThemUnderEachRow()
    {
        var json = JsonSerializer.Serialize(new
        {
            infoHash = new string('b', 40), name = "six", pieceLength = 16384, states = "222210",
            senders = new object[]
            {
                new { address = "127.0.0.1:7000", client = "Transmission 4.0.5", pieces = 3 },
                new { address = "http://seed.example/six", client = (string?)null, pieces = 1 },
            },
            sentBy = new[] { 0, 1, 0, 0, -1, -1 },
            sentBySeveral = new[] { 3 },
            missing = 1, requested = 1, verified = 4, failed = 0,
            files = new object[] { new { index = 1, path = "six/a.bin", firstPiece = 0, lastPiece = 5 } },
        });
        using var map = JsonDocument.Parse(json);
        var output = new StringWriter();

        PiecesCommand.Print(map.RootElement, output);

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.StartsWith("sent by (the row below:", lines[3], StringComparison.Ordinal);
        Assert.Equal("  A 127.0.0.1:7000 (Transmission 4.0.5): 3 pieces", lines[4]);
        Assert.Equal("  B http://seed.example/six: 1 piece", lines[5]);
        Assert.Equal("0  ####r.", lines[6]);
        Assert.Equal("   ABAa..", lines[7]); // piece 3 came from several peers, A sent most of it
        Assert.Equal("files:", lines[8]);
    }
}
