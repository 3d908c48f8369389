using System.Net;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web.Keys;

/// <summary>The page's API keys dialog in headless Chromium: a key made there opens the API for another program, and
/// revoked there, it no longer does.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class ApiKeysBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_MakesAKey_ShownOnce_ThatOpensTheApi_AndRevokesIt()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "page-s3cret" });
        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors, expected: text => text.Contains("401", StringComparison.Ordinal));
        await page.GotoAsync(web.Server.Url + "/");
        await page.Locator("#token-input").FillAsync("page-s3cret");
        await page.Locator("#token-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");

        await page.Locator("#keys-open").ClickAsync();
        await page.Locator("#keys-name").FillAsync("sonarr");
        await page.Locator("#keys-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#keys-made")).ToBeVisibleAsync();
        var key = await page.Locator("#keys-value").InputValueAsync();
        var row = page.Locator("#keys-rows tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator("td").First).ToHaveTextAsync("sonarr");
        using var other = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        other.DefaultRequestHeaders.Add("X-Api-Key", key);

        using (var opened = await other.GetAsync("/api/torrents", Ct)) Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        await row.Locator("button").ClickAsync(); // Revoke
        await Assertions.Expect(row).ToHaveCountAsync(0);
        using (var refused = await other.GetAsync("/api/torrents", Ct)) Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        await page.Locator("#keys-dialog button[value=close]").ClickAsync(); // the dialog opens again with no key shown
        await page.Locator("#keys-open").ClickAsync();
        await Assertions.Expect(page.Locator("#keys-made")).ToBeHiddenAsync();
        Assert.Empty(consoleErrors);
    }
}
