using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>The page in a real browser: Debian's Chromium, headless, driven by Playwright over the DevTools protocol.
/// Playwright never downloads a browser here: it is pointed at /usr/bin/chromium.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_AddByFilePicker_ShowsProgressToCompletionPauseResumeAndAFullPieceMap()
    {
        HeadlessChromium.Require();
        // The seeder lacks the last piece until the test has paused and resumed the download, so the download is still
        // running at the pause whatever the speeds: a torrent that completed before the pause disables the pause button.
        // The swarm engine, a user's (the test server's one peer picks the reference path), waits for the piece: the
        // reference path gives up once its peer has nothing more to give.
        const int Pieces = 160;
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: Pieces, slowDelay: TimeSpan.FromMilliseconds(40),
            configure: o => o with { MaxPeers = 8 }, peer: p => p with { LatePiece = Pieces - 1 });
        using var files = new TempFolder();
        var torrentPath = web.Swarm.Built.WriteTorrent(files.Path, "webtest.torrent");

        await using var browser = await HeadlessChromium.LeaseAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");

        // Add through the file input, as a user picking the file would.
        await page.Locator("#file-input").SetInputFilesAsync(torrentPath);
        var row = page.Locator($"tr[data-hash='{web.InfoHash}']");
        await Assertions.Expect(row.Locator(".name")).ToHaveTextAsync("webtest");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("downloading");
        // Open the detail view (piece map, peers, trace); the click changes the address in place (history.replaceState),
        // which is no navigation to wait for: the detail view's name says it opened.
#pragma warning disable CS0612 // marked obsolete, still honoured: the option that skips the wait for navigations
        await row.Locator(".name").ClickAsync(new() { NoWaitAfter = true });
