using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Help as a user of the tool reads it: the command is <c>torrentlab</c>, and a subcommand's usage does not
/// carry the main download's optional torrent argument.</summary>
public class HelpTextTests
{
    [Theory]
    [InlineData("seed", "  torrentlab seed <torrent> [options]")]
    [InlineData("download", "  torrentlab download <torrent> [options]")]
    [InlineData("dht ping", "  torrentlab dht ping <node> [options]")]
    public void SubcommandHelp_UsageLineIsTheToolsOwn(string command, string usage)
    {
        var result = CliRunner.Run([.. command.Split(' '), "--help"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal(usage, lines[Array.IndexOf(lines, "Usage:") + 1]);
        Assert.DoesNotContain("TorrentLab.Cli", result.Stdout);
        Assert.DoesNotContain("The .torrent file or magnet link to download", result.Stdout); // the root's argument
    }

    [Fact]
    public void RootHelp_KeepsTheTorrentArgument()
    {
        var result = CliRunner.Run(["--help"]);

        var lines = result.Stdout.Split('\n');
        Assert.Equal("  torrentlab [<torrent>] [command] [options]", lines[Array.IndexOf(lines, "Usage:") + 1]);
        Assert.Contains("  <torrent>  The .torrent file or magnet link to download", lines);
    }

    [Fact]
    public void DownloadHelp_ListsItsOwnTorrentArgumentOnce()
    {
        var result = CliRunner.Run(["download", "--help"]);

        Assert.Single(result.Stdout.Split('\n'), line => line.StartsWith("  <torrent>", StringComparison.Ordinal));
    }
}
