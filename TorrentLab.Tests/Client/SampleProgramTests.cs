using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>The library's sample (<c>samples/TorrentLab.Sample</c>), a program that sees only the public API, downloads
/// the demo's torrent from the lab's local swarm, one of whose seeders corrupts every piece it sends.</summary>
[Trait("Tier", "Slow")]
public class SampleProgramTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The built sample beside the tests (the project is referenced, so it is copied here).</summary>
    // Run from the sample's own build output (the same configuration and target as this assembly's), beside the
    // packages it depends on: in the tests' folder ILogger's abstractions come from ASP.NET Core's shared framework,
    // which the sample, a plain console program, does not load.
    private static string SampleDll => Path.Combine(TestPaths.RepoRoot, "samples", "TorrentLab.Sample",
        Path.GetRelativePath(Path.Combine(TestPaths.RepoRoot, "TorrentLab.Tests"), AppContext.BaseDirectory), "TorrentLab.Sample.dll");

    [Fact]
    public async Task Sample_DownloadsTheDemoTorrentFromTheLabSwarm_AndEveryFileMatchesThePayload()
    {
        using var folder = new TempFolder();
        await using var swarm = await LabSwarm.StartAsync(new LabSwarmOptions
        {
            Random = new Random(1),
            Folder = folder.Combine("swarm"),
            Behaviours = [SyntheticBehaviour.Normal, SyntheticBehaviour.CorruptBlock, SyntheticBehaviour.Normal],
            MakeTorrent = url => LabTorrent.GenerateDemo(folder.Combine("swarm"), url),
            ConfigurePeer = (options, behaviour, _) => behaviour == SyntheticBehaviour.CorruptBlock ? options with { CorruptPieceIndex = -1 } : options,
        }, Ct);
        var torrent = swarm.Torrent.Torrent;
        var output = folder.Combine("downloads");

        var run = ProcessRunner.Run("dotnet", [SampleDll, swarm.Torrent.Path, output, "--no-dht"], TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, $"the sample exited {run.ExitCode}:\n{run.Stdout}\n{run.Stderr}");
        Assert.Contains($"torrent: {torrent.Name}, {torrent.TotalLength} bytes in {torrent.Files.Count} file(s)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"verified: {torrent.PieceCount}/{torrent.PieceCount} pieces", run.Stdout, StringComparison.Ordinal);
        // Read back independently of the library's own check: the files, in torrent order, are the payload.
        var onDisk = torrent.Files.SelectMany(f => File.ReadAllBytes(Path.Combine([output, .. f.PathSegments]))).ToArray();
        Assert.Equal(swarm.Torrent.Payload, onDisk);
    }

    [Fact]
    public void Sample_WithoutAFolder_IsAUsageError()
    {
        var run = ProcessRunner.Run("dotnet", [SampleDll, "only-a-torrent.torrent"], TimeSpan.FromMinutes(1));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("usage: TorrentLab.Sample", run.Stderr, StringComparison.Ordinal);
    }
}
