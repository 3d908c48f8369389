using System.Security.Cryptography;
using TorrentLab.Lab;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>Downloads into a small tmpfs: a torrent larger than the free space is refused up front with the no-space
/// exit code and nothing created; a disk that fills up mid-download (another program takes the space) stops the CLI
/// with the no-space exit code and one line, the ledger stays consistent, and once space is freed the same command
/// resumes to identical data.</summary>
/// <remarks>Needs root and mount(2) (CAP_SYS_ADMIN); skipped visibly with the reason elsewhere.</remarks>
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class FullDiskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TorrentLargerThanTheFreeSpace_IsRefusedUpFrontWithNoSpaceExit_NothingCreated()
    {
        var built = TestTorrents.SingleFile(length: 40 * 16384, pieceLength: 16384, name: "big.bin", seed: 17); // 640 KiB
        using var folder = new TempFolder("torrentlab-fulldisk");
        using var disk = Tmpfs.Mount(folder.Combine("disk"), "1m");
        disk.Fill("filler", 768 * 1024); // 256 KiB free: less than the torrent, though the filesystem could hold it
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        var torrent = built.WriteTorrent(folder.Path);

        var run = await CliRunner.RunAsync([torrent, "-o", disk.Path, "--quiet", "--max-peers", "1", "--peer", seeder.EndPoint.ToString()],
            TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == CliRunner.Codes.NoSpace, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Single(run.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: no space left on device", run.Stderr);
        Assert.Contains($"the torrent needs {40 * 16384} more bytes but only", run.Stderr);
        Assert.Equal(["filler"], Directory.GetFileSystemEntries(disk.Path).Select(Path.GetFileName));
        ReliabilityReport.Add(new ReliabilityRow("full disk", "640 KiB torrent, 256 KiB free on a 1 MiB tmpfs", 1, 1, "none",
            $"refused before any file: exit 7: '{run.Stderr.Trim()}'"));
    }

    /// <param name="engine">The single-peer path (<c>--max-peers 1</c>), or the swarm engine users run, which hands
    /// pieces of 1 MiB and more to writes of their own: the failure must still stop the download.</param>
    [Theory]
    [InlineData("reference")]
    [InlineData("swarm")]
    public async Task DiskFillsMidDownload_StopsWithNoSpace_LedgerConsistent_ResumesAfterFreeing(string engine)
    {
        var swarm = engine == "swarm";
        var built = swarm
            ? TestTorrents.SingleFile(length: 6 * 1024 * 1024, pieceLength: 1024 * 1024, name: "big.bin", seed: 17)
            : TestTorrents.SingleFile(length: 40 * 16384, pieceLength: 16384, name: "big.bin", seed: 17); // 640 KiB
        using var folder = new TempFolder("torrentlab-fulldisk");
        using var disk = Tmpfs.Mount(folder.Combine("disk"), swarm ? "8m" : "1m"); // the torrent fits the free space at the start
        // The seeder waits before unchoking, so the disk is filled after the up-front check and before the first block.
        await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
        {
            UnchokeDelay = TimeSpan.FromSeconds(5),
        });
        var torrent = built.WriteTorrent(folder.Path);
        string[] args = [torrent, "-o", disk.Path, "--quiet", "--peer", seeder.EndPoint.ToString(), .. swarm ? ["--no-dht"] : new[] { "--max-peers", "1" }];
        var ledger = new ResumeLedger(built.Torrent, disk.Path);

        var running = CliRunner.RunAsync(args, TimeSpan.FromSeconds(60));
        // Another program takes every free byte once the download has created its file and recorded it in the ledger.
        // (The swarm engine saves a first ledger, then creates the file in the background and saves again: a disk filled
        // between the two fails that save first, and the error rightly names the ledger, not a piece.)
        await Wait.UntilAsync(() => ledger.RecordedFiles().Contains("big.bin") || running.IsCompleted, TimeSpan.FromSeconds(30), Ct);
        if (running.IsCompleted) Assert.Fail($"the download ended before the disk was filled: {(await running).Stderr}");
        FillToTheBrim(Path.Combine(disk.Path, "filler"));
        var full = await running;

        Assert.True(full.ExitCode == CliRunner.Codes.NoSpace, $"exit {full.ExitCode}: {full.Stderr}");
        Assert.Single(full.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("error: no space left on device", full.Stderr);
        // The line names the write that failed, not the ledger save that failed after it for the same reason.
        Assert.True(full.Stderr.Contains("writing piece", StringComparison.Ordinal), full.Stderr);
        Assert.False(full.Stderr.Contains("ledger", StringComparison.Ordinal), full.Stderr);
        // The ledger is readable and lists only pieces whose data is really on disk.
        var saved = LedgerInspector.SavedPieces(ledger.FilePath);
        var check = ledger.Validate();
        if (check.IsTrusted)
        {
            var onDisk = await PieceVerifier.VerifyAsync(built.Torrent, disk.Path, cancellation: Ct);
            foreach (var index in check.Trusted!.SetIndexes()) Assert.True(onDisk[index], $"ledger lists piece {index}, not on disk");
        }

        // Free space: the other program's file goes, the same command runs again.
        File.Delete(Path.Combine(disk.Path, "filler"));
        var resumed = await CliRunner.RunAsync(args, TimeSpan.FromSeconds(60));

        Assert.True(resumed.ExitCode == CliRunner.Codes.Ok, resumed.Stderr);
        Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(disk.Path, "big.bin"))));
        ReliabilityReport.Add(new ReliabilityRow("full disk", swarm
                ? "swarm engine: 6 MiB (1 MiB pieces) into an 8 MiB tmpfs that another writer fills mid-download, then freed and rerun"
                : "single-peer path: 640 KiB into a 1 MiB tmpfs that another writer fills mid-download, then freed and rerun", 2, 2, "none",
            $"exit 7: '{full.Stderr.Trim()}'; ledger after failure: {(saved < 0 ? "none" : saved + " pieces")} ({check.Reason}); resumed: {resumed.Stdout.Trim()}"));
    }

    /// <summary>Writes zeros to <paramref name="path"/> until the filesystem has no byte left.</summary>
    private static void FillToTheBrim(string path)
    {
        var chunk = new byte[4096];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        for (var i = 0; i < 4096; i++) // at most 16 MiB: the tmpfs is 1 or 8 MiB
        {
            try { file.Write(chunk); }
            catch (IOException) { return; } // ENOSPC: full
        }
        Assert.Fail("the tmpfs never filled up");
    }
}
