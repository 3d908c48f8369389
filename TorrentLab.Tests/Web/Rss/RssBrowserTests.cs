using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web.Rss;

/// <summary>The page's RSS panel (<c>wwwroot/rss.js</c>) in headless Chromium: a feed and a rule added there reach the
/// server's rss/* routes, and the feed's articles are counted.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class RssBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RssPanel_AddsAFeedAndARule_AndListsThem()
    {
        HeadlessChromium.Require();
        await using var site = await LoopbackHttpServer.StartAsync(Ct);
        var feedUrl = site.Put("/rss.xml", Encoding.UTF8.GetBytes(
            "<rss><channel><title>t</title><item><title>A S01E01</title><guid>1</guid><link>magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567</link></item></channel></rss>"));
        await using var web = await WebTestServer.StartAsync(Ct);
        await using var browser = await HeadlessChromium.LeaseAsync();
        var context = await browser.NewContextAsync();
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        await page.GotoAsync(web.Server.Url + "/");

        await page.Locator("#rss > summary").ClickAsync();
        await page.Locator("#rss-add-feed input[name=url]").FillAsync(feedUrl);
        await page.Locator("#rss-add-feed input[name=path]").FillAsync("Loop");
        await page.Locator("#rss-add-feed button").ClickAsync();
        await Assertions.Expect(page.Locator("#rss-feeds li")).ToContainTextAsync("Loop");
        await page.Locator("#rss-feeds li button", new() { HasText = "Refresh" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rss-feeds li")).ToContainTextAsync("1 articles");
        await page.Locator("#rss-add-rule input[name=name]").FillAsync("never");
        await page.Locator("#rss-add-rule input[name=mustContain]").FillAsync("nothing-matches-this");
        await page.Locator("#rss-add-rule input[name=category]").FillAsync("tv");
        await page.Locator("#rss-add-rule button").ClickAsync();
        await Assertions.Expect(page.Locator("#rss-rules li")).ToContainTextAsync("never: nothing-matches-this -> tv");

        var rules = await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/rss/rules", Ct);
        Assert.Equal(feedUrl, rules.GetProperty("never").GetProperty("affectedFeeds")[0].GetString());
        Assert.Empty(await web.ListAsync(Ct)); // the rule took nothing
        Assert.Empty(consoleErrors);
    }
}
