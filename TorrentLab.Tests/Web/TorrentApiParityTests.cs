using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The routes that bring the API level with the command line, over real HTTP against the mock swarm: add by
/// magnet link or URL, settings, seeding, recheck, bulk actions, totals, tracker errors.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiParityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The swarm engine without the DHT: everything stays on loopback and seeding is possible.</summary>
    internal static WebServerOptions Swarm(WebServerOptions o) => o with
    {
        MaxPeers = 50,
        ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
    };

    [Fact]
    public async Task AddLink_MagnetLink_FetchesTheMetadataFromThePeerAndDownloadsToCompletion()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Swarm, peer: p => p with { ServeMetadata = true });
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&tr={Uri.EscapeDataString(web.Swarm.Tracker.HttpAnnounceUrl)}"
            + $"&x.pe={web.Swarm.EndPointOf(0)}";

        using var response = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = magnet }, Ct);
        var added = await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(web.InfoHash, added!.InfoHash);
        Assert.Equal("webtest", added.Name);
        Assert.Equal(1.0, done.Progress);
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task AddLink_UrlOnLoopback_FetchesTheTorrentFollowingARedirect()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await using var site = await StartSiteAsync(web.Swarm.Built.TorrentBytes);

        using var response = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = Url(site, "/moved"), start = false }, Ct);
        var added = await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(web.InfoHash, added!.InfoHash);
        Assert.Equal("paused", added.State);
    }

    [Fact]
    public async Task AddLink_OfATorrentAddedAlready_Is409_AndAMagnetLinksMetadataIsNotFetched()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Swarm);
        await using var site = await StartSiteAsync(web.Swarm.Built.TorrentBytes);
        await web.AddAsync(start: false, Ct);
        // No tracker, no peer, no DHT: a fetch could only wait out its limit and answer 502.
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}";

        using var byMagnet = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = magnet }, Ct);
        using var byUrl = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = Url(site, "/moved") }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, byMagnet.StatusCode);
        Assert.Contains("already added", await byMagnet.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Conflict, byUrl.StatusCode);
    }

    [Theory]
    [InlineData("/big", HttpStatusCode.RequestEntityTooLarge, "larger than the limit")]
    [InlineData("/missing", HttpStatusCode.BadGateway, "HTTP 404")]
    [InlineData("/to-link-local", HttpStatusCode.BadRequest, "link-local")]
    [InlineData("/garbage", HttpStatusCode.BadRequest, "not a .torrent")]
    public async Task AddLink_UrlThatCannotBeUsed_IsRefusedWithItsReason(string path, HttpStatusCode status, string reason)
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxTorrentBytes = 4096 });
        await using var site = await StartSiteAsync(web.Swarm.Built.TorrentBytes);

        using var response = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = Url(site, path) }, Ct);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, error!.Error);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Theory]
    [InlineData("http://0.0.0.0:9/a.torrent", "unspecified")]
    [InlineData("http://169.254.169.254/latest/meta-data", "link-local")]
    [InlineData("http://255.255.255.255/a.torrent", "broadcast")]
    [InlineData("http://224.0.0.1/a.torrent", "multicast")]
    [InlineData("http://[ff02::1]/a.torrent", "multicast")]
    [InlineData("http://[fe80::1]/a.torrent", "link-local")]
    [InlineData("ftp://127.0.0.1/a.torrent", "not an http or https URL")]
    [InlineData("file:///etc/passwd", "not an http or https URL")]
    [InlineData("http://user:pw@127.0.0.1/a.torrent", "user name or password")]
    [InlineData("magnet:?xt=urn:btih:zz", "magnet")]
    [InlineData("", "give 'link'")]
    public async Task AddLink_RefusedTarget_Is400BeforeAnyPacketIsSent(string link, string reason)
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link }, Ct);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, error!.Error);
    }

    [Fact]
    public async Task Settings_Put_ChangesOnlyTheFieldsGivenAndSurvivesARestart()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxActiveDownloads = 4 });

        var before = await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct);
        using var put = await web.Http.PutAsJsonAsync("/api/settings", new { maxActiveDownloads = 7, seedRatio = 1.5 }, Ct);
        using var bad = await web.Http.PutAsJsonAsync("/api/settings", new { maxActiveDownloads = 0 }, Ct);
        await web.RestartAsync(Ct);
        var after = await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct);

        Assert.Equal(new WebSettings(4, false, null, null), Queue(before!));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(new WebSettings(7, false, 1.5, null), Queue(after!));
        // The session's settings are reported beside them: the port it bound, the DHT, the connection limit.
        Assert.Equal(web.Server.PeerPort, after!.PeerPort);
        Assert.Equal(500, after.MaxConnections);
    }

    /// <summary>The queue and seeding fields only.</summary>
    private static WebSettings Queue(WebSettings settings) => new(settings.MaxActiveDownloads, settings.SeedAfterDownload, settings.SeedRatio, settings.SeedMinutes);

    [Fact]
    public async Task Settings_PeerPortGivenOnce_IsSavedAndAskedForAgainAfterARestart()
    {
        var port = ProcessRunner.FreeTcpAndUdpPort();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { PeerPort = port });
        Assert.Equal(port, web.Server.PeerPort);

        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await web.RestartAsync(Ct, configure: o => o with { PeerPort = null, Log = log.Enqueue }); // the command line names no port this time

        Assert.True(port == web.Server.PeerPort, string.Join("\n", log));
        Assert.Equal(port, (await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct))!.PeerPort);
    }

    /// <summary>201 torrents added and started, with a dead tracker (they wait for peers forever): only the limit run,
    /// the others wait in the order they were added, and only the running ones hold files open.</summary>
    [Fact]
    public async Task Queue_201Adds_RunAtMostTheLimitInAddOrderWithBoundedOpenFiles()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Swarm(o) with { MaxActiveDownloads = 5 });
        var hashes = new List<string>();
        for (var i = 0; i < 201; i++)
        {
            var built = TestTorrents.SingleFile(length: 20_000, name: $"q{i:D3}.bin", seed: i + 1);
            using var body = new ByteArrayContent(built.TorrentBytes);
            body.Headers.ContentType = new("application/x-bittorrent");
            using var response = await web.Http.PostAsync("/api/torrents?start=true", body, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            hashes.Add(built.Torrent.InfoHash.Hex);
        }

        var list = await web.ListAsync(Ct);
        var openBelowDownloads = OpenFilesBelow(web.Downloads.Path);
        var totals = await web.Http.GetFromJsonAsync<TorrentTotals>("/api/totals", Ct);
        // Pausing a running one starts the first in the queue; a larger limit starts more, still in order.
        (await web.Http.PostAsync($"/api/torrents/{hashes[0]}/pause", null, Ct)).Dispose();
        (await web.Http.PutAsJsonAsync("/api/settings", new { maxActiveDownloads = 8 }, Ct)).Dispose();
        var later = (await web.ListAsync(Ct)).ToDictionary(t => t.InfoHash, t => t.State);

        Assert.Equal(hashes.Take(5), list.Where(t => t.State == "downloading").OrderBy(t => hashes.IndexOf(t.InfoHash)).Select(t => t.InfoHash));
        Assert.Equal(196, list.Count(t => t.State == "queued"));
        Assert.InRange(openBelowDownloads, 0, 5 * 2); // each running download: its one file and its ledger at most
        Assert.Equal((201, 5, 196), (totals!.Torrents, totals.Downloading, totals.Queued));
        Assert.Equal("paused", later[hashes[0]]);
        Assert.All(hashes.Skip(1).Take(8), h => Assert.Equal("downloading", later[h]));
        Assert.All(hashes.Skip(9), h => Assert.Equal("queued", later[h]));
    }

    [Fact]
    public async Task Seeding_DefaultOnWithATimeLimit_SeedsAfterCompletionThenStops()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Swarm(o) with { SeedAfterDownload = true, SeedTime = TimeSpan.FromSeconds(3) });

        await web.AddAsync(start: true, Ct);
        var seeding = await web.WaitForAsync(t => t.State == "seeding", Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal(1.0, seeding.Progress);
        Assert.Equal(1.0, done.Progress);
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Seeding_TorrentTurnedOff_CompletesWithoutSeedingDespiteTheDefault()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Swarm(o) with { SeedAfterDownload = true });
        await web.AddAsync(start: false, Ct);

        using var put = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/seeding", new { seed = false }, Ct);
        using var bad = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/seeding", new { ratio = -1 }, Ct);
        (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct)).Dispose();
        var done = await web.WaitForAsync(t => t.State is "completed" or "seeding", Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("completed", done.State);
        Assert.Equal(false, done.Seeding!.Seed);
    }

    [Fact]
    public async Task Seeding_CompleteTorrentStartedWithItsOwnSeedingOn_SeedsTakingNoDownloadSlotUntilPaused()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Swarm(o) with { MaxActiveDownloads = 1 });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        var dead = TestTorrents.SingleFile(length: 20_000, name: "dead.bin", announce: "http://127.0.0.1:1/announce");

        (await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/seeding", new { seed = true }, Ct)).Dispose();
        (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct)).Dispose();
        var seeding = await web.WaitForAsync(t => t.State == "seeding", Ct);
        using (var body = new ByteArrayContent(dead.TorrentBytes))
        {
            body.Headers.ContentType = new("application/x-bittorrent");
            (await web.Http.PostAsync("/api/torrents?start=true", body, Ct)).Dispose();
        }
        var both = await web.ListAsync(Ct);
        (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/pause", null, Ct)).Dispose();
        var after = (await web.ListAsync(Ct)).Single(t => t.InfoHash == web.InfoHash);

        Assert.Equal(1.0, seeding.Progress);
        Assert.Equal("downloading", both.Single(t => t.InfoHash == dead.Torrent.InfoHash.Hex).State); // the one slot is free
        Assert.Equal("completed", after.State);
    }

    [Fact]
    public async Task Seeding_WhenTheServerStops_ResumesOnTheNextStartButNotAfterAPause()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Swarm(o) with { SeedAfterDownload = true });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "seeding", Ct);

        await web.RestartAsync(Ct, configure: o => Swarm(o) with { SeedAfterDownload = true });
        var resumed = await web.WaitForAsync(t => t.State is "seeding" or "completed", Ct);
        (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/pause", null, Ct)).Dispose();
        await web.RestartAsync(Ct, configure: o => Swarm(o) with { SeedAfterDownload = true });
        var afterPause = (await web.ListAsync(Ct)).Single();

        Assert.Equal("seeding", resumed.State);
        Assert.Equal("completed", afterPause.State);
    }

    [Fact]
    public async Task Recheck_DamagedFile_FindsThePieceMissingAndDownloadsItAgain()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        var path = web.Downloads.Combine(web.Swarm.Built.Files[0].Path);
        var bytes = File.ReadAllBytes(path);
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        using var response = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/recheck", null, Ct);
        var rechecked = await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(rechecked!.PiecesDone < web.Swarm.Built.Torrent.PieceCount, $"{rechecked.PiecesDone} pieces still verified");
        Assert.Equal(1.0, done.Progress);
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Bulk_PauseOfAKnownAndAnUnknownTorrent_AnswersOneResultEach()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 80, slowDelay: TimeSpan.FromMilliseconds(50));
        await web.AddAsync(start: true, Ct);
        var unknown = new string('0', 40);

        using var response = await web.Http.PostAsJsonAsync("/api/torrents/bulk", new { action = "pause", infoHashes = new[] { web.InfoHash, unknown } }, Ct);
        var results = await response.Content.ReadFromJsonAsync<BulkResult[]>(Ct);
        using var badAction = await web.Http.PostAsJsonAsync("/api/torrents/bulk", new { action = "explode", infoHashes = new[] { web.InfoHash } }, Ct);
        var list = await web.ListAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, results!.Length);
        Assert.Null(results[0].Error);
        Assert.Contains("no torrent", results[1].Error);
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Equal("paused", Assert.Single(list).State);
    }

    [Fact]
    public async Task Summary_DeadTracker_ShowsTheTrackerErrorAndStalledInsteadOfDownloading()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Swarm);
        var dead = TestTorrents.SingleFile(length: 20_000, name: "dead.bin", announce: "http://127.0.0.1:1/announce");
        using var body = new ByteArrayContent(dead.TorrentBytes);
        body.Headers.ContentType = new("application/x-bittorrent");
        (await web.Http.PostAsync("/api/torrents?start=true", body, Ct)).Dispose();

        TorrentSummary? row = null;
        await Wait.UntilAsync(async () => (row = (await web.ListAsync(Ct)).Single()) is { Stalled: true, TrackerError: not null },
            TimeSpan.FromSeconds(20), Ct);

        Assert.Equal("downloading", row!.State);
        Assert.True(row.Stalled);
        Assert.Contains("tracker announce failed", row.TrackerError);
        Assert.Null(row.Eta);
    }

    [Fact]
    public async Task OpenApi_ListsTheParityRoutes()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var doc = JsonDocument.Parse(await web.Http.GetStringAsync("/openapi/v1.json", Ct));
        var paths = doc.RootElement.GetProperty("paths");

        Assert.True(paths.GetProperty("/api/torrents/link").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/settings").TryGetProperty("put", out _));
        Assert.True(paths.GetProperty("/api/totals").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/torrents/{infoHash}/seeding").TryGetProperty("put", out _));
        Assert.True(paths.GetProperty("/api/torrents/{infoHash}/recheck").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/torrents/bulk").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/torrents/link").GetProperty("post").GetProperty("responses").TryGetProperty("502", out _));
    }

    /// <summary>Files below <paramref name="folder"/> this process holds open (Linux: /proc/self/fd).</summary>
    private static int OpenFilesBelow(string folder)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        return Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .Count(target => target is not null && target.StartsWith(root, StringComparison.Ordinal));
    }

    private static string Url(WebApplication site, string path) =>
        site.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + path;

    /// <summary>A loopback web site serving the .torrent, a redirect to it, one to a link-local address, a body over
    /// the limit, something that is not a torrent, and a 404.</summary>
    private static async Task<WebApplication> StartSiteAsync(byte[] torrent)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/t.torrent", () => Results.Bytes(torrent, "application/x-bittorrent"));
        app.MapGet("/moved", () => Results.Redirect("/t.torrent"));
        app.MapGet("/to-link-local", () => Results.Redirect("http://169.254.169.254/latest/meta-data"));
        app.MapGet("/big", () => Results.Bytes(new byte[10_000], "application/x-bittorrent"));
        app.MapGet("/garbage", () => Results.Text("<html>not a torrent</html>", "text/html"));
        await app.StartAsync(Ct);
        return app;
    }
}
