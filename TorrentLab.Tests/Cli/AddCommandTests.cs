using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web;
using TorrentLab.Web;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab add SOURCE --downloads DIR [--complete] [--paused]</c>: into the list of a serve that is
/// stopped (written directly, by the import's data rule), or through the serve that runs on it (its REST API, at the
/// address and with the token it announced beside its lock).</summary>
[Trait("Tier", "Slow")]
public partial class AddCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int PieceLength = 16 * 1024;

    /// <summary>The torrent's .torrent in the temp folder, its data in <c>downloads</c>: at full size, every byte 0x5A,
    /// so that a hash would find no piece good (a torrent listed complete was not hashed).</summary>
    private static (string Torrent, string Downloads) Scenario(TempFolder temp, TestTorrents.Built built)
    {
        var downloads = temp.Combine("downloads");
        Directory.CreateDirectory(downloads);
        File.WriteAllBytes(Path.Combine(downloads, built.Torrent.Name), Enumerable.Repeat((byte)0x5A, built.Payload.Length).ToArray());
        return (built.WriteTorrent(temp.Path, built.Torrent.Name + ".torrent"), downloads);
    }

    /// <summary><c>serve --seed</c> on the list: the swarm engine, on loopback alone; a complete torrent that is started seeds.</summary>
    private static async Task<WebServer> ServeAsync(string downloads)
    {
        var options = WebTestServer.Options(downloads);
        return await WebServer.StartAsync(options with
        {
            MaxPeers = 50,
            SeedAfterDownload = true,
            ConfigureSession = s => options.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
        }, Ct);
    }

    private static async Task<TorrentDetails> DetailsAsync(WebServer server, TestTorrents.Built built)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        return (await http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{built.Torrent.InfoHash.Hex}", Ct))!;
    }

    [Fact]
    public async Task AddComplete_EveryFileAtFullSize_ServeStartsItCompleteWithNoPieceHashed()
    {
        using var temp = new TempFolder("torrentlab-add");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, "whole.bin", announce: null, seed: 31);
        var (torrent, downloads) = Scenario(temp, built);

        var run = await CliRunner.RunAsync(["add", torrent, "--downloads", downloads, "--complete"]);

        Assert.True(run.ExitCode == CliRunner.Codes.Ok, run.Stdout + run.Stderr);
        Assert.Equal($"added 'whole.bin' ({built.Torrent.InfoHash.Hex}) to the serve list of {downloads}: complete, not hashed (every file at its full size); starts when serve starts",
            run.Stdout.TrimEnd('\n'));
        await using var server = await ServeAsync(downloads);
        Assert.Equal(8, (await DetailsAsync(server, built)).Summary.PiecesDone); // at once: a hash of these bytes finds none
        // Its start says no piece was hashed: it trusted the ledger the add wrote.
        await Wait.UntilAsync(async () => (await DetailsAsync(server, built)).Log.Any(l => l.EndsWith("resume ledger trusted: 8 of 8 pieces", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "its start never said it trusted the ledger", Ct);
    }

    [Fact]
    public async Task AddComplete_AFileOfAnotherSize_IsNamedAndServeChecksIt()
    {
        using var temp = new TempFolder("torrentlab-add");
        var built = TestTorrents.MultiFile([("a.bin", 2 * PieceLength), ("b.bin", 2 * PieceLength)], PieceLength, "two", announce: null, seed: 32);
        var downloads = temp.Combine("downloads");
        built.WritePayload(downloads);
        using (var file = File.OpenWrite(Path.Combine(downloads, "two", "b.bin"))) file.SetLength(PieceLength + 100); // b.bin's second piece cut
        var torrent = built.WriteTorrent(temp.Path, "two.torrent");

        var run = await CliRunner.RunAsync(["add", torrent, "--downloads", downloads, "--complete", "--paused"]);

        Assert.True(run.ExitCode == CliRunner.Codes.Ok, run.Stdout + run.Stderr);
        Assert.EndsWith($": not complete: two/b.bin ({PieceLength + 100} bytes, expected {2 * PieceLength}): checked when it starts; paused", run.Stdout.TrimEnd('\n'));
        await using var server = await ServeAsync(downloads);
        Assert.Equal(0, (await DetailsAsync(server, built)).Summary.PiecesDone); // nothing taken on its word
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using (var started = await http.PostAsync($"/api/torrents/{built.Torrent.InfoHash.Hex}/start", null, Ct)) Assert.True(started.IsSuccessStatusCode);
        var last = (TorrentDetails?)null;
        await Wait.UntilAsync(async () => (last = await DetailsAsync(server, built)).Summary.PiecesDone == 3, TimeSpan.FromSeconds(30),
            $"the check never kept the 3 whole pieces: {last?.Summary} {string.Join(" | ", last?.Log ?? [])}", Ct);
    }

    [Fact]
    public async Task Add_BadSources_OneLineAndTheirExitCodes_AndATorrentListedTwiceIsRefused()
    {
        using var temp = new TempFolder("torrentlab-add");
        var built = TestTorrents.SingleFile(2 * PieceLength, PieceLength, "once.bin", announce: null, seed: 33);
        var (torrent, downloads) = Scenario(temp, built);
        File.WriteAllText(temp.Combine("junk.torrent"), "not bencode");

        var missing = await CliRunner.RunAsync(["add", temp.Combine("missing.torrent"), "--downloads", downloads]);
        var junk = await CliRunner.RunAsync(["add", temp.Combine("junk.torrent"), "--downloads", temp.Combine("elsewhere")]);
        var neither = await CliRunner.RunAsync(["add", "nothing-at-all", "--downloads", downloads]);
        var first = await CliRunner.RunAsync(["add", torrent, "--downloads", downloads]);
        var second = await CliRunner.RunAsync(["add", torrent, "--downloads", downloads]);

        Assert.Equal((CliRunner.Codes.Io, CliRunner.Codes.BadInput, CliRunner.Codes.Usage, CliRunner.Codes.Ok, CliRunner.Codes.Failed),
            (missing.ExitCode, junk.ExitCode, neither.ExitCode, first.ExitCode, second.ExitCode));
        foreach (var failed in new[] { missing, junk, neither, second }) Assert.Single(failed.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal($"error: torrent 'once.bin' ({built.Torrent.InfoHash.Hex}) is already in the list", second.Stderr.TrimEnd('\n'));
        Assert.EndsWith(": starts when serve starts", first.Stdout.TrimEnd('\n'));
        Assert.False(Directory.Exists(temp.Combine("elsewhere"))); // a bad source touches no list
    }

    /// <summary>As transmission-remote reaches its daemon: a serve running on the list is asked over its REST API with
    /// the token it wrote beside its lock (readable by its user alone), and adds the torrent complete without hashing,
    /// a .torrent file's bytes (<c>POST /api/torrents</c>) or a URL that the server fetches (<c>POST /api/torrents/link</c>).
    /// Without that file (a serve that says nothing), the add is refused with one line naming the page and the API.</summary>
    [Fact]
    public async Task Add_WhileServeRuns_GoesThroughItsApiWithItsToken_OrIsRefusedWhenItSaysNotWhere()
    {
        using var temp = new TempFolder("torrentlab-add");
        var built = TestTorrents.SingleFile(4 * PieceLength, PieceLength, "live.bin", announce: null, seed: 34);
        var other = TestTorrents.SingleFile(4 * PieceLength, PieceLength, "other.bin", announce: null, seed: 35);
        var (torrent, downloads) = Scenario(temp, built);
        var otherTorrent = Scenario(temp, other).Torrent;
        var linked = TestTorrents.SingleFile(4 * PieceLength, PieceLength, "linked.bin", announce: null, seed: 36);
        Scenario(temp, linked);
        await using var site = await ServeFileAsync("/linked.torrent", linked.TorrentBytes);
        using var process = ProcessRunner.Start("dotnet",
            [CliRunner.CliDll, "serve", "--port", "0", "--peer-port", "0", "--no-dht", "--token", "s3cret", "--downloads", downloads]);
        try
        {
            var url = await ServingUrlAsync(process);
            var announced = ServeListLock.AddressPathFor(downloads);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(announced)); // the token is a password

            var run = await CliRunner.RunAsync(["add", torrent, "--downloads", downloads, "--complete"]);

            Assert.True(run.ExitCode == CliRunner.Codes.Ok, run.Stdout + run.Stderr);
            Assert.StartsWith($"added 'live.bin' ({built.Torrent.InfoHash.Hex}) to the torrentlab serve running at {url}: complete, not hashed", run.Stdout);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
            var row = Assert.Single((await http.GetFromJsonAsync<TorrentSummary[]>("/api/torrents", Ct))!);
            Assert.Equal((built.Torrent.InfoHash.Hex, 4), (row.InfoHash, row.PiecesDone)); // 0x5A bytes: complete only unhashed

            var byUrl = await CliRunner.RunAsync(["add", site.Address + "/linked.torrent", "--downloads", downloads, "--complete", "--paused"]);

            Assert.True(byUrl.ExitCode == CliRunner.Codes.Ok, byUrl.Stdout + byUrl.Stderr);
            Assert.Equal($"added 'linked.bin' ({linked.Torrent.InfoHash.Hex}) to the torrentlab serve running at {url}: complete, not hashed (every file at its full size); paused",
                byUrl.Stdout.TrimEnd('\n'));

            File.Delete(announced);
            var refused = await CliRunner.RunAsync(["add", otherTorrent, "--downloads", downloads, "--complete"]);

            Assert.Equal(CliRunner.Codes.Failed, refused.ExitCode);
            Assert.Equal($"error: the serve list of '{downloads}' is in use by a running torrentlab serve that does not say where it answers ({announced}): "
                + "add the torrent on its page, or with POST /api/torrents?skipChecking=true", refused.Stderr.TrimEnd('\n'));
            Assert.Equal(2, (await http.GetFromJsonAsync<TorrentSummary[]>("/api/torrents", Ct))!.Length);
        }
        finally
        {
            ProcessRunner.Stop(process);
        }
    }

    /// <summary>A loopback web site serving <paramref name="bytes"/> at <paramref name="path"/>; its address.</summary>
    private static async Task<LoopbackSite> ServeFileAsync(string path, byte[] bytes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet(path, () => Results.Bytes(bytes, "application/x-bittorrent"));
        await app.StartAsync(Ct);
        return new LoopbackSite(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private sealed class LoopbackSite(WebApplication app, string address) : IAsyncDisposable
    {
        public string Address { get; } = address;
        public ValueTask DisposeAsync() => app.DisposeAsync();
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
}
