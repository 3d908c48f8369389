using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

public class LabTorrentTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GenerateWithInfoHashBytes_TheHashHoldsEveryAskedByte_AndTheSeedFixesTheTorrent(int seed)
    {
        using var folder = new TempFolder();
        var first = LabTorrent.GenerateWithInfoHashBytes(new Random(seed), folder.Combine("a"), "http://127.0.0.1:1/announce", 0x20, 0x2b);
        var again = LabTorrent.GenerateWithInfoHashBytes(new Random(seed), folder.Combine("b"), "http://127.0.0.1:1/announce", 0x20, 0x2b);

        var hash = first.Torrent.InfoHash.Bytes.ToArray();
        Assert.Contains((byte)0x20, hash);
        Assert.Contains((byte)0x2b, hash);
        Assert.Equal(first.TorrentBytes, again.TorrentBytes);
        Assert.Equal(first.Payload, again.Payload);
        Assert.Equal(first.Torrent.TotalLength, first.Payload.Length);
        Assert.True(first.Torrent.GetPieceLength(first.Torrent.PieceCount - 1) < first.Torrent.PieceLength);   // the last piece is short
        Assert.Equal(first.Torrent.GetPieceHash(0).ToArray(), System.Security.Cryptography.SHA1.HashData(first.Piece(0)));
        Assert.True(File.Exists(first.Path));
    }
}
