using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>Sharing from the page (<c>wwwroot/share.js</c>) in headless Chromium: a file chosen, a folder chosen, a
/// plain file dropped and data named by its path each become a seeding torrent; the magnet link is copied and the
/// .torrent downloaded from the dialog and from the detail view.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserShareTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> OpenAsync(BrowserLease browser, string url)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            AcceptDownloads = true,
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        await page.GotoAsync(url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        return (context, page, errors);
    }

    [Fact]
    public async Task Page_ShareAChosenFile_GivesItsMagnetLinkAndTorrent_AndTheRowSeeds()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct, configure: TorrentApiSharesTests.Sharing);
        var data = TestTorrents.Payload(200_000, seed: 4);
        await using var browser = await HeadlessChromium.LeaseAsync();
        var (_, page, errors) = await OpenAsync(browser, web.Server.Url);

        await page.Locator("#share-open").ClickAsync();
        await page.Locator("#share-file").SetInputFilesAsync(new FilePayload { Name = "notes.bin", MimeType = "application/octet-stream", Buffer = data });
        await Assertions.Expect(page.Locator("#share-chosen")).ToContainTextAsync("notes.bin");
        await page.Locator(".share-options > summary").ClickAsync();
        await page.Locator("#share-trackers").FillAsync("http://127.0.0.1:1/announce\n\nudp://127.0.0.1:2/announce");
        await page.Locator("#share-format").SelectOptionAsync("hybrid");
        await page.Locator("#share-confirm").ClickAsync();
        await Assertions.Expect(page.Locator("#share-magnet")).ToHaveValueAsync(new Regex("^magnet:\\?xt=urn:btih:[0-9a-f]{40}&xt=urn:btmh:1220"));
        var magnet = await page.Locator("#share-magnet").InputValueAsync();
        await page.Locator("#share-copy").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToHaveTextAsync("magnet link copied");
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#share-download").ClickAsync());
        var torrent = Torrent.Parse(await File.ReadAllBytesAsync((await download.PathAsync())!, Ct));
        await page.Locator("#share-dialog button[value='cancel']").ClickAsync();
        var row = page.Locator($"tr[data-hash='{torrent.InfoHash.Hex}']");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("seeding");
        // The detail view gives any torrent's magnet link and .torrent too.
        await row.Locator(".name").ClickAsync();
        await Assertions.Expect(page.Locator("#d-name")).ToHaveTextAsync("notes.bin");
        // The notice still says "magnet link copied" from the dialog: empty it, so the wait below is for this copy.
        await page.EvaluateAsync("() => { const notice = document.querySelector('#notice'); notice.hidden = true; notice.textContent = ''; return navigator.clipboard.writeText(''); }");
        await page.Locator("#d-magnet").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToHaveTextAsync("magnet link copied");
        var copiedFromDetail = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        var detailDownload = await page.RunAndWaitForDownloadAsync(() => page.Locator("#d-torrent").ClickAsync());

        Assert.Equal(torrent.MagnetLink, magnet);
        Assert.Equal(magnet, copied);
        Assert.Equal(magnet, copiedFromDetail);
        Assert.Equal("notes.bin.torrent", download.SuggestedFilename);
        Assert.Equal(await File.ReadAllBytesAsync((await download.PathAsync())!, Ct), await File.ReadAllBytesAsync((await detailDownload.PathAsync())!, Ct));
        Assert.True(torrent.IsHybrid);
        Assert.Equal([["http://127.0.0.1:1/announce"], ["udp://127.0.0.1:2/announce"]], torrent.TrackerTiers.Select(t => t.ToArray()));
        Assert.Equal(data, await File.ReadAllBytesAsync(web.Downloads.Combine("notes.bin"), Ct));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Page_ShareAChosenFolder_ADroppedFile_AndDataNamedByPath_EachSeeds_AndARefusalIsSaid()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct, configure: TorrentApiSharesTests.Sharing);
        using var local = new TempFolder("torrentlab-share-page");
        Directory.CreateDirectory(local.Combine("album", "disc 2"));
        await File.WriteAllTextAsync(local.Combine("album", "a.txt"), "first", Ct);
        await File.WriteAllBytesAsync(local.Combine("album", "disc 2", "b.bin"), TestTorrents.Payload(50_000, seed: 8), Ct);
        Directory.CreateDirectory(web.Downloads.Combine("films"));
        await File.WriteAllBytesAsync(web.Downloads.Combine("films", "x.bin"), TestTorrents.Payload(30_000, seed: 9), Ct);
        await using var browser = await HeadlessChromium.LeaseAsync();
        var (_, page, errors) = await OpenAsync(browser, web.Server.Url);

        // A folder, chosen with the folder picker: its files keep their paths inside it.
        await page.Locator("#share-open").ClickAsync();
        await page.Locator("#share-folder").SetInputFilesAsync(local.Combine("album"));
        await Assertions.Expect(page.Locator("#share-chosen")).ToContainTextAsync("album/ — 2 files");
        await page.Locator("#share-confirm").ClickAsync();
        await Assertions.Expect(page.Locator("#share-status")).ToContainTextAsync("Seeding album");
        await page.Locator("#share-dialog button[value='cancel']").ClickAsync();

        // A plain file dropped on the page opens the dialog with it (a .torrent would be added instead).
        await page.EvaluateAsync("""
            () => { const data = new DataTransfer(); data.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
                    window.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true })); }
            """);
        await Assertions.Expect(page.Locator("#share-dialog")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#share-chosen")).ToContainTextAsync("notes.txt");
        await page.Locator("#share-confirm").ClickAsync();
        await Assertions.Expect(page.Locator("#share-status")).ToContainTextAsync("Seeding notes.txt");

        // Data already in the downloads folder, by its path; then a path outside, refused with the server's reason.
        await page.Locator("#share-path").FillAsync("films/x.bin");
        await page.Locator("#share-confirm").ClickAsync();
        await Assertions.Expect(page.Locator("#share-status")).ToContainTextAsync("Seeding x.bin");
        await page.Locator("#share-path").FillAsync("../elsewhere");
        await page.Locator("#share-confirm").ClickAsync();
        await Assertions.Expect(page.Locator("#share-status")).ToContainTextAsync("Not shared: folder '..' is not inside the downloads folder");
        await page.Locator("#share-dialog button[value='cancel']").ClickAsync();
        foreach (var name in (string[])["album", "notes.txt", "x.bin"])
            await Assertions.Expect(page.Locator($"#torrents tr:has(td.name:text-is('{name}')) .state")).ToHaveTextAsync("seeding");

        var rows = await web.ListAsync(Ct);
        Assert.Equal(["album", "notes.txt", "x.bin"], rows.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Equal("films", rows.Single(r => r.Name == "x.bin").Folder);
        Assert.Equal("first", await File.ReadAllTextAsync(web.Downloads.Combine("album", "a.txt"), Ct));
        Assert.Equal(TestTorrents.Payload(50_000, seed: 8), await File.ReadAllBytesAsync(web.Downloads.Combine("album", "disc 2", "b.bin"), Ct));
        Assert.Equal("hello", await File.ReadAllTextAsync(web.Downloads.Combine("notes.txt"), Ct));
        Assert.DoesNotContain(errors, e => !e.Contains("400", StringComparison.Ordinal)); // the refused share's 400 is logged by Chromium
    }
}
