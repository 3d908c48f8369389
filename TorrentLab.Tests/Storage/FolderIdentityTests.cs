using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public class FolderIdentityTests
{
    [Fact]
    public void Of_TheSameFolderByALink_IsTheSameAndAnotherFolderIsNot()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("a"));
        Directory.CreateDirectory(temp.Combine("b"));
        Directory.CreateSymbolicLink(temp.Combine("alias"), temp.Combine("a"));

        Assert.NotNull(FolderIdentity.Of(temp.Combine("a")));
        Assert.Equal(FolderIdentity.Of(temp.Combine("a")), FolderIdentity.Of(temp.Combine("alias")));
        Assert.NotEqual(FolderIdentity.Of(temp.Combine("a")), FolderIdentity.Of(temp.Combine("b")));
    }

    [Fact]
    public void Of_AFileOrNothing_IsNoFolder()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("file"), "x");
        File.CreateSymbolicLink(temp.Combine("link-to-file"), temp.Combine("file"));

        Assert.Null(FolderIdentity.Of(temp.Combine("file")));
        Assert.Null(FolderIdentity.Of(temp.Combine("link-to-file")));
        Assert.Null(FolderIdentity.Of(temp.Combine("missing")));
    }

    [Fact]
    public void NodeOf_AFile_IsItsNodeWhateverItsType()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "inodes are read with statx(2), on Linux only");
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("file"), "x");
        File.CreateSymbolicLink(temp.Combine("link"), temp.Combine("file"));

        Assert.NotNull(FolderIdentity.NodeOf(temp.Combine("file")));
        Assert.Equal(FolderIdentity.NodeOf(temp.Combine("file")), FolderIdentity.NodeOf(temp.Combine("link")));
        Assert.Null(FolderIdentity.NodeOf(temp.Combine("missing")));
    }
}
