using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Packaging;

/// <summary><c>tools/pack-check.sh</c>: the library packed as a user gets it (net10.0 and net8.0, licence, README, XML
/// docs, symbols), the sample built against that package for both targets (not against the project), and both
/// builds run (net8.0 rolled forward to the .NET 10 runtime where no .NET 8 one is installed) against the lab's local swarm, one of whose seeders corrupts every piece it sends.</summary>
[Trait("Tier", "Slow")]
public class PackCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Script => Path.Combine(TestPaths.RepoRoot, "tools", "pack-check.sh");

    [Fact]
    public async Task PackedSample_BuildsForEveryTarget_AndDownloadsFromTheLabSwarm()
    {
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(2),
            Folder = folder.Combine("swarm"),
            Behaviours = [SyntheticBehaviour.Normal, SyntheticBehaviour.CorruptBlock],
            MakeTorrent = url => LabTorrent.GenerateDemo(folder.Combine("swarm"), url),
            ConfigurePeer = (options, behaviour, _) => behaviour == SyntheticBehaviour.CorruptBlock ? options with { CorruptPieceIndex = -1 } : options,
        }, Ct);
        var torrent = swarm.Torrent.Torrent;
        var output = folder.Combine("downloads");

        // Two Release builds of the library and two of the sample: minutes on a loaded two-core machine.
        var run = ProcessRunner.Run("bash", [Script, "--torrent", swarm.Torrent.Path, "--output", output], TimeSpan.FromMinutes(25),
            environment: new Dictionary<string, string> { ["TMPDIR"] = folder.Path });

        Assert.True(run.ExitCode == 0, $"pack-check exited {run.ExitCode}:\n{run.Stdout}\n{run.Stderr}");
        Assert.Matches(@"sample \(net10\.0\): built against TorrentLab/\S+-packcheck\.\S+ \(lib/net10\.0/TorrentLab\.dll\)", run.Stdout);
        Assert.Matches(@"sample \(net8\.0\): built against TorrentLab/\S+-packcheck\.\S+ \(lib/net8\.0/TorrentLab\.dll\)", run.Stdout);
        // Both builds ran: net10.0 into the folder, net8.0 (rolled forward to the runtime here) into a second one.
        Assert.Equal(2, run.Stdout.Split($"verified: {torrent.PieceCount}/{torrent.PieceCount} pieces").Length - 1);
        Assert.Contains("== running the sample (net8.0, from the package", run.Stdout, StringComparison.Ordinal);
        foreach (var target in new[] { output, output + "-net8.0" })
        {
            var onDisk = torrent.Files.SelectMany(f => File.ReadAllBytes(Path.Combine([target, .. f.PathSegments]))).ToArray();
            Assert.Equal(swarm.Torrent.Payload, onDisk);
        }
    }

    [Fact]
    public void PackCheck_WithATorrentButNoOutput_IsAUsageError()
    {
        var run = ProcessRunner.Run("bash", [Script, "--torrent", "x.torrent"], TimeSpan.FromMinutes(1));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--torrent needs --output", run.Stderr, StringComparison.Ordinal);
    }
}
