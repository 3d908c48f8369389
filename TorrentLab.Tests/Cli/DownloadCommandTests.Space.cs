using TorrentLab.Bencode;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

// A torrent larger than the free space (issue: a thousand-file torrent created 1.1 PiB of sparse files without a check):
// refused before any file is created, with the no-space exit code and one line.
public partial class DownloadCommandTests
{
    [Theory]
    [InlineData("1")]    // the reference path
    [InlineData("50")]   // the swarm engine (the default)
    public void MainCommand_ThousandFilesOf32TiB_IsRefusedUpFrontWithNoSpaceAndCreatesNothing(string maxPeers)
    {
        using var folder = new TempFolder();
        var torrent = HugeTorrent(folder);
        var output = folder.Combine("downloads");
        Directory.CreateDirectory(output);

        var result = CliRunner.Run([torrent, "-o", output, "--quiet", "--max-peers", maxPeers, "--peer", "127.0.0.1:9"]);

        Assert.True(result.ExitCode == CliRunner.Codes.NoSpace, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: no space left on device: the torrent needs {1000 * HugeFileLength} more bytes but only ", result.Stderr);
        Assert.Empty(Directory.GetFiles(output, "*.bin", SearchOption.AllDirectories));
    }

    /// <summary>The classroom shape runs in a staging folder beside its target: refused for space, it leaves none behind.</summary>
    [Fact]
    public void ClassroomDownload_RefusedForSpace_LeavesNoStagingFolder()
    {
        using var folder = new TempFolder();
        var torrent = HugeTorrent(folder);
        var output = folder.Combine("downloads");
        Directory.CreateDirectory(output);

        var result = CliRunner.Run(["download", "-o", Path.Combine(output, "huge"), torrent, "--quiet", "--peer", "127.0.0.1:9", "--no-dht"]);

        Assert.True(result.ExitCode == CliRunner.Codes.NoSpace, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.StartsWith("error: no space left on device: the torrent needs ", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    private const long HugeFileLength = 1L << 35; // 32 GiB each, 32 TiB in all

    /// <summary>A torrent of a thousand 32 GiB files, written into <paramref name="folder"/>.</summary>
    private static string HugeTorrent(TempFolder folder)
    {
        const long fileLength = HugeFileLength;
        var files = new List<BValue>();
        for (var i = 0; i < 1000; i++)
        {
            var file = new BDictionary();
            file.Set("length", new BInteger(fileLength));
            file.Set("path", new BList([new BString($"part-{i:D4}.bin")]));
            files.Add(file);
        }
        var info = new BDictionary();
        info.Set("files", new BList(files));
        info.Set("name", new BString("huge"));
        info.Set("piece length", new BInteger(1 << 28)); // 256 MiB: 128,000 hashes
        info.Set("pieces", new BString(new byte[(int)(1000 * fileLength >> 28) * 20]));
        var root = new BDictionary();
        root.Set("info", info);
        var torrent = folder.Combine("huge.torrent");
        File.WriteAllBytes(torrent, BencodeWriter.Encode(root));
        return torrent;
    }
}
