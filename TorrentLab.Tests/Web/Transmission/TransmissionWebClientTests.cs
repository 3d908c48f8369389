using Microsoft.Playwright;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>Transmission's own web client (Debian's transmission-daemon ships it in /usr/share/transmission/web),
/// served by <c>serve --transmission-web</c> against our RPC, in Debian's Chromium: it lists, adds and pauses torrents,
/// and each action shows in TorrentLab's REST API. Skipped without the files; mandatory with TORRENTLAB_REQUIRE_INTEROP=1.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class TransmissionWebClientTests
{
    private const string Folder = "/usr/share/transmission/web";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TransmissionWebClient_ServedAgainstOurRpc_ListsAddsAndPausesTorrents()
    {
        HeadlessChromium.Require();
        Interop.RequireExecutable(Folder + "/index.html");
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromSeconds(1),
            configure: o => o with { TransmissionWeb = Folder });
        await web.AddAsync(start: false, Ct);
        using var files = new TempFolder();
        var other = TestTorrents.SingleFile(length: 5000, name: "other.bin", announce: null);
        var otherFile = other.WriteTorrent(files.Path, "other.torrent");

        await using var browser = await HeadlessChromium.LeaseAsync();
        var page = await HeadlessChromium.OpenPageAsync(browser);
        await page.GotoAsync(web.Server.Url + "/transmission/web");

        // Lists: the torrent added through our REST API.
        var rows = page.Locator("#torrent_list li.torrent");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First.Locator(".torrent_name")).ToHaveTextAsync("webtest");

        // Adds: a .torrent picked in its Open dialog (sent as base64 metainfo).
        await page.Locator("#toolbar-open").ClickAsync();
        await page.Locator("#torrent_upload_file").SetInputFilesAsync(otherFile);
        await page.Locator("#upload_confirm_button").ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(2, new() { Timeout = 20_000 });
        Assert.Contains(await web.ListAsync(Ct), t => t.InfoHash == other.Torrent.InfoHash.Hex);

        // Pauses: our torrent, started through the REST API, selected and paused in its toolbar; the pause is checked
        // through our REST API.
        using (var start = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct))
            Assert.True(start.IsSuccessStatusCode);
        await web.WaitForAsync(t => t.State == "downloading", Ct);
        var ours = rows.Filter(new() { HasText = "webtest" });
        await ours.Locator(".torrent_name").ClickAsync();
        await page.Locator("#toolbar-pause").ClickAsync();
        await web.WaitForAsync(t => t.State == "paused", Ct);
    }
}
