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

    [Fact]
    public async Task CheckAsync_ForeignFileAtASkippedPathSharingNoPiece_IsLeftAloneAndDoesNotStopTheDownload()
    {
        using var temp = new TempFolder();
        var layout = Layout(temp, FilePriority.Normal, FilePriority.Skip, FilePriority.Skip); // c.bin shares no piece with a.bin
        Directory.CreateDirectory(temp.Combine("sel"));
        File.WriteAllText(temp.Combine("sel", "c.bin"), "not this torrent's data");
        var ownership = FileOwnership.Read(layout);

        await ownership.CheckAsync(verified: null, overwrite: false, Ct);
        using (FileStorage.Open(layout, ownership: ownership)) { }

        Assert.Equal("not this torrent's data", File.ReadAllText(temp.Combine("sel", "c.bin")));
        new ResumeLedger(layout).Save(new TorrentLab.Wire.Bitfield(Built.Torrent.PieceCount));
        Assert.False(FileOwnership.Read(layout).IsRecorded(2)); // so removing the torrent with its data never deletes it
        Assert.True(new ResumeLedger(layout).Validate().IsTrusted);
    }

    [Fact]
    public async Task CheckAsync_ForeignFileAtASkippedPathSharingAWantedPiece_StopsTheDownload()
    {
        using var temp = new TempFolder();
        var layout = Layout(temp, FilePriority.Skip, FilePriority.Normal, FilePriority.Skip); // a.bin shares piece 1 with b.bin
        Directory.CreateDirectory(temp.Combine("sel"));
        File.WriteAllText(temp.Combine("sel", "a.bin"), "not this torrent's data");

        await Assert.ThrowsAsync<ForeignFileException>(() => FileOwnership.Read(layout).CheckAsync(verified: null, overwrite: false, Ct));
    }
}
