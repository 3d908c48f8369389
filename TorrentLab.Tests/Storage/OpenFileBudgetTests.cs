using System.Collections.Concurrent;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public class OpenFileBudgetTests
{
    private const int PieceLength = 16 * 1024;
    private const int FileLength = 2 * PieceLength; // pieces 2k and 2k+1 lie whole in file k

    /// <summary>Opens files for real and records which handles were opened and closed, by file name; a read of a file
    /// named in <see cref="HoldReadsOf"/> waits for <see cref="ReleaseReads"/>.</summary>
    private sealed class RecordingOpener
    {
        public ConcurrentQueue<string> Opened { get; } = new();
        public ConcurrentQueue<string> Closed { get; } = new();
        public string? HoldReadsOf { get; set; }
        public TaskCompletionSource ReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource ReleaseReads { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IStorageFile Open(string path, bool writable)
        {
            Opened.Enqueue(Path.GetFileName(path));
            return new Recorded(this, Path.GetFileName(path), RandomAccessFile.Open(path, writable));
        }

        private sealed class Recorded(RecordingOpener owner, string name, IStorageFile inner) : IStorageFile
        {
            public long Length => inner.Length;
            public void SetLength(long length) => inner.SetLength(length);
            public ValueTask WriteAsync(ReadOnlyMemory<byte> data, long fileOffset, CancellationToken c) => inner.WriteAsync(data, fileOffset, c);
            public void Flush() => inner.Flush();

            public async ValueTask<int> ReadAsync(Memory<byte> buffer, long fileOffset, CancellationToken c)
            {
                if (name == owner.HoldReadsOf)
                {
                    owner.ReadStarted.TrySetResult();
                    await owner.ReleaseReads.Task.WaitAsync(c);
                }
                return await inner.ReadAsync(buffer, fileOffset, c);
            }

            public void Dispose()
            {
                owner.Closed.Enqueue(name);
                inner.Dispose();
            }
        }
    }

    private static (TestTorrents.Built Built, FileStorage Storage) OpenSeeding(TempFolder temp, string name, string[] files, OpenFileBudget budget,
        RecordingOpener opener, int seed)
    {
        var built = TestTorrents.MultiFile([.. files.Select(f => (f, FileLength))], PieceLength, name: name, seed: seed);
        foreach (var (path, data) in built.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(temp.Combine(path))!);
            File.WriteAllBytes(temp.Combine(path), data);
        }
        return (built, FileStorage.OpenWith(new StorageLayout(built.Torrent, temp.Path), opener.Open, writable: false, budget: budget));
    }

    private static async Task<byte[]> ReadPiece(FileStorage storage, int index)
    {
        var buffer = new byte[PieceLength];
        await storage.ReadAsync(index, 0, buffer, TestContext.Current.CancellationToken);
        return buffer;
    }

    [Fact]
    public async Task AFullBudget_ClosesTheLeastRecentlyUsedHandle_AndItsFileOpensAgainWhenNextUsed()
    {
        using var temp = new TempFolder();
        var opener = new RecordingOpener();
        var budget = new OpenFileBudget(3);
        var (built, storage) = OpenSeeding(temp, "four", ["a.bin", "b.bin", "c.bin", "d.bin"], budget, opener, seed: 1);
        using var _ = storage;

        // Opening keeps a, b, c; d takes the place of a, the least recently used.
        Assert.Equal(["a.bin"], opener.Closed);
        Assert.Equal(3, budget.Kept);

        await ReadPiece(storage, 2); // b is used: c is now the least recently used
        var again = await ReadPiece(storage, 0); // a opens again and takes c's place
        Assert.Equal(built.Payload.AsSpan(0, PieceLength).ToArray(), again);
        Assert.Equal(["a.bin", "c.bin"], opener.Closed);
        Assert.Equal(2, opener.Opened.Count(n => n == "a.bin"));
        Assert.Equal(3, budget.Kept);

        await ReadPiece(storage, 3); // b, kept all along, is read through its handle: nothing opens
        Assert.Equal(1, opener.Opened.Count(n => n == "b.bin"));
    }

    [Fact]
    public async Task StoragesSharingABudget_TakeEachOthersLeastRecentlyUsedPlaces_AndGiveTheirsBackWhenClosed()
    {
        using var temp = new TempFolder();
        var opener = new RecordingOpener();
        var budget = new OpenFileBudget(4);
        var (_, first) = OpenSeeding(temp, "first", ["a.bin", "b.bin", "c.bin"], budget, opener, seed: 2);
        var (secondBuilt, second) = OpenSeeding(temp, "second", ["d.bin", "e.bin"], budget, opener, seed: 3);
        using var _ = second;

        Assert.Equal(["a.bin"], opener.Closed); // e took the place of the first torrent's a
        Assert.Equal(4, budget.Kept);
        Assert.Equal(secondBuilt.Payload.AsSpan(3 * PieceLength, PieceLength).ToArray(), await ReadPiece(second, 3));

        first.Dispose();
        Assert.Equal(2, budget.Kept); // b and c are closed and their places free
        Assert.Equal(["a.bin", "b.bin", "c.bin"], opener.Closed.Order());
    }

    [Fact]
    public async Task AHandleNeededForRoomWhileItIsRead_ClosesOnlyWhenTheReadEnds()
    {
        using var temp = new TempFolder();
        var opener = new RecordingOpener { HoldReadsOf = "a.bin" };
        var budget = new OpenFileBudget(1);
        var (built, storage) = OpenSeeding(temp, "two", ["a.bin", "b.bin"], budget, opener, seed: 4);
        using var _ = storage;
        Assert.Equal(["a.bin"], opener.Closed); // b took a's only place

        var held = ReadPiece(storage, 0); // a opens again (b closes for it), and its read waits
        await opener.ReadStarted.Task.WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(built.Payload.AsSpan(2 * PieceLength, PieceLength).ToArray(), await ReadPiece(storage, 2)); // b takes the place back
        Assert.Equal(["a.bin", "b.bin"], opener.Closed); // a is out of the budget, but still open for the read in progress

        opener.ReleaseReads.SetResult();
        Assert.Equal(built.Payload.AsSpan(0, PieceLength).ToArray(), await held);
        Assert.Equal(["a.bin", "b.bin", "a.bin"], opener.Closed); // and closed when it ended
        Assert.Equal(1, budget.Kept);
    }
}
