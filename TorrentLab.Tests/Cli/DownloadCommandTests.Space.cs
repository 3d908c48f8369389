using TorrentLab.Bencode;
using TorrentLab.Client;
using TorrentLab.Lab;
using TorrentLab.Storage;
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

    /// <summary>The other failures of the classroom shape clean up too: a run that ends with nothing to resume (no peer
    /// delivered a piece) leaves no staging folder behind, on either engine.</summary>
    [Theory]
    [InlineData("1")]    // the reference path: the one peer refuses, it fails at once
    [InlineData("50")]   // the swarm engine: it gives up after --stall-timeout
    public void ClassroomDownload_NoPeerDelivers_FailsAndLeavesNoStagingFolder(string maxPeers)
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 40 * 16384, pieceLength: 16384, name: "big.bin", seed: 5);
        var torrent = built.WriteTorrent(folder.Path);
        var output = folder.Combine("downloads");
        Directory.CreateDirectory(output);

        var result = CliRunner.Run(["download", "-o", Path.Combine(output, "big.bin"), torrent, "--quiet", "--peer", "127.0.0.1:9", "--no-dht",
            "--max-peers", maxPeers, "--stall-timeout", "2s"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Failed, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    /// <summary>A disk that fills after the download created its file and before the first piece: exit 7, and the
    /// staging folder, which holds nothing to resume, is gone.</summary>
    [Fact]
    public async Task ClassroomDownload_DiskFillsBeforeTheFirstPiece_NoSpaceExitAndNoStagingFolder()
    {
        var built = TestTorrents.SingleFile(length: 40 * 16384, pieceLength: 16384, name: "big.bin", seed: 18); // 640 KiB
        using var folder = new TempFolder("torrentlab-fulldisk");
        using var disk = Tmpfs.Mount(folder.Combine("disk"), "1m"); // the torrent fits the free space at the start
        // The seeder waits before unchoking, so the disk is filled after the up-front check and before the first block.
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
        {
            UnchokeDelay = TimeSpan.FromSeconds(5),
        });
        var torrent = built.WriteTorrent(folder.Path);
        var target = Path.Combine(disk.Path, "big.bin");
        var ledger = new ResumeLedger(built.Torrent, TorrentClient.StagingFolder(built.Torrent, target));

        var running = CliRunner.RunAsync(["download", "-o", target, torrent, "--quiet", "--max-peers", "1", "--no-dht", "--peer", seeder.EndPoint.ToString()],
            TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => ledger.RecordedFiles().Contains("big.bin") || running.IsCompleted, TimeSpan.FromSeconds(30), Ct);
        if (running.IsCompleted) Assert.Fail($"the download ended before the disk was filled: {(await running).Stderr}");
        FillToTheBrim(Path.Combine(disk.Path, "filler"));
        var full = await running;

        Assert.True(full.ExitCode == CliRunner.Codes.NoSpace, $"exit {full.ExitCode}: {full.Stderr}");
        Assert.StartsWith("error: no space left on device", full.Stderr);
        Assert.Equal(["filler"], Directory.GetFileSystemEntries(disk.Path).Select(Path.GetFileName));
    }

    /// <summary>Writes zeros to <paramref name="path"/> until the filesystem has no byte left.</summary>
    private static void FillToTheBrim(string path)
    {
        var chunk = new byte[4096];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        for (var i = 0; i < 1024; i++) // at most 4 MiB: the tmpfs is 1 MiB
        {
            try { file.Write(chunk); }
            catch (IOException) { return; } // ENOSPC: full
        }
        Assert.Fail("the tmpfs never filled up");
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
