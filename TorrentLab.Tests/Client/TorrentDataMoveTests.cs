using TorrentLab.Client;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Client;

/// <summary>Moving a torrent's data to another folder: renamed or copied, the resume ledger still trusted after, never
/// half in each folder when a copy fails, and never through a symbolic link out of either folder.</summary>
public class TorrentDataMoveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A complete multi-file download in <paramref name="folder"/> with a ledger that trusts it.</summary>
    private static TestTorrents.Built Downloaded(string folder)
    {
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], name: "multi");
        built.WritePayload(folder);
        new ResumeLedger(built.Torrent, folder).Save(Bitfield.Full(built.Torrent.PieceCount), flushed: true);
        return built;
    }

    private static void AssertWholeIn(TestTorrents.Built built, string folder)
    {
        foreach (var (path, data) in built.Files) Assert.Equal(data, File.ReadAllBytes(Path.Combine(folder, path)));
        Assert.True(new ResumeLedger(built.Torrent, folder).Validate().IsTrusted); // sizes and last-write times kept
    }

    [Theory]
    [InlineData(true)]  // one file system: renamed
    [InlineData(false)] // across file systems: copied, flushed, then the originals deleted
    public async Task Move_EveryFileAndTheLedger_ArriveWhileTheOldFolderEmpties(bool sameFileSystem)
    {
        using var downloads = new TempFolder();
        var built = Downloaded(downloads.Path);
        var target = downloads.Combine("moved/here");

        await TorrentDataMove.MoveAsync(built.Torrent, downloads.Path, target, Ct, sameFileSystem);

        AssertWholeIn(built, target);
        Assert.False(Directory.Exists(downloads.Combine("multi")));
        Assert.False(File.Exists(ResumeLedger.PathFor(downloads.Path, built.Torrent.InfoHash)));
        Assert.Empty(Directory.EnumerateFiles(target, "*.torrentlab-move", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Move_ACopyFailingMidway_LeavesEveryFileInTheOldFolderAndNoneInTheNew()
    {
        using var downloads = new TempFolder();
        var built = Downloaded(downloads.Path);
        var target = downloads.Combine("moved");
        var copies = 0;

        var error = await Assert.ThrowsAsync<StorageException>(() => TorrentDataMove.MoveAsync(built.Torrent, downloads.Path, target, Ct,
            sameFileSystem: false, beforeCopy: _ => { if (++copies == 2) throw new IOException("No space left on device"); }));

        Assert.Contains("the old folder keeps every file", error.Message, StringComparison.Ordinal);
        AssertWholeIn(built, downloads.Path);
        Assert.Empty(Directory.Exists(target) ? Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task Move_AFileOfTheTorrentAlreadyThere_MovesNothing()
    {
        using var downloads = new TempFolder();
        var built = Downloaded(downloads.Path);
        var target = downloads.Combine("moved");
        Directory.CreateDirectory(Path.Combine(target, "multi"));
        File.WriteAllText(Path.Combine(target, "multi", "a.bin"), "someone else's");

        var error = await Assert.ThrowsAsync<StorageException>(() => TorrentDataMove.MoveAsync(built.Torrent, downloads.Path, target, Ct));

        Assert.Contains("'multi/a.bin' exists in the new folder already", error.Message, StringComparison.Ordinal);
        AssertWholeIn(built, downloads.Path);
        Assert.Equal("someone else's", File.ReadAllText(Path.Combine(target, "multi", "a.bin")));
    }

    [Fact]
    public async Task Move_IntoAFolderWhoseSubfolderLinksOutside_IsRefusedBeforeAnythingMoves()
    {
        using var downloads = new TempFolder();
        using var outside = new TempFolder();
        var built = Downloaded(downloads.Path);
        var target = downloads.Combine("moved");
        Directory.CreateDirectory(target);
        Directory.CreateSymbolicLink(Path.Combine(target, "multi"), outside.Path); // moved/multi -> outside

        await Assert.ThrowsAsync<StorageException>(() => TorrentDataMove.MoveAsync(built.Torrent, downloads.Path, target, Ct));

        AssertWholeIn(built, downloads.Path);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }

    [Theory]
    [InlineData("sub/dir", "sub/dir")]
    [InlineData("", "")]
    [InlineData("./a/../b", "b")]
    [InlineData("../outside", null)]
    [InlineData("/", null)]
    [InlineData(".torrentlab", null)]   // TorrentLab's own state
    [InlineData("x/.torrentlab/y", null)]
    public void FolderBelow_ResolvesInsideTheRootOrRefuses(string folder, string? expected)
    {
        using var downloads = new TempFolder();

        Assert.Equal(expected, TorrentClient.FolderBelow(downloads.Path, folder));
    }

    [Fact]
    public void FolderBelow_TheRootItself_IsTheRootHoweverItIsWrittenOrLinked()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("real"));
        Directory.CreateSymbolicLink(temp.Combine("downloads"), temp.Combine("real")); // the root is a link
        var root = temp.Combine("downloads");

        Assert.Equal("", TorrentClient.FolderBelow(root, root));
        Assert.Equal("", TorrentClient.FolderBelow(root, root + "/"));
        Assert.Equal("", TorrentClient.FolderBelow(root + "/", root));
        Assert.Equal("", TorrentClient.FolderBelow(root, temp.Combine("real"))); // by its target's path
        Assert.Equal("", TorrentClient.FolderBelow(root, "x/.."));
    }

    [Fact]
    public void FolderBelow_ALinkInsideLeadingOut_IsRefusedAndOneLeadingInIsFollowed()
    {
        using var downloads = new TempFolder();
        using var outside = new TempFolder();
        Directory.CreateDirectory(downloads.Combine("real"));
        Directory.CreateSymbolicLink(downloads.Combine("out"), outside.Path);
        Directory.CreateSymbolicLink(downloads.Combine("alias"), downloads.Combine("real"));

        Assert.Null(TorrentClient.FolderBelow(downloads.Path, "out/x"));
        Assert.Equal("real/x", TorrentClient.FolderBelow(downloads.Path, "alias/x"));
        Assert.Equal("real", TorrentClient.FolderBelow(downloads.Path, downloads.Combine("alias")));
    }
}
