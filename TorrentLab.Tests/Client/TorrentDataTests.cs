using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Client;

namespace TorrentLab.Tests.Client;

/// <summary>Deleting a removed torrent's data touches only its own files inside the downloads folder.</summary>
public class TorrentDataTests
{
    [Fact]
    public void Delete_FolderLinkedOutside_LeavesTheFilesItLeadsTo()
    {
        using var downloads = new TempFolder();
        using var outside = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 1000)], name: "linked");
        File.WriteAllText(outside.Combine("a.bin"), "not the torrent's");
        Directory.CreateSymbolicLink(downloads.Combine("linked"), outside.Path); // downloads/linked -> outside

        TorrentData.Delete(built.Torrent, downloads.Path);

        Assert.True(File.Exists(outside.Combine("a.bin")));
    }

    [Fact]
    public void Delete_MultiFileTorrent_RemovesItsFilesEmptyFoldersAndLedger()
    {
        using var downloads = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 1000), ("deep/er/b.bin", 500)], name: "multi");
        built.WritePayload(downloads.Path);
        new ResumeLedger(built.Torrent, downloads.Path).Save(TorrentLab.Wire.Bitfield.Full(built.Torrent.PieceCount));

        TorrentData.Delete(built.Torrent, downloads.Path);

        Assert.False(Directory.Exists(downloads.Combine("multi")));
        Assert.False(File.Exists(ResumeLedger.PathFor(downloads.Path, built.Torrent.InfoHash)));
        Assert.True(Directory.Exists(downloads.Path));
    }

    [Fact]
    public void Delete_FileTheLedgerNeverRecorded_IsLeftAlone()
    {
        using var downloads = new TempFolder();
        var built = TestTorrents.SingleFile(length: 16, name: "vacation.jpg");
        File.WriteAllText(downloads.Combine("vacation.jpg"), "the user's own photo"); // no ledger: not written by the torrent

        TorrentData.Delete(built.Torrent, downloads.Path);

        Assert.Equal("the user's own photo", File.ReadAllText(downloads.Combine("vacation.jpg")));
    }
}
