using System.Security.Cryptography;
using TorrentLab.Lab;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>A download into a tmpfs with 256 KiB left: the CLI stops with the no-space exit code and one line, the ledger stays
/// consistent, and once the filesystem is grown the same command resumes to identical data.</summary>
/// <remarks>Needs root and mount(2) (CAP_SYS_ADMIN); skipped visibly with the reason elsewhere.</remarks>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
public class FullDiskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Mount(string dir, string size)
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("tmpfs mounts need Linux");
        var result = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", dir], TimeSpan.FromSeconds(10));
        if (result.ExitCode != 0) Assert.Skip($"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {result.Stderr.Trim()}");
    }

    [Fact]
    public async Task SmallTmpfs_DownloadStopsWithNoSpace_LedgerConsistent_ResumesAfterGrowing()
    {
        var built = TestTorrents.SingleFile(length: 40 * 16384, pieceLength: 16384, name: "big.bin", seed: 17); // 640 KiB
        using var folder = new TempFolder("torrentlab-fulldisk");
        var mount = folder.Combine("disk");
        Directory.CreateDirectory(mount);
        // 1 MiB, of which a filler takes 768 KiB: the torrent fits the filesystem (else it is refused up front) but not
        // the space left, so a write fails midway.
        Mount(mount, "1m");
        try
        {
            File.WriteAllBytes(Path.Combine(mount, "filler"), new byte[768 * 1024]);
            await using var seeder = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
            var torrent = built.WriteTorrent(folder.Path);
            string[] args = [torrent, "-o", mount, "--quiet", "--max-peers", "1", "--peer", seeder.EndPoint.ToString()];

            var full = CliRunner.Run(args, TimeSpan.FromSeconds(30));

            Assert.True(full.ExitCode == CliRunner.Codes.NoSpace, $"exit {full.ExitCode}: {full.Stderr}");
            Assert.Single(full.Stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("error: no space left on device", full.Stderr);
            // The line names the write that failed, not the ledger save that failed after it for the same reason.
            Assert.Contains("writing piece", full.Stderr);
            Assert.DoesNotContain("ledger", full.Stderr);
            // The ledger, if one could be written, is readable and lists only pieces whose data is really on disk.
            var ledger = new ResumeLedger(built.Torrent, mount);
            var saved = LedgerInspector.SavedPieces(ledger.FilePath);
            var check = ledger.Validate();
            if (check.IsTrusted)
            {
                var onDisk = await PieceVerifier.VerifyAsync(built.Torrent, mount, cancellation: Ct);
                foreach (var index in check.Trusted!.SetIndexes()) Assert.True(onDisk[index], $"ledger lists piece {index}, not on disk");
            }

            // Free space: grow the filesystem, run the same command again.
            var grow = ProcessRunner.Run("mount", ["-o", "remount,size=4m", mount], TimeSpan.FromSeconds(10));
            Assert.True(grow.ExitCode == 0, grow.Stderr);
            var resumed = CliRunner.Run(args, TimeSpan.FromSeconds(30));

            Assert.True(resumed.ExitCode == CliRunner.Codes.Ok, resumed.Stderr);
            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(mount, "big.bin"))));
            ReliabilityReport.Add(new ReliabilityRow("full disk", "640 KiB into a tmpfs with 256 KiB free, then remount 4 MiB and rerun", 2, 2, "none",
                $"exit 7: '{full.Stderr.Trim()}'; ledger after failure: {(saved < 0 ? "none" : saved + " pieces")} ({check.Reason}); resumed: {resumed.Stdout.Trim()}"));
        }
        finally
        {
            ProcessRunner.Run("umount", ["-l", mount], TimeSpan.FromSeconds(10));
        }
    }
}
