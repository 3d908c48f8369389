using TorrentLab.Cli;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary>The single-peer reference path speaks TCP only, joins no session and listens on no address: an option that
/// needs the swarm engine is refused before any work starts, not accepted and ignored. The main command and the
/// classroom downloads run that path with <c>--max-peers 1</c>; <c>download_piece</c> always runs it.</summary>
[Collection(ConsoleCollection.Name)]
public class DownloadSettingsTests
{
    private static readonly string Torrent = TestPaths.Fixture("single", "hello.txt.torrent");

    [Theory]
    [InlineData("--lsd", null, "--lsd needs the swarm engine; --max-peers 1 runs the reference path, which joins no session and hears no local peer")]
    [InlineData("--bind", "127.0.0.1", "--bind needs the swarm engine; --max-peers 1 runs the reference path, which listens on no address (it only dials)")]
    [InlineData("--transport", "utp", "--transport utp needs the swarm engine; --max-peers 1 runs the reference path, which speaks TCP only")]
    public async Task MainCommand_MaxPeersOne_RefusesWhatOnlyTheSwarmDoes(string option, string? value, string expected)
    {
        using var folder = new TempFolder();
        string[] args = [Torrent, "-o", folder.Combine("out"), "--max-peers", "1", "--no-dht", option, .. value is null ? [] : new[] { value }];

        var (code, stderr, _) = await RunInProcessAsync(args);

        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Equal($"error: {expected}\n", stderr);
        Assert.False(Directory.Exists(folder.Combine("out"))); // refused before anything was written
    }

    [Theory]
    [InlineData("--lsd", null, "--lsd needs the swarm engine; a piece alone runs the single-peer reference path, which joins no session and hears no local peer")]
    [InlineData("--bind", "127.0.0.1", "--bind needs the swarm engine; a piece alone runs the single-peer reference path, which listens on no address (it only dials)")]
    [InlineData("--transport", "utp", "--transport utp needs the swarm engine; a piece alone runs the single-peer reference path, which speaks TCP only")]
    [InlineData("--max-peers", "5", "--max-peers 5 needs the swarm engine; a piece alone runs the single-peer reference path, one peer at a time")]
    public async Task DownloadPiece_RefusesWhatOnlyTheSwarmDoes(string option, string? value, string expected)
    {
        using var folder = new TempFolder();
        string[] args = ["download_piece", "-o", folder.Combine("piece"), Torrent, "0", "--no-dht", option, .. value is null ? [] : new[] { value }];

        var (code, stderr, _) = await RunInProcessAsync(args);

        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Equal($"error: {expected}\n", stderr);
        Assert.False(File.Exists(folder.Combine("piece")));
    }

    [Fact]
    public async Task DownloadPiece_MaxPeersOne_IsItsDefaultAndPassesTheChecks()
    {
        using var folder = new TempFolder();
        string[] args = ["download_piece", "-o", folder.Combine("piece"), Torrent, "99", "--no-dht", "--max-peers", "1"];

        // Past the checks, the torrent is opened and its piece index looked at: out of range here.
        var (code, stderr, _) = await RunInProcessAsync(args);
        var help = await RunInProcessAsync(["download_piece", "--help"]);

        Assert.Equal(CliRunner.Codes.Usage, code);
        Assert.Contains("piece index 99 is out of range", stderr, StringComparison.Ordinal);
        Assert.Equal(CliRunner.Codes.Ok, help.Code);
        Assert.Matches(@"--max-peers <max-peers> +Peers connected at once: 1 only, since one piece runs the single-peer reference path \[default: 1\]", help.Stdout);
        Assert.Matches(@"--port <port> +The port told to the trackers \(default 6881\); nothing listens on it", help.Stdout);
    }

    /// <summary>Runs the command in this process with stdout and stderr captured (the commands' own errors are written
    /// to the console, not to the parser's writer).</summary>
    private static async Task<(int Code, string Stderr, string Stdout)> RunInProcessAsync(string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = await CliApp.RunAsync(args, stderr, stdout).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            return (code, stderr.ToString().ReplaceLineEndings("\n"), stdout.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
