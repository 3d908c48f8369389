using TorrentLab.Creation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

[Trait("Tier", "Slow")]
public class PieceHasherTests
{
    [Theory]
    [InlineData(1, 16 * 1024)]
    [InlineData(16 * 1024, 16 * 1024)]            // exactly one piece
    [InlineData(16 * 1024 + 1, 16 * 1024)]        // one byte into a second piece
    [InlineData(20_000_000, 16 * 1024)]           // several 8 MiB buffers, the last one partial
    [InlineData(20_000_000, 4 * 1024 * 1024)]     // two pieces per buffer
    [InlineData(40_000_000, 16 * 1024 * 1024)]    // the largest pieces, last one short
    public void Hash_MatchesHashingEachPieceAlone(int length, int pieceLength)
    {
        var payload = TestTorrents.Payload(length);
        // Split unevenly into files so pieces span file boundaries.
        var cut1 = length / 3;
        var cut2 = length / 3 * 2 + 1;
        ReadOnlyMemory<byte> all = payload;
        var reader = new MemoryPayloadReader([all[..cut1], ReadOnlyMemory<byte>.Empty, all[cut1..cut2], all[cut2..]]);

        var hashes = PieceHasher.Hash(reader, length, pieceLength, null, TestContext.Current.CancellationToken);

        Assert.Equal(TestTorrents.PieceHashes(payload, pieceLength), hashes);
    }

    [Fact]
    public void Hash_PayloadShorterThanScanned_Throws()
    {
        var reader = new MemoryPayloadReader([new byte[1000]]);

        var error = Assert.Throws<CreationException>(() => PieceHasher.Hash(reader, 2000, 16 * 1024, null, TestContext.Current.CancellationToken));

        Assert.Contains("ended after 1000 bytes", error.Message);
    }

    [Fact]
    public void Read_FileShrankAfterTheScan_ThrowsNamingTheFile()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("f");
        File.WriteAllBytes(path, new byte[100]);
        using var reader = new FilePayloadReader([new PayloadFile(["f"], path, 200)]);

        var error = Assert.Throws<CreationException>(() => reader.Read(new byte[300]));

        Assert.Equal(path, error.Path);
        Assert.Contains("shorter", error.Message);
    }
}
