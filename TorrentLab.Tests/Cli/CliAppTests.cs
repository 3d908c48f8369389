using System.CommandLine;
using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>Mistakes in the words of a command line are blamed on the word that is wrong: a mistyped command name is
/// named (with the closest command), and a folder where a .torrent belongs gets one line and one exit code whatever the
/// command.</summary>
public class CliAppTests
{
    [Theory]
    [InlineData("'dwnload' is neither a command nor an existing .torrent file; did you mean 'download'?", "dwnload", "x.torrent")]
    [InlineData("'downlaod' is neither a command nor an existing .torrent file; did you mean 'download'?", "downlaod", "-o", "out", "x.torrent")]
    [InlineData("'infoo' is neither a command nor an existing .torrent file; did you mean 'info'?", "infoo", "x.torrent")]
    [InlineData("'magnet_inf' is neither a command nor an existing .torrent file; did you mean 'magnet_info'?", "magnet_inf", "magnet:?xt=urn:btih:0000000000000000000000000000000000000000")]
    [InlineData("'pnig' is not a command of 'dht'; did you mean 'ping'?", "dht", "pnig", "127.0.0.1:1")]
    [InlineData("'frobnicate' is neither a command nor an existing .torrent file", "frobnicate")]
    public async Task MistypedCommand_IsBlamedOnThatWord_WithTheClosestCommand(string expected, params string[] args)
    {
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync(args, stderr, new StringWriter());

        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Equal($"error: {expected} (see 'torrentlab --help')\n", stderr.ToString().ReplaceLineEndings("\n"));
    }

    /// <summary>A mistyped option is blamed, and the closest long option named (a short one has no "closest").</summary>
    [Theory]
    [InlineData("--outptu", "; did you mean '--output'?", "--outptu", "x")] // the parser took the option for the torrent and blamed 'x'
    [InlineData("--outptu", "; did you mean '--output'?", "--outptu", "x", "y.torrent")]
    [InlineData("-z", "", "-z", "y.torrent")]
    [InlineData("--outptu", "; did you mean '--output'?", "--outptu")]      // alone: not "neither a command nor an existing .torrent file"
    [InlineData("--outptu", "; did you mean '--output'?", "y.torrent", "--outptu")]
    [InlineData("--zzzzzz", "", "--zzzzzz", "y.torrent")]                     // nothing close: no guess
    public async Task MistypedOption_OfTheDownload_IsBlamedOnTheOption_NotOnTheWordAfterIt(string option, string hint, params string[] args)
    {
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync(args, stderr, new StringWriter());

        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Equal($"error: unknown option '{option}'{hint} (see 'torrentlab --help')\n", stderr.ToString().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("x.torrent")]               // a torrent that is not there: the download reports the missing file
    [InlineData("magnet:?xt=urn:btih:0")]   // a magnet link: the download reports what is wrong with it
    [InlineData("downloads/x")]             // a path
    public void FirstWordThatMayBeATorrent_IsLeftToTheDownload(string word)
    {
        Assert.Null(CliApp.UnknownCommand(CliApp.Build(), [word]));
    }

    [Theory]
    [InlineData("download", "downlaod", 1)] // two letters swapped
    [InlineData("info", "infoo", 1)]
    [InlineData("seed", "seed", 0)]
    [InlineData("ping", "pnig", 1)]
    public void Distance_CountsASwapAsOneEdit(string a, string b, int distance) => Assert.Equal(distance, CliApp.Distance(a, b));

    /// <summary><c>download TORRENT OUTPUT</c> beside <c>download -o OUTPUT TORRENT</c>: the output given both ways, or
    /// neither, is refused before the torrent is opened (it does not exist here: opening it would exit 4).</summary>
    [Theory]
    [InlineData("download", "-o", "a", "x.torrent", "b")]
    [InlineData("download", "x.torrent", "b", "-o", "a")]
    [InlineData("download", "x.torrent")]
    [InlineData("magnet_download", "magnet:?xt=urn:btih:0000000000000000000000000000000000000000")]
    public async Task Download_OutputGivenTwiceOrNotAtAll_IsAUsageError(params string[] args)
    {
        var code = await CliApp.RunAsync(args, new StringWriter(), new StringWriter());

        Assert.Equal(CliRunner.Codes.Usage, code);
    }

    [Fact]
    public void Download_OutputAsSecondArgument_IsTheSameSettingAsDashO()
    {
        var root = CliApp.Build();
        var download = root.Subcommands.Single(c => c.Name == "download");

        var parse = root.Parse(["download", "x.torrent", "out/file.bin"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("out/file.bin", parse.GetValue((Argument<string?>)download.Arguments.Single(a => a.Name == "output")));
        Assert.Null(parse.GetValue((Option<string>)download.Options.Single(o => o.Name == "--output")));
    }

    public static TheoryData<string[]> FolderCommands() => new()
    {
        new[] { "{0}" },
        new[] { "info", "{0}" },
        new[] { "verify", "{0}", "-o", "{1}" },
        new[] { "handshake", "{0}", "127.0.0.1:1" },
        new[] { "peers", "{0}" },
        new[] { "scrape", "{0}" },
        new[] { "merkle_root", "{0}" },
        new[] { "download", "-o", "{1}", "{0}" },
        new[] { "download_piece", "-o", "{1}", "{0}", "0" },
        new[] { "seed", "{0}", "--data", "{1}", "--no-dht" },
    };

    /// <summary>The case: a folder exited 2, 4 or 2 with three wordings by command. Now: exit 4, one line, the
    /// same words, and nothing written.</summary>
    [Theory]
    [Trait("Tier", "Slow")] // the real process: the commands' errors go to the process's stderr
    [MemberData(nameof(FolderCommands))]
    public void FolderGivenForATorrent_OneWordingAndOneExitCodeForEveryCommand(string[] shape)
    {
        using var temp = new TempFolder();
        var folder = temp.Combine("a-folder");
        Directory.CreateDirectory(folder);
        var args = shape.Select(a => string.Format(System.Globalization.CultureInfo.InvariantCulture, a, folder, temp.Combine("out"))).ToArray();

        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == CliRunner.Codes.Io, $"{string.Join(' ', shape)}: exit {result.ExitCode}: {result.Stderr}");
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {folder} is a folder, not a file", line);
        Assert.False(Path.Exists(temp.Combine("out")));
    }
}
