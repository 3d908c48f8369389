using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>A torrent's file as a stream (<c>Client/TorrentFileStream.cs</c>, <see cref="TorrentHandle.OpenReadAsync"/>):
/// seeks and reads across piece and file boundaries of a downloaded torrent, straight from disk; a read of a piece not
/// there yet waits for it and returns it once a seeder of our own on loopback delivered it.</summary>
public class TorrentFileStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // Pieces of 16 KiB over files of odd lengths: each file starts and ends inside a piece shared with its neighbours.
    private static TestTorrents.Built Files(int seed) => TestTorrents.MultiFile(
        [("a.bin", 40_001), ("b.bin", 3), ("c.bin", 70_007), ("d.bin", 0), ("e.bin", 16_384)], pieceLength: 16 * 1024, name: "five", announce: null, seed: seed);

    /// <summary>A session with the torrent added, its data written and verified first when <paramref name="downloaded"/>.</summary>
    private static async Task<(TorrentSession Session, TorrentHandle Handle)> AddAsync(TestTorrents.Built built, string folder, bool downloaded,
        IReadOnlyList<IPEndPoint>? peers = null)
    {
        if (downloaded)
        {
            built.WritePayload(folder);
            Assert.True((await TorrentClient.VerifyAsync(built.Torrent, folder, writeLedger: true, Ct)).IsComplete);
        }
        var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder, ExtraPeers = peers ?? [] }, start: false);
        return (session, handle);
    }

    [Fact]
    public async Task ReadAll_DownloadedTorrent_EachFileReadsWholeFromDisk()
    {
        using var folder = new TempFolder();
        var built = Files(seed: 81);
        var (session, handle) = await AddAsync(built, folder.Path, downloaded: true);
        await using var _ = session;

        for (var i = 0; i < built.Files.Count; i++)
        {
            await using var stream = await handle.OpenReadAsync(i, Ct);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, Ct);

            Assert.Equal(built.Files[i].Data, copy.ToArray());
            Assert.Equal(built.Files[i].Data.Length, stream.Length);
            Assert.Equal(stream.Length, stream.Position);
        }
        Assert.Equal(TorrentState.Paused, handle.State); // nothing had to run
    }

    [Theory]
    [InlineData(2, 9_147, 2)]       // c.bin starts at 40,004, in piece 2: its byte 9,147 is the last of piece 2, the next the first of 3
    [InlineData(2, 9_143, 10)]      // across that boundary
    [InlineData(0, 32_767, 2)]      // a.bin across the boundary of pieces 1 and 2
    [InlineData(0, 39_999, 2)]      // a.bin's last two bytes, in the piece it shares with b.bin and c.bin
    [InlineData(2, 70_000, 7)]      // c.bin's last bytes, in the piece it shares with e.bin
    [InlineData(4, 0, 16_384)]      // e.bin: a whole file across two pieces
    public async Task SeekThenRead_AcrossPieceAndFileBoundaries_ReturnsTheFilesBytes(int file, int at, int count)
    {
        using var folder = new TempFolder();
        var built = Files(seed: 82);
        var (session, handle) = await AddAsync(built, folder.Path, downloaded: true);
        await using var _ = session;
        await using var stream = await handle.OpenReadAsync(file, Ct);

        Assert.Equal(at, stream.Seek(at, SeekOrigin.Begin));
        var read = new byte[count];
        await stream.ReadExactlyAsync(read, Ct);

        Assert.Equal(built.Files[file].Data.AsSpan(at, count).ToArray(), read);
        Assert.Equal(at + count, stream.Position);
    }

    [Fact]
    public async Task Seek_FromEachOrigin_MovesThePositionAsAFileStreamDoes()
    {
        using var folder = new TempFolder();
        var built = Files(seed: 83);
        var (session, handle) = await AddAsync(built, folder.Path, downloaded: true);
        await using var _ = session;
        await using var stream = await handle.OpenReadAsync(2, Ct);
        var data = built.Files[2].Data;

        Assert.Equal(data.Length - 5, stream.Seek(-5, SeekOrigin.End));
        Assert.Equal(data[^5], (byte)stream.ReadByte());
        Assert.Equal(data.Length - 14, stream.Seek(-10, SeekOrigin.Current));
        Assert.Equal(data[^14], (byte)stream.ReadByte());
        stream.Position = 100;
        var sync = new byte[3];
        Assert.Equal(3, stream.Read(sync, 0, 3)); // the blocking read, as a player's library may use
        Assert.Equal(data.AsSpan(100, 3).ToArray(), sync);
        Assert.Equal(data.Length + 7, stream.Seek(7, SeekOrigin.End)); // past the end, as a file: reads return nothing
        Assert.Equal(0, await stream.ReadAsync(new byte[4], Ct));
        Assert.Throws<IOException>(() => stream.Seek(-1, SeekOrigin.Begin));
        Assert.Equal(data.Length + 7, stream.Position); // a refused seek moves nothing
        Assert.True(stream.CanRead && stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
    }

    [Fact]
    public async Task OpenReadAsync_NoSuchFile_IsRefused()
    {
        using var folder = new TempFolder();
        var (session, handle) = await AddAsync(Files(seed: 84), folder.Path, downloaded: false);
        await using var _ = session;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => handle.OpenReadAsync(5, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => handle.OpenReadAsync(-1, Ct));
    }

    [Fact]
    public async Task OpenReadAsync_SkippedFile_MakesItWanted()
    {
        using var folder = new TempFolder();
        var (session, handle) = await AddAsync(Files(seed: 85), folder.Path, downloaded: false);
        await using var _ = session;
        await handle.SetFilePrioritiesAsync([FilePriority.Normal, FilePriority.Skip, FilePriority.Skip, FilePriority.Normal, FilePriority.High]);

        await using var stream = await handle.OpenReadAsync(2, Ct);

        Assert.Equal([FilePriority.Normal, FilePriority.Skip, FilePriority.Normal, FilePriority.Normal, FilePriority.High], handle.FilePriorities);
    }

    [Fact]
    public async Task ReadAsync_PausedTorrent_WaitsUntilCancelledAndMovesNothing()
    {
        using var folder = new TempFolder();
        var (session, handle) = await AddAsync(Files(seed: 86), folder.Path, downloaded: false);
        await using var _ = session;
        await using var stream = await handle.OpenReadAsync(2, Ct);
        stream.Position = 30_000;
        using var cancel = new CancellationTokenSource();

        var read = stream.ReadAsync(new byte[10], cancel.Token).AsTask();
        Assert.False(read.IsCompleted); // nothing runs: no piece can come
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.Equal(30_000, stream.Position);
    }

    [Fact]
    [Trait("Tier", "Slow")]
    public async Task ReadAsync_PieceNotDownloadedYet_WaitsForItAndReturnsItOnceASeederDeliveredIt()
    {
        using var folder = new TempFolder();
        var built = Files(seed: 87);
        await using var seeder = await TorrentSessionTests.SeedAsync(built, folder.Combine("seed"));
        var (session, handle) = await AddAsync(built, folder.Combine("out"), downloaded: false, peers: [new IPEndPoint(IPAddress.Loopback, seeder.Port)]);
        await using var _ = session;
        await using var stream = await handle.OpenReadAsync(2, Ct);
        stream.Position = 9_143; // across the boundary of pieces 2 and 3
        var buffer = new byte[10];

        var read = stream.ReadExactlyAsync(buffer, Ct).AsTask();
        Assert.False(read.IsCompleted); // paused: the piece is not there
        handle.Start();
        await read.WaitAsync(Patience, Ct);

        Assert.Equal(built.Files[2].Data.AsSpan(9_143, 10).ToArray(), buffer);
        Assert.Equal(9_153, stream.Position);
    }

    [Fact]
    public async Task Dispose_DropsTheStreamsWindow()
    {
        using var folder = new TempFolder();
        var built = Files(seed: 88);
        var (session, handle) = await AddAsync(built, folder.Path, downloaded: false);
        await using var _ = session;
        var demand = session.Session.Reads.Take(built.Torrent.InfoHash);
        try
        {
            var stream = await handle.OpenReadAsync(2, Ct);
            stream.Position = 40_000; // c.bin's bytes from 40,000: byte 80,004 of the torrent, in piece 4, to its end in piece 6
            Assert.Equal([new PieceRange(4, 6)], demand.Windows);

            await stream.DisposeAsync();

            Assert.Empty(demand.Windows);
        }
        finally { session.Session.Reads.Release(built.Torrent.InfoHash, demand); }
    }

    [Fact]
    public async Task Readahead_SetOnTheHandle_SizesTheWindowAtTheStreamsNextMove()
    {
        using var folder = new TempFolder();
        var built = Files(seed: 89);
        var (session, handle) = await AddAsync(built, folder.Path, downloaded: false);
        await using var _ = session;
        var demand = session.Session.Reads.Take(built.Torrent.InfoHash);
        try
        {
            await using var stream = await handle.OpenReadAsync(2, Ct);
            stream.Position = 40_000; // byte 80,004 of the torrent, in piece 4; 4 MiB ahead reaches the file's end in piece 6
            Assert.Equal([new PieceRange(4, 6)], demand.Windows);

            handle.Readahead = 0; // the piece under the position only
            Assert.Equal([new PieceRange(4, 6)], demand.Windows); // an open stream takes it at its next read or seek
            stream.Position = 40_000;
            Assert.Equal([new PieceRange(4, 4)], demand.Windows);

            handle.Readahead = 16 * 1024; // to byte 96,387 of the torrent: piece 5
            stream.Position = 40_000;
            Assert.Equal([new PieceRange(4, 5)], demand.Windows);

            Assert.Throws<ArgumentOutOfRangeException>(() => handle.Readahead = -1);
            Assert.Equal(16 * 1024, handle.Readahead);
        }
        finally { session.Session.Reads.Release(built.Torrent.InfoHash, demand); }
    }
}
