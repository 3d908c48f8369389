using Microsoft.Playwright;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>The page in a real browser: Debian's Chromium, headless, driven by Playwright over the DevTools protocol.
/// Playwright never downloads a browser here: it is pointed at /usr/bin/chromium.</summary>
public class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_AddByFilePicker_ShowsProgressToCompletionPauseResumeAndAFullPieceMap()
    {
        Interop.RequireExecutable(Chromium);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 160, slowDelay: TimeSpan.FromMilliseconds(15));
        using var files = new TempFolder();
        var torrentPath = web.Swarm.Built.WriteTorrent(files.Path, "webtest.torrent");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
            Timeout = 20_000,
        });
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
        await row.Locator(".name").ClickAsync(); // open the detail view: piece map, peers, trace

        // Pause once some pieces are in, then resume.
        await web.WaitForAsync(t => t.PiecesDone >= 5, Ct);
        await row.Locator("[data-action='pause']").ClickAsync();
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("paused");
        await Assertions.Expect(row.Locator("[data-action='start']")).ToBeEnabledAsync();
        await row.Locator("[data-action='start']").ClickAsync();
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("downloading");
        var artifact = Path.Combine(TestPaths.RepoRoot, "TestResults", "web");
        Directory.CreateDirectory(artifact);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page-downloading.png"), FullPage = true });

        await Assertions.Expect(row.Locator(".pct")).ToHaveTextAsync("100%");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("completed");
        var map = page.Locator("#piece-map");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-verified", web.Swarm.Built.Torrent.PieceCount.ToString());
        await Assertions.Expect(page.Locator("#peers tbody")).ToContainTextAsync("TorrentLab 0.1.0.0");
        await Assertions.Expect(page.Locator("#trace")).ToContainTextAsync("handshake");
        await Assertions.Expect(page.Locator("#trackers tbody")).ToContainTextAsync("peer(s)");
        Assert.True(web.FilesMatch());

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page.png"), FullPage = true });
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "page-dark.png"), FullPage = true });
        Assert.Empty(consoleErrors);
    }
}
