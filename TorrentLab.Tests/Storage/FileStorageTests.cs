using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public class FileStorageTests
{
    private const int PieceLength = 16 * 1024;

    // Piece 0 spans a.bin and the start of c.bin (the empty b.txt sits between them); d.bin ends in a short piece.
    private static TestTorrents.Built Spanning() =>
        TestTorrents.MultiFile([("a.bin", 10_000), ("b.txt", 0), ("sub/c.bin", 30_000), ("d.bin", 5_000)], PieceLength, name: "folder");

    private static async Task WriteAll(IPieceStorage storage, TestTorrents.Built built, IEnumerable<int> order)
    {
        foreach (var i in order)
            await storage.WritePieceAsync(i, built.Payload.AsMemory(i * PieceLength, built.Torrent.GetPieceLength(i)), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task WritePieceAsync_PiecesSpanningFiles_LandAtTheRightOffsets()
    {
        using var temp = new TempFolder();
        var built = Spanning();
        using (var storage = FileStorage.Open(built.Torrent, temp.Path))
        {
            await WriteAll(storage, built, Enumerable.Range(0, built.Torrent.PieceCount).Reverse()); // any order
            await storage.FlushAsync(TestContext.Current.CancellationToken);
        }
        foreach (var (path, data) in built.Files)
            Assert.Equal(data, File.ReadAllBytes(temp.Combine(path)));
    }

    [Fact]
    public async Task WritePieceAsync_MoreFilesThanTheBudgetKeeps_LandEveryPieceAndKeepOnlyTheBudget()
    {
        // Pieces span files and are written in reverse, so handles are closed for room and opened again all the time.
        using var temp = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 20_000), ("b.bin", 20_000), ("c.bin", 20_000), ("d.bin", 20_000)], PieceLength, name: "many");
        var budget = new OpenFileBudget(2);
        using (var storage = FileStorage.OpenWith(new StorageLayout(built.Torrent, temp.Path), RandomAccessFile.Open, writable: true, budget: budget))
        {
            await WriteAll(storage, built, Enumerable.Range(0, built.Torrent.PieceCount).Reverse());
            await storage.FlushAsync(TestContext.Current.CancellationToken);
            Assert.Equal(2, budget.Kept);
        }
        Assert.Equal(0, budget.Kept);
        foreach (var (path, data) in built.Files)
            Assert.Equal(data, File.ReadAllBytes(temp.Combine(path)));
    }

    [Fact]
    public async Task WritePieceAsync_PiecesLargerThanOneWrite_AreWrittenInChunksThatLandAtTheRightOffsets()
    {
        // 1 MiB pieces: the first two lie whole in a.bin (aligned 1 MiB runs: direct where the file system allows it),
        // the rest goes in plain writes of at most PlainWriteLength; segments of odd lengths cross file boundaries.
        const int bigPiece = 1 << 20;
        Assert.Equal(bigPiece, DirectWriter.RunLength);
        Assert.True(bigPiece > 3 * RandomAccessFile.PlainWriteLength);
        using var temp = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 2 * bigPiece + 300_001), ("sub/c.bin", 1_500_000), ("d.bin", 700_003)], bigPiece, name: "big");
        using (var storage = FileStorage.Open(built.Torrent, temp.Path))
        {
            foreach (var i in Enumerable.Range(0, built.Torrent.PieceCount).Reverse())
                await storage.WritePieceAsync(i, built.Payload.AsMemory(i * bigPiece, built.Torrent.GetPieceLength(i)), TestContext.Current.CancellationToken);
            await storage.FlushAsync(TestContext.Current.CancellationToken);
        }
        foreach (var (path, data) in built.Files)
            Assert.Equal(data, File.ReadAllBytes(temp.Combine(path)));
    }

    [Fact]
    public void Open_CreatesFoldersEmptyFilesAndPreallocatesEveryFile()
    {
        using var temp = new TempFolder();
        var built = Spanning();
        using var storage = FileStorage.Open(built.Torrent, temp.Path);

        Assert.True(File.Exists(temp.Combine("folder", "b.txt")));
        Assert.Equal(0, new FileInfo(temp.Combine("folder", "b.txt")).Length);
        Assert.Equal(30_000, new FileInfo(temp.Combine("folder", "sub", "c.bin")).Length);
        Assert.Equal(10_000, new FileInfo(temp.Combine("folder", "a.bin")).Length);
    }

    [Fact]
    public void Open_ExistingFileOfTheRightSize_IsLeftUntouched()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, pieceLength: PieceLength);
        built.WritePayload(temp.Path);
        var path = temp.Combine("payload.bin");
        var written = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, written);

        using (FileStorage.Open(built.Torrent, temp.Path)) { }

        Assert.Equal(built.Payload, File.ReadAllBytes(path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task ReadAsync_BlockAcrossFiles_ReturnsThePayloadBytes()
    {
        using var temp = new TempFolder();
        var built = Spanning();
        using var storage = FileStorage.Open(built.Torrent, temp.Path);
        await WriteAll(storage, built, Enumerable.Range(0, built.Torrent.PieceCount));

        var block = new byte[8_000];
        await storage.ReadAsync(0, 6_000, block, TestContext.Current.CancellationToken); // 4000 bytes of a.bin, 4000 of c.bin
        Assert.Equal(built.Payload[6_000..14_000], block);
    }

    [Fact]
    public async Task WritePieceAsync_PadFile_IsNeverWrittenButReadsAsZeros()
    {
        using var temp = new TempFolder();
        var (torrent, payload) = WithPadFile();
        using (var storage = FileStorage.Open(torrent, temp.Path))
        {
            for (var i = 0; i < torrent.PieceCount; i++)
                await storage.WritePieceAsync(i, payload.AsMemory(i * PieceLength, torrent.GetPieceLength(i)), TestContext.Current.CancellationToken);
            var block = new byte[200];
            await storage.ReadAsync(0, 9_900, block, TestContext.Current.CancellationToken);
            Assert.Equal(payload[9_900..10_100], block);
        }
        Assert.False(File.Exists(temp.Combine("folder", ".pad", "6384")));
        Assert.False(Directory.Exists(temp.Combine("folder", ".pad")));
        Assert.Equal(payload[..10_000], File.ReadAllBytes(temp.Combine("folder", "a.bin")));
        Assert.Equal(payload[PieceLength..(PieceLength + 20_000)], File.ReadAllBytes(temp.Combine("folder", "b.bin")));
    }

    [Fact]
    public void Open_FolderIsASymlinkPointingOutside_IsRefusedAndWritesNothingThere()
    {
        using var temp = new TempFolder();
        using var outside = new TempFolder();
        Directory.CreateSymbolicLink(temp.Combine("folder"), outside.Path);

        var e = Assert.Throws<StorageException>(() => FileStorage.Open(Spanning().Torrent, temp.Path));

        Assert.Contains("symbolic link", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }

    [Fact]
    public void Open_FileIsASymlinkPointingOutside_IsRefused()
    {
        using var temp = new TempFolder();
        using var outside = new TempFolder();
        File.WriteAllText(outside.Combine("secret"), "keep");
        File.CreateSymbolicLink(temp.Combine("payload.bin"), outside.Combine("secret"));

        Assert.Throws<StorageException>(() => FileStorage.Open(TestTorrents.SingleFile(length: 100).Torrent, temp.Path));
        Assert.Equal("keep", File.ReadAllText(outside.Combine("secret")));
    }

    [Fact]
    public async Task Open_SymlinkStayingInside_IsAllowed()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("real"));
        Directory.CreateSymbolicLink(temp.Combine("folder"), temp.Combine("real"));
        var built = Spanning();
        using var storage = FileStorage.Open(built.Torrent, temp.Path);
        await WriteAll(storage, built, Enumerable.Range(0, built.Torrent.PieceCount));
        Assert.Equal(built.Files[0].Data, File.ReadAllBytes(temp.Combine("real", "a.bin")));
    }

    [Fact]
    public void Open_TorrentNamedLikeTheStateFolder_IsRefused()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.MultiFile([("x.json", 10)], name: ".torrentlab");
        var e = Assert.Throws<StorageException>(() => FileStorage.Open(built.Torrent, temp.Path));
        Assert.Contains("reserved", e.Message);
    }

    [Fact]
    public async Task WritePieceAsync_DiskFull_IsAStorageExceptionFlaggedOutOfSpace()
    {
        using var temp = new TempFolder();
        var built = Spanning();
        using var storage = FileStorage.OpenWith(new StorageLayout(built.Torrent, temp.Path), (_, _) => new FullDiskFile(), writable: true);

        var e = await Assert.ThrowsAsync<StorageException>(() => storage.WritePieceAsync(0, built.Payload.AsMemory(0, PieceLength), TestContext.Current.CancellationToken).AsTask());

        Assert.True(e.IsOutOfSpace);
        Assert.Contains("no space left", e.Message);
        Assert.Contains("piece 0", e.Message);
        Assert.Contains("folder/a.bin", e.Message);
    }

    [Fact]
    public void Open_PermissionDenied_IsAStorageExceptionNotOutOfSpace()
    {
        using var temp = new TempFolder();
        var built = Spanning();
        StorageFileOpener opener = (_, _) => throw new UnauthorizedAccessException("Access to the path is denied.");

        var e = Assert.Throws<StorageException>(() => FileStorage.OpenWith(new StorageLayout(built.Torrent, temp.Path), opener, writable: true));

        Assert.False(e.IsOutOfSpace);
        Assert.StartsWith("permission denied opening 'folder/a.bin'", e.Message);
        Assert.IsType<UnauthorizedAccessException>(e.InnerException);
    }

    [Fact]
    public async Task RealDiskFull_DevFull_IsRecognisedAsOutOfSpace()
    {
        if (!File.Exists("/dev/full")) Assert.Skip("/dev/full exists only on Linux");
        using var file = RandomAccessFile.Open("/dev/full", writable: true);
        var e = await Assert.ThrowsAnyAsync<IOException>(() => file.WriteAsync(new byte[4096], 0, TestContext.Current.CancellationToken).AsTask());
        Assert.True(StorageErrors.IsOutOfSpace(e));
        Assert.True(StorageErrors.Wrap(e, "writing").IsOutOfSpace);
    }

    [Fact]
    public async Task ReadAsync_FileShorterThanTheTorrentSays_IsAStorageException()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 40_000, pieceLength: PieceLength);
        using var storage = FileStorage.Open(built.Torrent, temp.Path, readOnly: false);
        storage.Dispose();
        File.WriteAllBytes(temp.Combine("payload.bin"), new byte[100]);
        using var reader = FileStorage.Open(built.Torrent, temp.Path, readOnly: true);
        await Assert.ThrowsAsync<StorageException>(() => reader.ReadAsync(1, 0, new byte[100], TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task OpenReadOnly_AFileNeverWritten_IsLeftOut_ItsNeighboursRead_AndOnlyAReadOfItFails()
    {
        // A partial seed (BEP 21): the skipped second file was never created; the first is whole.
        using var temp = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 2 * PieceLength), ("b.bin", 2 * PieceLength)], pieceLength: PieceLength, name: "some");
        Directory.CreateDirectory(temp.Combine("some"));
        File.WriteAllBytes(temp.Combine("some", "a.bin"), built.Files[0].Data);

        using var reader = FileStorage.Open(built.Torrent, temp.Path, readOnly: true);
        var block = new byte[100];
        await reader.ReadAsync(1, 0, block, TestContext.Current.CancellationToken);

        Assert.Equal(built.Files[0].Data.AsSpan(PieceLength, 100).ToArray(), block);
        await Assert.ThrowsAsync<StorageException>(() => reader.ReadAsync(2, 0, block, TestContext.Current.CancellationToken).AsTask());
        Assert.False(File.Exists(temp.Combine("some", "b.bin")));   // read-only: nothing created
    }

    [Fact]
    public async Task BecomeWritable_ReadOnlyDataOfAPartialSeed_TakesWritesToAFileItHadOpenAndToOneNeverCreated()
    {
        // A partial seed holding piece 0 of a.bin (its second piece never arrived) and no b.bin, read by a peer (a.bin's
        // handle kept, read only), then made to download the rest in the same storage.
        using var temp = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 2 * PieceLength), ("b.bin", 2 * PieceLength)], pieceLength: PieceLength, name: "some");
        Directory.CreateDirectory(temp.Combine("some"));
        var partial = built.Files[0].Data.ToArray();
        Array.Clear(partial, PieceLength, PieceLength);
        File.WriteAllBytes(temp.Combine("some", "a.bin"), partial);
        using var storage = FileStorage.Open(built.Torrent, temp.Path, readOnly: true);
        var block = new byte[100];
        await storage.ReadAsync(0, 0, block, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAll(storage, built, [1]));
        var have = new TorrentLab.Wire.Bitfield(built.Torrent.PieceCount);
        have.Set(0);

        storage.BecomeWritable(have);
        await WriteAll(storage, built, [1, 2, 3]);
        await storage.ReadAsync(0, 0, block, TestContext.Current.CancellationToken); // what it had, read as before
        await storage.FlushAsync(TestContext.Current.CancellationToken);

        Assert.True(storage.Writable);
        Assert.Equal(built.Payload.AsSpan(0, 100).ToArray(), block);
        foreach (var (path, data) in built.Files)
            Assert.Equal(data, File.ReadAllBytes(temp.Combine(path)));
    }

    /// <summary>folder/a.bin (10000 bytes), a BEP 47 pad file filling piece 0, then folder/b.bin (20000 bytes).</summary>
    internal static (Torrent Torrent, byte[] Payload) WithPadFile()
    {
        var a = TestTorrents.Payload(10_000, 1);
        var b = TestTorrents.Payload(20_000, 2);
        var payload = a.Concat(new byte[PieceLength - a.Length]).Concat(b).ToArray();
        BDictionary File(string[] path, long length, bool pad = false)
        {
            var entry = new BDictionary().Set("length", new BInteger(length))
                .Set("path", new BList(path.Select(p => (BValue)new BString(p)).ToList()));
            return pad ? entry.Set("attr", new BString("p")) : entry;
        }
        var info = new BDictionary()
            .Set("files", new BList([File(["a.bin"], a.Length), File([".pad", "6384"], PieceLength - a.Length, pad: true), File(["b.bin"], b.Length)]))
            .Set("name", new BString("folder"))
            .Set("piece length", new BInteger(PieceLength))
            .Set("pieces", new BString(TestTorrents.PieceHashes(payload, PieceLength)));
        var torrent = Torrent.Parse(BencodeWriter.Encode(new BDictionary().Set("info", info)));
        Assert.True(torrent.Files[1].IsPadding);
        return (torrent, payload);
    }

    /// <summary>A file on a full disk: empty, and every write fails with ENOSPC as .NET reports it on Linux.</summary>
    private sealed class FullDiskFile : IStorageFile
    {
        public long Length => 0;
        public void SetLength(long length) { }
        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken cancellation) =>
            ValueTask.FromException(new IOException("No space left on device", 28));
        public ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken cancellation) => ValueTask.FromResult(0);
        public void Flush() { }
        public void Dispose() { }
    }
}