#pragma warning restore CS0612
        await Assertions.Expect(page.Locator("#d-name")).ToHaveTextAsync("webtest");

        // Pause once some pieces are in, then resume.
        await web.WaitForAsync(t => t.PiecesDone >= 5, Ct);
        await row.Locator("[data-action='pause']").ClickAsync();
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("paused");
        // A paused torrent lists no peer: the peer listed below is the resumed download's, not the one before the pause.
        await Assertions.Expect(page.Locator("#peers tbody")).Not.ToContainTextAsync("TorrentLab 0.1.0.0");
        await Assertions.Expect(row.Locator("[data-action='start']")).ToBeEnabledAsync();
        await row.Locator("[data-action='start']").ClickAsync();
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("downloading");
        await Assertions.Expect(page.Locator("#peers tbody")).ToContainTextAsync("TorrentLab 0.1.0.0"); // while connected
        web.Swarm.Peers[0].AcquireLate(); // the last piece: the download may complete now
        var artifact = Path.Combine(TestPaths.RepoRoot, "TestResults", "web");
        Directory.CreateDirectory(artifact);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page-downloading.png"), FullPage = true });

        await Assertions.Expect(row.Locator(".pct")).ToHaveTextAsync("100%", new() { Timeout = 30_000 });
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("completed");
        var map = page.Locator("#piece-map");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-verified", web.Swarm.Built.Torrent.PieceCount.ToString());
        await Assertions.Expect(page.Locator("#peers tbody")).Not.ToContainTextAsync("TorrentLab 0.1.0.0"); // it left
        await Assertions.Expect(page.Locator("#trace")).ToContainTextAsync("piece index="); // the ring keeps the newest lines: the blocks
        await Assertions.Expect(page.Locator("#trackers tbody")).ToContainTextAsync(new Regex(@"\b1 peer\b")); // the tracker listed its one seeder
        Assert.True(web.FilesMatch());

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page.png"), FullPage = true });
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page-dark.png"), FullPage = true });
        Assert.Empty(consoleErrors);
    }

    /// <summary>What a page of another site would try, from a second local server: a form post that starts a paused
    /// torrent, a no-cors fetch that uploads one, and a WebSocket that reads the list. The server refuses all three;
    /// its own page, same-origin, still works.</summary>
    [Fact]
    public async Task ForeignPage_FormPostFetchAndWebSocket_AreRefusedWhileTheRealPageWorks()
    {
        HeadlessChromium.Require();
        var log = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Log = log.Enqueue });
        await web.AddAsync(start: false, Ct);
        var evil = TestTorrents.SingleFile(length: 5000, name: "evil.bin");
        await using var attacker = await StartForeignSiteAsync(AttackPage(web.Server.Url, web.InfoHash, evil.TorrentBytes));

        await using var browser = await HeadlessChromium.LeaseAsync();
        var context = await browser.NewContextAsync();
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        // localhost, not 127.0.0.1: another site, not only another origin (Sec-Fetch-Site: cross-site).
        var foreignUrl = attacker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
            .Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/";
        await page.GotoAsync(foreignUrl);
        await page.WaitForFunctionAsync("() => window.results.fetch && (window.results.ws || window.results.messages > 0)");
        await Wait.UntilAsync(() => log.Count(l => l.StartsWith("refused", StringComparison.Ordinal)) >= 3, TimeSpan.FromSeconds(20), Ct);

        var refused = log.Where(l => l.StartsWith("refused", StringComparison.Ordinal)).ToArray();
        Assert.Contains(refused, l => l.StartsWith($"refused POST /api/torrents/{web.InfoHash}/start", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.StartsWith("refused POST /api/torrents:", StringComparison.Ordinal));
        Assert.Contains(refused, l => l.StartsWith("refused GET /api/live:", StringComparison.Ordinal));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.results.messages"));
        var listed = Assert.Single(await web.ListAsync(Ct));
        Assert.Equal("paused", listed.State);

        // The server's own page: same origin, so everything it does is allowed.
        var own = await context.NewPageAsync();
        await own.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(own.Locator("#connection")).ToHaveTextAsync("live");
        var row = own.Locator($"tr[data-hash='{web.InfoHash}']");
        await row.Locator("[data-action='start']").ClickAsync();
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync(new Regex("^(downloading|completed)$"));
        await web.WaitForAsync(t => t.State == "completed", Ct);
        Assert.True(web.FilesMatch());
    }

    /// <summary>The page level with the command line: a token prompt on 401 (a wrong token said so), a magnet link added
    /// through its dialog and downloaded from the mock swarm after its metadata, a dead tracker shown as such, the totals
    /// bar, sorting by a column, multi-select and bulk pause, and a phone-width layout that never scrolls sideways.</summary>
    [Fact]
    public async Task Page_TokenPromptMagnetAddSortTotalsBulkPauseAndPhoneWidth()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 40, slowDelay: TimeSpan.FromMilliseconds(20),
            configure: o => o with
            {
                Token = "letmein", RequireToken = true, MaxPeers = 50,
                ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
            },
            peer: p => p with { ServeMetadata = true });
        // A second torrent whose tracker does not answer: it waits for peers until paused.
        var dead = TestTorrents.SingleFile(length: 20_000, name: "other.bin", announce: "http://127.0.0.1:1/announce");
        using (var body = new ByteArrayContent(dead.TorrentBytes))
        {
            body.Headers.ContentType = new("application/x-bittorrent");
            (await web.Http.PostAsync("/api/torrents?start=true", body, Ct)).Dispose();
        }
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&tr={Uri.EscapeDataString(web.Swarm.Tracker.HttpAnnounceUrl)}"
            + $"&x.pe={web.Swarm.EndPointOf(0)}";

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors, expected: text => text.Contains("401", StringComparison.Ordinal));

        // No token: the page asks for it instead of showing an empty list; a wrong one is said to be wrong.
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#token-bar")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#empty")).ToContainTextAsync("token");
        await page.Locator("#token-input").FillAsync("wrong");
        await page.Locator("#token-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#token-why")).ToContainTextAsync("not accepted");
        await page.Locator("#token-input").FillAsync("letmein");
        await page.Locator("#token-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#token-bar")).ToBeHiddenAsync();
        var other = page.Locator($"tr[data-hash='{dead.Torrent.InfoHash.Hex}']");
        await Assertions.Expect(other.Locator(".name")).ToHaveTextAsync("other.bin");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");

        // Add the magnet link: metadata from the peer, then the download to the end.
        await page.Locator("#add-link").ClickAsync();
        await page.Locator("#link-input").FillAsync(magnet);
        await page.Locator("#link-confirm").ClickAsync();
        var row = page.Locator($"tr[data-hash='{web.InfoHash}']");
        await Assertions.Expect(row.Locator(".name")).ToHaveTextAsync("webtest");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
        Assert.True(web.FilesMatch());

        // The dead tracker is visible in the list; the totals bar counts both torrents by state.
        await Assertions.Expect(other.Locator(".state")).ToHaveTextAsync("tracker error", new() { Timeout = 20_000 });
        var counts = page.Locator("#t-counts");
        await Assertions.Expect(counts).ToHaveAttributeAsync("data-total", "2");
        await Assertions.Expect(counts).ToContainTextAsync("1 downloading");
        await Assertions.Expect(counts).ToContainTextAsync("1 completed");

        // Sort by name, then reverse it.
        var firstName = page.Locator("#torrents tbody tr:first-child .name");
        await page.Locator("th[data-sort='name']").ClickAsync();
        await Assertions.Expect(firstName).ToHaveTextAsync("other.bin");
        await Assertions.Expect(page.Locator("th[data-sort='name']")).ToHaveAttributeAsync("aria-sort", "ascending");
        await page.Locator("th[data-sort='name']").ClickAsync();
        await Assertions.Expect(firstName).ToHaveTextAsync("webtest");

        // Tick every row and pause them at once: the running one pauses, the complete one stays complete.
        await page.Locator("#check-all").CheckAsync();
        await Assertions.Expect(page.Locator("#bulk-count")).ToHaveTextAsync("2 selected");
        await page.Locator("[data-bulk='pause']").ClickAsync();
        await Assertions.Expect(other.Locator(".state")).ToHaveTextAsync("paused");
        await Assertions.Expect(counts).ToContainTextAsync("1 paused");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("completed");

        // A phone's width: nothing scrolls sideways, the list nor the detail view.
        await page.SetViewportSizeAsync(390, 844);
        await row.Locator(".name").ClickAsync();
        await Assertions.Expect(page.Locator("#detail")).ToBeVisibleAsync();
        var overflow = await page.EvaluateAsync<int[]>("""
            () => [document.documentElement.scrollWidth - document.documentElement.clientWidth,
                   document.querySelector('.list').scrollWidth - document.querySelector('.list').clientWidth,
                   document.querySelector('.bar').scrollWidth - document.querySelector('.bar').clientWidth]
            """);
        var artifact = Path.Combine(TestPaths.RepoRoot, "TestResults", "web");
        Directory.CreateDirectory(artifact);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page-phone.png"), FullPage = true });
        var wide = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 389 || e.scrollWidth > e.clientWidth + 0 && getComputedStyle(e).overflowX !== 'visible').slice(0, 15).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).join(' | ')");
        Assert.True(overflow.SequenceEqual([0, 0, 0]), string.Join(",", overflow) + " " + wide);
        Assert.Empty(consoleErrors);
    }

    /// <summary>The page a foreign site would serve; it records what it saw in <c>window.results</c>.</summary>
    private static string AttackPage(string server, string infoHash, byte[] torrent) => $$"""
        <!doctype html>
        <html><body>
        <iframe name="sink"></iframe>
        <form id="form" method="post" enctype="text/plain" target="sink" action="{{server}}/api/torrents/{{infoHash}}/start">
          <input name="x" value="y">
        </form>
        <script>
          window.results = { messages: 0 };
          const server = '{{server}}';
          document.getElementById('form').submit();
          const bytes = Uint8Array.from(atob('{{Convert.ToBase64String(torrent)}}'), c => c.charCodeAt(0));
          const upload = new FormData();
          upload.append('torrent', new Blob([bytes], { type: 'application/x-bittorrent' }), 'evil.torrent');
          fetch(server + '/api/torrents?start=true', { method: 'POST', mode: 'no-cors', body: upload })
            .then(() => { window.results.fetch = 'answered'; }, e => { window.results.fetch = 'failed: ' + e; });
          const socket = new WebSocket(server.replace('http:', 'ws:') + '/api/live');
          socket.onmessage = () => { window.results.messages++; };
          socket.onclose = e => { window.results.ws = 'closed ' + e.code; };
        </script>
        </body></html>
        """;

    /// <summary>A second web server on another loopback port: another origin, as a site on the internet would be.</summary>
    private static async Task<WebApplication> StartForeignSiteAsync(string html)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(html, "text/html; charset=utf-8"));
        await app.StartAsync(Ct);
        return app;
    }
}
