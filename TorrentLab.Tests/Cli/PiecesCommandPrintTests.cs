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

    [Fact]
    public void Print_MapWithMoments_ListsTheNewestTenBeforeTheFiles()
    {
        var moments = Enumerable.Range(0, 11).Select(i => (object)new
        {
            at = new DateTimeOffset(2026, 11, 30, 10, 0, i, TimeSpan.Zero), kind = "unchoke", peer = $"127.0.0.1:70{i:00}", piece = -1, piecesLeft = 5,
        }).Append(new { at = new DateTimeOffset(2026, 11, 30, 10, 0, 30, TimeSpan.Zero), kind = "endgame", peer = "127.0.0.1:7000", piece = -1, piecesLeft = 2 })
          .Append(new { at = new DateTimeOffset(2026, 11, 30, 10, 0, 31, TimeSpan.Zero), kind = "reveal", peer = "127.0.0.1:7001", piece = 3, piecesLeft = 0 });
        var json = JsonSerializer.Serialize(new
        {
            infoHash = new string('c', 40), name = "m", pieceLength = 16384, states = "22", missing = 0, requested = 0, verified = 2, failed = 0,
            files = new object[] { new { index = 1, path = "m/a.bin", firstPiece = 0, lastPiece = 1 } },
            moments,
        });
        using var map = JsonDocument.Parse(json);
        var output = new StringWriter();

        PiecesCommand.Print(map.RootElement, output);

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var first = lines.IndexOf("moments (the last 10 of 13):");
        Assert.True(first > 0, output.ToString());
        Assert.Equal(lines.IndexOf("files:"), first + 11);
        var time = new DateTimeOffset(2026, 11, 30, 10, 0, 3, TimeSpan.Zero).ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"  {time} choke round: unchoked 127.0.0.1:7003", lines[first + 1]); // the oldest three left out
        Assert.EndsWith(" end game began: 2 pieces left, every missing block asked of someone (found asking 127.0.0.1:7000)", lines[first + 9], StringComparison.Ordinal);
        Assert.EndsWith(" super-seeding revealed piece 3 to 127.0.0.1:7001", lines[first + 10], StringComparison.Ordinal);
    }
}
