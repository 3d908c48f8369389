using System.Diagnostics;
using TorrentLab.Creation;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Creation;

public class PayloadScannerTests
{
    [Fact]
    public void Scan_Folder_IncludesHiddenAndEmptyFilesInTorrentOrder()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("b", 1), ("B", 2), (".h", 3), ("d/e", 0), ("d.x", 4)]);

        var payload = PayloadScanner.Scan(root);

        Assert.True(payload.IsMultiFile);
        Assert.Equal("in", payload.Name);
        Assert.Equal([".h", "B", "b", "d.x", "d/e"], payload.Files.Select(f => string.Join('/', f.Path)));
        Assert.Equal([3L, 2, 1, 4, 0], payload.Files.Select(f => f.Length));
    }

    [Fact]
    public void Scan_FolderWithOneFile_IsStillMultiFile()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("only", 5)]);

        Assert.True(PayloadScanner.Scan(root).IsMultiFile);
    }

    [Fact]
    public void Scan_LinkToAFileOutsideTheFolder_IsRefusedNamingTheLink()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("a", 1)]);
        File.WriteAllText(temp.Combine("secret"), "outside");
        File.CreateSymbolicLink(Path.Combine(root, "escape"), "../secret");

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(root));

        Assert.Equal(Path.Combine(root, "escape"), error.Path);
        Assert.Contains("outside the input folder", error.Message);
        Assert.Contains(temp.Combine("secret"), error.Message);
    }

    [Fact]
    public void Scan_LinkInsideAFolderReachedThroughALinkedParent_IsAccepted()
    {
        using var temp = new TempFolder();
        PayloadFolders.Write(temp.Combine("real"), "in", [("a", 3)]);
        Directory.CreateSymbolicLink(temp.Combine("alias"), "real");
        var root = temp.Combine("alias", "in");
        // Textually the target is below "real", not below "alias": only the canonical paths show it stays inside.
        File.CreateSymbolicLink(Path.Combine(root, "b"), "../../real/in/a");

        var payload = PayloadScanner.Scan(root);

        Assert.Equal(["a", "b"], payload.Files.Select(f => string.Join('/', f.Path)));
    }

    [Fact]
    public void Scan_LinkClimbingOutWithDotDot_IsRefused()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("sub/a", 1)]);
        File.WriteAllText(temp.Combine("secret"), "outside");
        File.CreateSymbolicLink(Path.Combine(root, "sub", "leak"), "../../in/sub/../../secret");

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(root));

        Assert.Equal(Path.Combine(root, "sub", "leak"), error.Path);
        Assert.Contains("outside the input folder", error.Message);
    }

    [Fact]
    public void Scan_LinkToAFileInsideTheFolder_IsFollowedUnderTheLinksName()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("real/a", 10)]);
        File.CreateSymbolicLink(Path.Combine(root, "alias"), "real/a");

        var payload = PayloadScanner.Scan(root);

        var alias = Assert.Single(payload.Files, f => f.Path.SequenceEqual(["alias"]));
        Assert.Equal(10, alias.Length);
        Assert.Equal(Path.Combine(RealPath.Resolve(root), "real", "a"), alias.FullPath);
    }

    [Fact]
    public void Scan_LinkToAFolderInside_IsRefused()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("real/a", 10)]);
        Directory.CreateSymbolicLink(Path.Combine(root, "loop"), ".");

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(root));

        Assert.Contains("link to a folder", error.Message);
    }

    [Fact]
    public void Scan_BrokenLink_IsRefused()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("a", 1)]);
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "missing");

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(root));

        Assert.Contains("broken symbolic link", error.Message);
    }

    [Fact]
    public void Scan_InputThatIsALinkToAFolder_IsFollowed()
    {
        using var temp = new TempFolder();
        PayloadFolders.Write(temp.Path, "real", [("a", 1)]);
        Directory.CreateSymbolicLink(temp.Combine("shortcut"), "real");

        var payload = PayloadScanner.Scan(temp.Combine("shortcut"));

        Assert.Equal("shortcut", payload.Name);
        Assert.Equal(["a"], payload.Files.Select(f => string.Join('/', f.Path)));
    }

    [Fact]
    public void Scan_Fifo_IsRefusedWithoutOpeningIt()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("FIFOs are detected on Linux only");
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("a", 1)]);
        var mkfifo = ProcessRunner.Run("mkfifo", [Path.Combine(root, "pipe")], TimeSpan.FromSeconds(10));
        Assert.Equal(0, mkfifo.ExitCode);

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(root));

        Assert.Contains("not a regular file", error.Message);
    }

    [Fact]
    public void Scan_MissingInput_ThrowsFileNotFound()
    {
        using var temp = new TempFolder();

        Assert.Throws<FileNotFoundException>(() => PayloadScanner.Scan(temp.Combine("nope")));
    }

    [Fact]
    public void Scan_FolderWithOnlyEmptyFiles_IsRefused()
    {
        using var temp = new TempFolder();
        var root = PayloadFolders.Write(temp.Path, "in", [("a", 0), ("b/c", 0)]);

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(root));

        Assert.Contains("0 bytes", error.Message);
    }

    [Fact]
    public void Scan_EmptyFolder_IsRefused()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Combine("in", "only-folders"));

        var error = Assert.Throws<CreationException>(() => PayloadScanner.Scan(temp.Combine("in")));

        Assert.Contains("no files", error.Message);
    }
}
