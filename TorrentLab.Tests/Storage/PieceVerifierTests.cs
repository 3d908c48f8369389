using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public class PieceVerifierTests
{
    private const int PieceLength = 16 * 1024;

    private static readonly TestTorrents.Built Built =
        TestTorrents.MultiFile([("a.bin", 100_000), ("empty", 0), ("sub/b.bin", 60_000)], PieceLength, name: "folder");

    private static Task<TorrentLab.Wire.Bitfield> Verify(string folder, PieceVerifierOptions? options = null) =>
        PieceVerifier.VerifyAsync(Built.Torrent, folder, options, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData(1, 4 * 1024 * 1024)]
    [InlineData(2, 4 * 1024 * 1024)]
    [InlineData(3, 1)] // one piece per read: runs cross file boundaries at every piece
    public async Task VerifyAsync_CompleteDownload_HasEveryPiece(int parallelism, int readBytes)
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        var have = await Verify(temp.Path, new PieceVerifierOptions { Parallelism = parallelism, ReadBytes = readBytes });
        Assert.True(have.IsComplete);
    }

    [Fact]
    public async Task VerifyAsync_OneFlippedByte_FailsOnlyThatPiece()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        var path = temp.Combine("folder", "sub", "b.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[10_000] ^= 0xFF; // stream offset 110000: piece 6
        File.WriteAllBytes(path, bytes);

        var have = await Verify(temp.Path, new PieceVerifierOptions { ReadBytes = 2 * PieceLength });

        Assert.Equal(Enumerable.Range(0, Built.Torrent.PieceCount).Where(i => i != 6), have.SetIndexes());
    }

    [Fact]
    public async Task VerifyAsync_MissingFile_FailsThePiecesThatTouchIt()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        File.Delete(temp.Combine("folder", "a.bin")); // stream bytes 0..100000: pieces 0..6 (6 is shared with b.bin)

        var have = await Verify(temp.Path);

        Assert.Equal(Enumerable.Range(7, Built.Torrent.PieceCount - 7), have.SetIndexes());
    }

    [Fact]
    public async Task VerifyAsync_TruncatedFileEvenWithZeroPieces_FailsTheMissingPart()
    {
        // A payload of zeros: reading holes as zeros would wrongly "verify" the missing tail.
        var torrent = Torrent.Parse(BencodeWriter.Encode(new BDictionary()
            .Set("info", new BDictionary()
                .Set("length", new BInteger(4 * PieceLength))
                .Set("name", new BString("zeros.bin"))
                .Set("piece length", new BInteger(PieceLength))
                .Set("pieces", new BString(TestTorrents.PieceHashes(new byte[4 * PieceLength], PieceLength))))));
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.Combine("zeros.bin"), new byte[2 * PieceLength + 100]);

        var have = await PieceVerifier.VerifyAsync(torrent, temp.Path, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal([0, 1], have.SetIndexes());
    }

    [Fact]
    public async Task VerifyAsync_PadFile_CountsAsZerosAndIsNotNeededOnDisk()
    {
        var (torrent, payload) = FileStorageTests.WithPadFile();
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("folder"));
        File.WriteAllBytes(temp.Combine("folder", "a.bin"), payload[..10_000]);
        File.WriteAllBytes(temp.Combine("folder", "b.bin"), payload[PieceLength..]);

        var have = await PieceVerifier.VerifyAsync(torrent, temp.Path, cancellation: TestContext.Current.CancellationToken);

        Assert.True(have.IsComplete);
    }

    [Fact]
    public async Task VerifyAsync_EmptyFolder_HasNothingAndCreatesNothing()
    {
        using var temp = new TempFolder();
        var have = await Verify(temp.Path);
        Assert.True(have.IsEmpty);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task VerifyAsync_ReportsProgressUpToTheTotal()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        long last = 0;
        var progress = new SynchronousProgress(v => Interlocked.Exchange(ref last, Math.Max(Interlocked.Read(ref last), v)));
        await Verify(temp.Path, new PieceVerifierOptions { Progress = progress, ReadBytes = PieceLength });
        Assert.Equal(Built.Torrent.TotalLength, Interlocked.Read(ref last));
    }

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
