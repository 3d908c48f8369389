using TorrentLab.Client;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Client;

/// <summary>Renaming a torrent's files on disk (<see cref="Torrent.WithFilePaths"/>, <see cref="TorrentClient.RenameFiles"/>):
/// the same torrent under other paths, the files moved, the resume ledger still trusted and still naming them as this
/// torrent's, nothing moved when a file is in the way.</summary>
public class TorrentRenameTests
{
    private static TestTorrents.Built Downloaded(string folder)
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "multi");
        built.WritePayload(folder);
        new ResumeLedger(built.Torrent, folder).Save(Bitfield.Full(built.Torrent.PieceCount), flushed: true);
        return built;
    }

    [Fact]
    public void WithFilePaths_KeepsTheInfoHashPiecesAndLayout_AndTakesTheNewTopAsItsName()
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "multi");

        var renamed = built.Torrent.WithFilePaths(["other/a2.bin", "other/deeper/b.bin"]);

        Assert.Equal(built.Torrent.InfoHash, renamed.InfoHash);
        Assert.True(renamed.RawInfo.Span.SequenceEqual(built.Torrent.RawInfo.Span)); // what peers get is the torrent's
        Assert.Equal("other", renamed.Name);
        Assert.Equal(["other/a2.bin", "other/deeper/b.bin"], renamed.Files.Select(f => f.DisplayPath));
        Assert.Equal(built.Torrent.Files.Select(f => (f.Offset, f.Length)), renamed.Files.Select(f => (f.Offset, f.Length)));
        Assert.Equal(built.Torrent.PieceCount, renamed.PieceCount);
    }

    [Theory]
    [InlineData("multi/a.bin", "multi/../b.bin")]     // a parent segment
    [InlineData("multi/a.bin", "multi/a.bin")]        // two files at one path
    [InlineData("multi/x", "multi/x/b.bin")]          // a file where another's folder is
    [InlineData("multi/a.bin", "other/b.bin")]        // two top folders
    [InlineData("a.bin", "multi/deep/b.bin")]         // a file of a multi-file torrent outside its top folder
    [InlineData("multi/a\u0001.bin", "multi/b.bin")]  // a control character
    [InlineData("multi/a.bin", "multi//b.bin")]       // an empty segment
    public void WithFilePaths_APathAFileMayNotHave_IsRefused(string first, string second)
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "multi");

        Assert.Throws<ArgumentException>(() => built.Torrent.WithFilePaths([first, second]));
    }

    [Fact]
    public void RenameFiles_MovesTheFiles_AndTheLedgerStaysTrustedUnderTheNewNames()
    {
        using var downloads = new TempFolder();
        var built = Downloaded(downloads.Path);
        var renamed = built.Torrent.WithFilePaths(["films/a2.bin", "films/deep/b.bin"]);

        TorrentClient.RenameFiles(built.Torrent, renamed, downloads.Path);

        Assert.Equal(built.Files[0].Data, File.ReadAllBytes(downloads.Combine("films/a2.bin")));
        Assert.Equal(built.Files[1].Data, File.ReadAllBytes(downloads.Combine("films/deep/b.bin")));
        Assert.False(Directory.Exists(downloads.Combine("multi"))); // the old folders, left empty, are gone
        var ledger = new ResumeLedger(renamed, downloads.Path);
        Assert.True(ledger.Validate().IsTrusted); // no re-hash: the pieces are where they were
        Assert.Equal(["films/a2.bin", "films/deep/b.bin"], ledger.RecordedFiles().Order(StringComparer.Ordinal)); // still this torrent's files
    }

    [Fact]
    public void RenameFiles_AFileInTheWay_MovesNothing()
    {
        using var downloads = new TempFolder();
        var built = Downloaded(downloads.Path);
        Directory.CreateDirectory(downloads.Combine("multi/deep2"));
        File.WriteAllText(downloads.Combine("multi/deep2/b.bin"), "someone else's");
        var renamed = built.Torrent.WithFilePaths(["multi/a2.bin", "multi/deep2/b.bin"]);

        var error = Assert.Throws<StorageException>(() => TorrentClient.RenameFiles(built.Torrent, renamed, downloads.Path));

        Assert.Contains("multi/deep2/b.bin", error.Message, StringComparison.Ordinal);
        Assert.Equal(built.Files[0].Data, File.ReadAllBytes(downloads.Combine("multi/a.bin"))); // the first move went back
        Assert.Equal("someone else's", File.ReadAllText(downloads.Combine("multi/deep2/b.bin")));
        Assert.True(new ResumeLedger(built.Torrent, downloads.Path).Validate().IsTrusted);
    }

    [Fact]
    public void RenameFiles_FilesNotOnDiskYet_AreCreatedUnderTheNewNamesLater()
    {
        using var downloads = new TempFolder();
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "multi");
        var renamed = built.Torrent.WithFilePaths(["multi/a2.bin", "multi/deep/b.bin"]);

        TorrentClient.RenameFiles(built.Torrent, renamed, downloads.Path);

        Assert.Empty(Directory.EnumerateFileSystemEntries(downloads.Path));
    }

    [Fact]
    public void WebSeed_OfARenamedFile_IsAskedForTheMetainfosPath()
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "multi");
        var renamed = built.Torrent.WithFilePaths(["films/a2.bin", "films/deep/b.bin"]);
        using var source = new TorrentLab.Swarm.WebSeedSource("http://127.0.0.1:1/seed/", renamed, TorrentLab.Tracker.PeerScope.Any, TimeSpan.FromSeconds(5));

        Assert.Equal("http://127.0.0.1:1/seed/multi/a.bin", source.FileUrl(renamed.Files[0]).ToString()); // BEP 19: the torrent's own names
    }
}
