using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Help as a user of the tool reads it: the command is <c>torrentlab</c>, and a subcommand's usage does not
/// carry the main download's optional torrent argument.</summary>
public class HelpTextTests
{
    [Theory]
    [InlineData("seed", "  torrentlab seed <torrents>... [options]")]
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

    /// <summary>No help page has a heading with nothing under it (a subcommand's "Arguments:" used to be left empty when
    /// the root's own argument was taken out), and none names a .NET type.</summary>
    [Fact]
    public async Task EveryHelpPage_HasNoEmptyHeadingAndNoDotNetTypeName()
    {
        var pages = 0;
        foreach (var (path, _) in ValueParsersTests.Commands(TorrentLab.Cli.CliApp.Build(), []))
        {
            var stdout = new StringWriter();
            Assert.Equal(CliRunner.Codes.Ok, await TorrentLab.Cli.CliApp.RunAsync([.. path, "--help"], new StringWriter(), stdout));
            var lines = stdout.ToString().ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var heading = lines[i].EndsWith(':') && lines[i].Length > 0 && !char.IsWhiteSpace(lines[i][0]);
                Assert.False(heading && (i + 1 == lines.Length || lines[i + 1].Length == 0), $"'{string.Join(' ', path)} --help': empty '{lines[i]}'");
            }
            Assert.DoesNotContain("System.", stdout.ToString());
            pages++;
        }
        Assert.True(pages > 20, $"{pages} help pages");
    }

    [Fact]
    public async Task PeerScope_IsShownWithLowercaseChoices()
    {
        var stdout = new StringWriter();
        await TorrentLab.Cli.CliApp.RunAsync(["--help"], new StringWriter(), stdout);

        Assert.Contains("--peer-scope <any|private|loopback>", stdout.ToString());
    }

    [Theory]
    [InlineData("--port", "5")]
    [InlineData("--bind", "::1")]
    [InlineData("--no-resume", null)]
    [InlineData("--no-dht", null)]
    [InlineData("--peer", "127.0.0.1:1")]
    public async Task Demo_DoesNotOfferOptionsItWouldIgnore(string option, string? value)
    {
        var stdout = new StringWriter();
        await TorrentLab.Cli.CliApp.RunAsync(["demo", "--help"], new StringWriter(), stdout);
        var stderr = new StringWriter();

        var code = await TorrentLab.Cli.CliApp.RunAsync(value is null ? ["demo", option] : ["demo", option, value], stderr, new StringWriter());

        Assert.DoesNotContain($"  {option} ", stdout.ToString());
        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Contains($"'{option}'", stderr.ToString());
    }
}
