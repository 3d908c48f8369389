using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>The README's first command: the demo swarm downloaded end to end by the real CLI.</summary>
[Trait("Tier", "Slow")]
public class DemoCommandTests
{
    [Theory]
    [InlineData("1")]   // the single-peer reference path
    [InlineData("50")]  // the default engine
    public void Demo_DownloadsVerifiesAndCatchesTheFaultyPeer(string maxPeers)
    {
        using var folder = new TempFolder();

        var result = CliRunner.Run(["demo", "--output", folder.Path, "--quiet", "--max-peers", maxPeers], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Contains("verified on disk: 80/80 pieces match their SHA-1", result.Stdout);
        Assert.Contains("bad peers dropped: 1", result.Stdout);
        Assert.Contains("SHA-1", result.Stdout.Split("bad peers dropped: 1")[1]); // the dropped peer is named with its hash failure
        Assert.True(File.Exists(folder.Combine("torrentlab-demo", "data", "samples-1.bin")));
        Assert.Equal(0, new FileInfo(folder.Combine("torrentlab-demo", "notes", "empty.txt")).Length);
    }

    [Fact]
    public void Demo_RunTwice_StartsFreshAndSucceedsAgain()
    {
        using var folder = new TempFolder();
        var first = CliRunner.Run(["demo", "-o", folder.Path, "--quiet"], TimeSpan.FromSeconds(60));
        var second = CliRunner.Run(["demo", "-o", folder.Path, "--quiet"], TimeSpan.FromSeconds(60));
        Assert.Equal(CliRunner.Codes.Ok, first.ExitCode);
        Assert.Equal(CliRunner.Codes.Ok, second.ExitCode);
        Assert.Contains("bad peers dropped: 1", second.Stdout);
    }
}
