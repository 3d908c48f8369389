using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab serve</c>'s arguments, checked before anything listens.</summary>
[Trait("Tier", "Slow")]
public partial class ServeCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>SIGINT with a download running: serve pauses it, saves, prints its closing line and exits 0 on its own.
    /// The bound is generous (30 s) because timing is not what a test asserts; the stop time is measured by
    /// <c>bench/session/serve_scale.py</c> (BENCHMARKS.md).</summary>
    [Fact]
    public async Task Serve_SigintWhileDownloading_StopsOnItsOwnWithItsClosingLineAndExit0()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("sends SIGINT with kill(1)");
        await using var swarm = await MockSwarm.StartAsync(
            url => TestTorrents.SingleFile(length: 200 * 16384, pieceLength: 16384, name: "big.bin", announce: url),
            [o => o with { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(50) }], Ct);
        using var downloads = new TempFolder();
        using var process = ProcessRunner.Start("dotnet",
            [CliRunner.CliDll, "serve", "--port", "0", "--peer-port", "0", "--no-dht", "--downloads", downloads.Path]);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var exited = false;
        try
        {
            var url = await ServingUrlAsync(process);
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(20) };
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(swarm.Built.TorrentBytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
            form.Add(file, "torrent", "big.torrent");
            using (var added = await http.PostAsync("/api/torrents?start=true", form, Ct))
                Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
            // Some pieces in (the slow seeder sends a 16 KiB piece every 50 ms): the stop has a download to pause and a
            // ledger to save. Polls the list, at most 60 s.
            await Wait.UntilAsync(async () => (await http.GetFromJsonAsync("/api/torrents", WebJsonContext.Default.TorrentSummaryArray, Ct))!
                .Any(t => t.State == "downloading" && t.PiecesDone > 0), TimeSpan.FromSeconds(60), Ct);

            ProcessRunner.Signal(process, "INT");
            exited = process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!exited) ProcessRunner.Stop(process);
        }

        Assert.True(exited, "serve did not stop on its own within 30 s of SIGINT");
        Assert.Equal(CliRunner.Codes.Ok, process.ExitCode);
        var lines = (await stderr).TrimEnd('\n').Split('\n');
        Assert.Contains("stopping: pausing torrents and saving their ledgers", lines);
        Assert.Equal("stopped: the torrent list and ledgers are saved", lines[^1]);
    }

    /// <summary>Reads serve's first line, <c>serving http://127.0.0.1:PORT/ ...</c>, for the address (at most 60 s).</summary>
    private static async Task<string> ServingUrlAsync(Process process)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(limit.Token) ?? "";
        var match = ServingLine().Match(line);
        Assert.True(match.Success, $"expected 'serving http://...', got '{line}'");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"^serving (http://[^/\s]+)/")]
    private static partial Regex ServingLine();

    [Theory]
    [InlineData("nas.example:8080")] // a port belongs to --port, not to a name
    [InlineData("http://nas.example")]
    [InlineData("*.example")]
    public void Serve_AllowedHostThatIsNoHostName_IsAUsageError(string name)
    {
        using var downloads = new TempFolder();

        var result = CliRunner.Run(["serve", "--port", "0", "--downloads", downloads.Path, "--allowed-host", name]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains($"--allowed-host expects a host name or IP address without a port, got '{name}'", result.Stderr);
    }

    [Theory]
    [InlineData("--max-active", "0", "--max-active must be 1..1000")]
    [InlineData("--seed-ratio", "-1", "--seed-ratio must be a number from 0 to 1000000, got -1")]
    [InlineData("--seed-time", "-5", "--seed-time expects a duration of 0 or more up to 10000d, such as 30s, 10m or 2h (a bare number is minutes), got '-5'")]
    public void Serve_QueueOrSeedLimitOutOfRange_IsAUsageError(string option, string value, string message)
    {
        using var downloads = new TempFolder();

        var result = CliRunner.Run(["serve", "--port", "0", "--downloads", downloads.Path, option, value]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }
}
