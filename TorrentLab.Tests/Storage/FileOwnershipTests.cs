using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Storage;

public class FileOwnershipTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CheckAsync_UnknownFileWhosePiecesDoNotVerify_ThrowsAndOpenNeverResizesIt()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 16, name: "vacation.jpg");
        File.WriteAllBytes(temp.Combine("vacation.jpg"), new byte[5_000]);
        var ownership = FileOwnership.Read(built.Torrent, temp.Path);

        var e = await Assert.ThrowsAsync<ForeignFileException>(() => ownership.CheckAsync(null, overwrite: false, Ct));

        Assert.Equal("vacation.jpg", e.Path);
        Assert.Throws<ForeignFileException>(() => FileStorage.Open(built.Torrent, temp.Path));   // unchecked: may not shrink it
        Assert.Equal(5_000, new FileInfo(temp.Combine("vacation.jpg")).Length);
    }

    [Fact]
    public async Task CheckAsync_UnknownFileWithAVerifiedPiece_IsAdopted()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 3 * 16384, pieceLength: 16384, name: "data.bin");
        var partial = built.Payload.ToArray();
        Array.Clear(partial, 16384, partial.Length - 16384); // only piece 0 is right
        File.WriteAllBytes(temp.Combine("data.bin"), partial);
        var ownership = FileOwnership.Read(built.Torrent, temp.Path);

        await ownership.CheckAsync(null, overwrite: false, Ct);

        using var storage = FileStorage.Open(built.Torrent, temp.Path, ownership: ownership);
        Assert.Equal(partial, File.ReadAllBytes(temp.Combine("data.bin")));
    }

    [Fact]
    public async Task CheckAsync_FileTheLedgerRecorded_IsOursEvenWhenItsPiecesFail()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 100, name: "ours.bin");
        using (FileStorage.Open(built.Torrent, temp.Path)) { }
        new ResumeLedger(built.Torrent, temp.Path).Save(new Bitfield(built.Torrent.PieceCount));
        File.WriteAllBytes(temp.Combine("ours.bin"), new byte[100]); // nothing verifies, but we created it

        var ownership = FileOwnership.Read(built.Torrent, temp.Path);
        await ownership.CheckAsync(null, overwrite: false, Ct);

        Assert.True(ownership.IsRecorded(0));
    }

    [Fact]
    public async Task CheckAsync_Overwrite_AdoptsAnything()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 16, name: "vacation.jpg");
        File.WriteAllBytes(temp.Combine("vacation.jpg"), new byte[5_000]);
        var ownership = FileOwnership.Read(built.Torrent, temp.Path);

        await ownership.CheckAsync(null, overwrite: true, Ct);

        using (FileStorage.Open(built.Torrent, temp.Path, ownership: ownership)) { }
        Assert.Equal(16, new FileInfo(temp.Combine("vacation.jpg")).Length);
    }

    [Fact]
    public async Task CheckAsync_DirectoryWhereTheTorrentHasAFile_SaysSo()
    {
        using var temp = new TempFolder();
        var built = TestTorrents.SingleFile(length: 16, name: "vacation.jpg");
        Directory.CreateDirectory(temp.Combine("vacation.jpg"));

        var e = await Assert.ThrowsAsync<StorageException>(() => FileOwnership.Read(built.Torrent, temp.Path).CheckAsync(null, false, Ct));

        Assert.Equal("'vacation.jpg' is a directory, but the torrent stores a file there; move it away", e.Message);
    }
}
