using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>The page fits the screen (<c>wwwroot/app.css</c>, <c>parity.css</c>) in headless Chromium, at a laptop's
/// 1280x800 and a phone's 390x844: the boxes of every row's actions, of the toolbar, of the bulk bar, of the Limits
/// panel and of the share dialog lie inside the viewport, nothing scrolls sideways, and a phone's rows are short.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserLayoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Names as long as real releases, and a category: the widest rows the list shows.
    private static readonly string[] Names =
    [
        "ubuntu-24.04.1-desktop-amd64.iso",
        "A rather long name of a film folder 2024 1080p BluRay x264 remastered director's cut.mkv",
        "s",
        "Debian GNU Linux 12.7.0 amd64 DVD 1 of 3 with every firmware package included.iso",
    ];

    /// <summary>A control's box in CSS pixels, as the page lays it out (only controls shown: not in a closed panel, not
    /// hidden by a narrow screen's stylesheet).</summary>
    private sealed record Box(string What, double Left, double Right, double Top, double Bottom, double Width, double Height);

    [Theory]
    [InlineData(1280, 800, false)]
    [InlineData(390, 844, true)]
    public async Task EveryControl_LiesInsideTheViewport_WithoutSidewaysScrolling(int width, int height, bool phone)
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        for (var i = 0; i < Names.Length; i++)
        {
            var built = TestTorrents.SingleFile(length: 20_000 + i, name: Names[i], seed: 30 + i);
            using var added = await web.UploadAsync(built.TorrentBytes, start: false, Ct);
            added.EnsureSuccessStatusCode();
        }
        using var category = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/category", new { category = "linux isos" }, Ct);
        category.EnsureSuccessStatusCode();

        await using var browser = await HeadlessChromium.LeaseAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = phone, HasTouch = phone, DeviceScaleFactor = phone ? 3 : 1,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#torrents tbody tr[data-hash]")).ToHaveCountAsync(Names.Length + 1);
        await Assertions.Expect(page.Locator($"tr[data-hash='{web.InfoHash}'] .tag")).ToHaveTextAsync("linux isos");

        var rows = await BoxesAsync(page, "#torrents tbody tr[data-hash]");
        var actions = await BoxesAsync(page, "#torrents tbody tr[data-hash] button");
        var beside = await BoxesAsync(page, "#torrents tbody tr[data-hash] td.state-cell, #torrents tbody tr[data-hash] .progress, #torrents tbody tr[data-hash] td.name");
        var toolbar = await BoxesAsync(page, "header.bar > button, header.bar > select, header.bar > input, header.bar > label, header.bar > a, #limits > summary");
        var scroll = await page.EvaluateAsync<JsonElement>("""
            () => ({ page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                     list: document.querySelector('.list').scrollWidth - document.querySelector('.list').clientWidth })
            """);

        // Tick a row: the bulk bar's buttons; open the first torrent and the Limits panel: its every control.
        await page.Locator($"tr[data-hash='{web.InfoHash}'] .check").CheckAsync();
        var bulk = await BoxesAsync(page, "#bulk button");
        await page.Locator($"tr[data-hash='{web.InfoHash}'] .name").ClickAsync();
        await Assertions.Expect(page.Locator("#d-name")).ToHaveTextAsync("webtest");
        await page.Locator("#limits > summary").ClickAsync();
        await Assertions.Expect(page.Locator("#limits-torrent")).ToBeVisibleAsync();
        var limits = await BoxesAsync(page, "#limits .limits-body input, #limits .limits-body button");
        await page.Locator("#limits > summary").ClickAsync();
        await page.Locator("#share-open").ClickAsync();
        await page.Locator(".share-options > summary").ClickAsync();
        var dialog = await BoxesAsync(page, "#share-dialog input:not([hidden]), #share-dialog button, #share-dialog select, #share-dialog textarea, #share-dialog label.button");

        Assert.Equal(0, scroll.GetProperty("page").GetDouble());
        Assert.Equal(0, scroll.GetProperty("list").GetDouble());
        Assert.Equal(4 * (Names.Length + 1), actions.Count);
        Assert.True(toolbar.Count >= 10, $"only {toolbar.Count} toolbar controls found"); // add, link, share, search, 3 filters, limits, settings, API, theme
        Assert.Equal(13, limits.Count); // 3 rows of down, up and Set; on, scheduled, from and to
        Assert.All([.. actions, .. toolbar, .. bulk, .. limits, .. dialog], box =>
        {
            Assert.True(box.Width > 0 && box.Height > 0, $"{box} is not shown");
            Assert.True(box.Left >= 0 && box.Right <= width, $"{box} runs off a {width} px wide screen");
        });
        // Each action is on its row, and big enough to tap on a phone.
        Assert.All(actions, box => Assert.Contains(rows, row => box.Top >= row.Top - 0.5 && box.Bottom <= row.Bottom + 0.5));
        // Nothing of a row (a long name, a category, the progress bar) runs under its actions.
        var firstAction = actions.Min(a => a.Left);
        Assert.All(beside, box => Assert.True(box.Right <= firstAction + 0.5, $"{box} runs under the actions, which start at {firstAction}"));
        if (phone) Assert.All(actions, box => Assert.True(box.Width >= 28 && box.Height >= 28, $"{box} is too small to tap"));
        Assert.All(rows, row => Assert.True(row.Height <= (phone ? 64 : 48), $"{row} is too tall"));
    }

    private static async Task<List<Box>> BoxesAsync(IPage page, string selector)
    {
        var json = await page.EvaluateAsync<JsonElement>("""
            (selector) => [...document.querySelectorAll(selector)].filter((e) => e.checkVisibility()).map((e) => {
              const r = e.getBoundingClientRect();
              const what = (e.dataset.action || e.id || e.name || e.textContent || e.tagName).trim().slice(0, 30);
              return { what, left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
            })
            """, selector);
        return [.. json.EnumerateArray().Select(b => new Box(b.GetProperty("what").GetString()!, b.GetProperty("left").GetDouble(), b.GetProperty("right").GetDouble(),
            b.GetProperty("top").GetDouble(), b.GetProperty("bottom").GetDouble(), b.GetProperty("width").GetDouble(), b.GetProperty("height").GetDouble()))];
    }
}
