using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Storage;

/// <summary>Storage with skipped files: they are not created, except to hold the bytes of pieces shared with wanted files.</summary>
public class FileStorageSelectionTests
{
    private static readonly TestTorrents.Built Built = PieceSelectionTests.Layout; // a.bin 20000, b.bin 30000, c.bin 40000; 16 KiB pieces

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StorageLayout Layout(TempFolder temp, params FilePriority[] files) =>
        new(Built.Torrent, temp.Path) { Selection = PieceSelection.For(Built.Torrent, files) };

    private static ReadOnlyMemory<byte> Piece(int index) =>
        Built.Payload.AsMemory(index * 16384, Built.Torrent.GetPieceLength(index));

    [Fact]
    public void Open_SkippedFiles_AreNotCreated()
    {
        using var temp = new TempFolder();

        using (FileStorage.Open(Layout(temp, FilePriority.Skip, FilePriority.Normal, FilePriority.Skip))) { }

        Assert.False(File.Exists(temp.Combine("sel", "a.bin")));
        Assert.Equal(30_000, new FileInfo(temp.Combine("sel", "b.bin")).Length);
        Assert.False(File.Exists(temp.Combine("sel", "c.bin")));
    }

    [Fact]
    public async Task WritePieceAsync_SharedPieces_WriteOnlyTheirBytesIntoTheSkippedFiles()
    {
        using var temp = new TempFolder();
        using (var storage = FileStorage.Open(Layout(temp, FilePriority.Skip, FilePriority.Normal, FilePriority.Skip)))
        {
            foreach (var i in new[] { 1, 2, 3 }) await storage.WritePieceAsync(i, Piece(i), Ct);
            await storage.FlushAsync(Ct);
        }

        // a.bin holds piece 1's first 3616 bytes at its offset 16384 (a sparse hole before); c.bin piece 3's last 15536.
        var a = File.ReadAllBytes(temp.Combine("sel", "a.bin"));
        Assert.Equal(20_000, a.Length);
        Assert.Equal(Built.Payload.AsSpan(16384, 3616).ToArray(), a.AsSpan(16384).ToArray());
        Assert.All(a.AsSpan(0, 16384).ToArray(), b => Assert.Equal(0, b));
        var c = File.ReadAllBytes(temp.Combine("sel", "c.bin"));
        Assert.Equal(65536 - 50_000, c.Length);
        Assert.Equal(Built.Payload.AsSpan(50_000, 15536).ToArray(), c);
        Assert.Equal(Built.Files[1].Data, File.ReadAllBytes(temp.Combine("sel", "b.bin")));
    }

    [Fact]
    public async Task ReadAsync_SharedPieceWrittenIntoASkippedFile_ReadsBack()
    {
        using var temp = new TempFolder();
        using var storage = FileStorage.Open(Layout(temp, FilePriority.Skip, FilePriority.Normal, FilePriority.Skip));
        await storage.WritePieceAsync(3, Piece(3), Ct);
        var buffer = new byte[16384];

        await storage.ReadAsync(3, 0, buffer, Ct);

        Assert.Equal(Piece(3).ToArray(), buffer);
    }

    [Fact]
    public async Task Verify_SkippedFilesMissing_FindsTheWantedPiecesAndNoError()
    {
        using var temp = new TempFolder();
        var layout = Layout(temp, FilePriority.Skip, FilePriority.Skip, FilePriority.Normal);
        using (var storage = FileStorage.Open(layout))
            foreach (var i in new[] { 3, 4, 5 }) await storage.WritePieceAsync(i, Piece(i), Ct);

        var have = await PieceVerifier.VerifyAsync(layout, cancellation: Ct);

        Assert.Equal([3, 4, 5], have.SetIndexes());
        Assert.True(layout.Selection!.IsDoneIn(have));
        Assert.False(File.Exists(temp.Combine("sel", "a.bin")));
    }
}
