using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Help as a user of the tool reads it: the command is <c>torrentlab</c>, and a subcommand's usage does not
/// carry the main download's optional torrent argument.</summary>
public class HelpTextTests
{
    [Theory]
    [InlineData("seed", "  torrentlab seed <torrents>... [options]")]
    [InlineData("download", "  torrentlab download <torrent> [<output>] [options]")]
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

    /// <summary>Each option's default is stated once: either in its description or as the help's <c>[default: X]</c>,
    /// never both; and a choice option's <c>[default: X]</c> is one of the choices as written (<c>any</c>, not
    /// <c>Any</c>).</summary>
    [Fact]
    public async Task EveryHelpPage_StatesEachDefaultOnce_AChoicesDefaultAsOneOfItsChoices()
    {
        var entries = 0;
        foreach (var (path, _) in ValueParsersTests.Commands(TorrentLab.Cli.CliApp.Build(), []))
        {
            var stdout = new StringWriter();
            await TorrentLab.Cli.CliApp.RunAsync([.. path, "--help"], new StringWriter(), stdout);
            foreach (var entry in OptionEntries(stdout.ToString()))
            {
                var where = $"'{string.Join(' ', path)} --help': {entry}";
                Assert.True(System.Text.RegularExpressions.Regex.Count(entry, "default", System.Text.RegularExpressions.RegexOptions.IgnoreCase) <= 1, where);
                var choices = System.Text.RegularExpressions.Regex.Match(entry, @"^\s*(?:-\S+, )*--\S+ <(?<c>[a-z0-9]+(?:\|[a-z0-9]+)+)>");
                var tag = System.Text.RegularExpressions.Regex.Match(entry, @"\[default: (?<v>[^\]]*)\]");
                if (choices.Success && tag.Success) Assert.Contains(tag.Groups["v"].Value, choices.Groups["c"].Value.Split('|'));
                entries++;
            }
        }
        Assert.True(entries > 150, $"{entries} option entries");
    }

    /// <summary>The entries of a help page's "Options:" section, each with its continuation lines joined.</summary>
    private static List<string> OptionEntries(string help)
    {
        var entries = new List<string>();
        var inOptions = false;
        foreach (var line in help.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0])) inOptions = line == "Options:";
            else if (inOptions && line.StartsWith("  -", StringComparison.Ordinal)) entries.Add(line);
            else if (inOptions && line.Trim().Length > 0 && entries.Count > 0) entries[^1] += " " + line.Trim();
        }
        return entries;
    }

    [Fact]
    public async Task PeerScope_IsShownWithLowercaseChoices()
    {
        var stdout = new StringWriter();
        await TorrentLab.Cli.CliApp.RunAsync(["--help"], new StringWriter(), stdout);

        Assert.Contains("--peer-scope <any|private|loopback>", stdout.ToString());
        Assert.Contains("[default: any]", stdout.ToString());
        Assert.DoesNotContain("[default: Any]", stdout.ToString());
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
