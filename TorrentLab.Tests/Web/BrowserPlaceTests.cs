using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The page's controls of a torrent's place and company, in Debian's Chromium: Start off on a torrent that
/// would not run, recheck from the row, category and tracker filters, the category, tracker list, peers and save
/// folder set in the detail view, the queue buttons, and the notice for a dropped file that is no .torrent. Each action
/// is checked through the REST API, and touches only its torrent's row.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserPlaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Records which rows of the list DOM mutations touch, and how many touch none.</summary>
    private const string ObserveRows = """
        () => {
          window.__touched = { rows: new Set(), outside: 0 };
          window.__observer = new MutationObserver((records) => {
            for (const r of records) {
              const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
              const tr = node && node.closest('tr[data-hash]');
              if (tr) window.__touched.rows.add(tr.dataset.hash); else window.__touched.outside++;
            }
          });
          window.__observer.observe(document.querySelector('#torrents tbody'), { subtree: true, childList: true, attributes: true, characterData: true });
        }
        """;

    [Fact]
    public async Task Page_StartRecheckFiltersCategoryTrackersPeerMoveQueueAndDropNotice()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct);
        var other = TestTorrents.SingleFile(length: 20_000, name: "other.bin", announce: "http://tracker.invalid/announce");
        using (var body = new ByteArrayContent(other.TorrentBytes) { Headers = { ContentType = new("application/x-bittorrent") } })
            (await web.Http.PostAsync("/api/torrents?start=false", body, Ct)).EnsureSuccessStatusCode().Dispose();
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        var otherHash = other.Torrent.InfoHash.Hex;

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        // The two refusals below (a link-local peer, a folder outside) are 400s the browser logs; nothing else may be.
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors, expected: text => text.Contains("status of 400", StringComparison.Ordinal));
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        var row = page.Locator($"tr[data-hash='{web.InfoHash}']");
        var otherRow = page.Locator($"tr[data-hash='{otherHash}']");
        var listed = page.Locator("#torrents tbody");

        // Start is off where it would do nothing (complete; this server's single-peer engine never seeds), on where it would.
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("completed");
        await Assertions.Expect(row.Locator("[data-action='start']")).ToBeDisabledAsync();
        await Assertions.Expect(otherRow.Locator("[data-action='start']")).ToBeEnabledAsync();

        // Recheck from the row: the data is hashed again and found whole.
        await row.Locator("[data-action='recheck']").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync($"{web.Swarm.Built.Torrent.PieceCount} of {web.Swarm.Built.Torrent.PieceCount} pieces intact");

        // Filter by tracker host: each torrent's own.
        await page.Locator("#tracker-filter").SelectOptionAsync("tracker.invalid");
        await Assertions.Expect(listed).ToHaveAttributeAsync("data-listed", "1");
        await Assertions.Expect(otherRow).ToBeVisibleAsync();
        await page.Locator("#tracker-filter").SelectOptionAsync("");
        await Assertions.Expect(listed).ToHaveAttributeAsync("data-listed", "2");

        // The category, set in the detail view, shows on its row only and becomes a filter.
        await row.Locator(".name").ClickAsync();
        await Assertions.Expect(page.Locator("#detail")).ToBeVisibleAsync();
        await page.EvaluateAsync(ObserveRows);
        await page.Locator("#category-input").FillAsync("films");
        await page.Locator("#category-form button").ClickAsync();
        await Assertions.Expect(row.Locator(".tag")).ToHaveTextAsync("films");
        var touched = await page.EvaluateAsync<string[]>("() => { window.__observer.disconnect(); return [...window.__touched.rows, ...(window.__touched.outside ? ['outside'] : [])]; }");
        Assert.Equal([web.InfoHash], touched); // no other row redrawn
        await page.Locator("#category-filter").SelectOptionAsync("films");
        await Assertions.Expect(listed).ToHaveAttributeAsync("data-listed", "1");
        await page.Locator("#category-filter").SelectOptionAsync("");

        // The category's share limits, set under it in the detail view.
        await Assertions.Expect(page.Locator("#category-limits-form")).ToBeVisibleAsync();
        await page.Locator("#category-ratio").FillAsync("2.5");
        await page.Locator("#category-idle").FillAsync("30");
        await page.Locator("#category-limits-form button").ClickAsync();
        await Wait.UntilAsync(() => web.Server.Torrents.Labels.LimitsOf("films") is not null, TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(new CategoryLimits(Ratio: 2.5, IdleMinutes: 30), web.Server.Torrents.Labels.LimitsOf("films"));

        // The tracker list, edited in the detail view.
        await page.Locator("#trackers-input").FillAsync("udp://one.example:6969/announce\n\nhttp://two.example/announce");
        await page.Locator("#trackers-form button[type='submit']").ClickAsync();
        await Assertions.Expect(page.Locator("#trackers tbody")).ToContainTextAsync("udp://one.example:6969/announce");
        Assert.Equal([0, 1], (await web.DetailsAsync(Ct)).Trackers.Select(t => t.Tier));

        // A peer: a link-local address is refused with the reason, a loopback one is given.
        await page.Locator("#peer-input").FillAsync("169.254.169.254:80");
        await page.Locator("#peer-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("may not be dialled");
        await page.Locator("#peer-input").FillAsync("127.0.0.1:6881");
        await page.Locator("#peer-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#given-peers")).ToContainTextAsync("127.0.0.1:6881");

        // Move the data: outside is refused, a folder inside takes it.
        await page.Locator("#folder-input").FillAsync("/etc");
        await page.Locator("#folder-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("not inside the downloads folder");
        await page.Locator("#folder-input").FillAsync("moved/here");
        await page.Locator("#folder-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#queue-place")).ToContainTextAsync("in moved/here");
        Assert.True(File.Exists(web.Downloads.Combine("moved/here/webtest/a.bin")));
        var moved = Assert.Single(await web.ListAsync(Ct), t => t.InfoHash == web.InfoHash);
        Assert.Equal(("moved/here", "completed"), (moved.Folder, moved.State));

        // The queue: the ticked torrent (started after the other was added: behind it) goes to the top.
        var before = (await web.DetailsAsync(Ct)).QueuePosition;
        await row.Locator(".check").CheckAsync();
        await page.Locator("[data-queue='top']").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("moved to the top");
        Assert.Equal((1, 0), (before, (await web.DetailsAsync(Ct)).QueuePosition));

        // A dropped file that is no .torrent is not silently ignored: it is offered for sharing (BrowserShareTests shares one).
        await page.EvaluateAsync("""
            () => { const data = new DataTransfer(); data.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
                    window.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true })); }
            """);
        await Assertions.Expect(page.Locator("#share-dialog")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#share-chosen")).ToContainTextAsync("notes.txt");
        await page.Locator("#share-dialog button[value='cancel']").ClickAsync();
        Assert.Equal(2, (await web.ListAsync(Ct)).Length);
        Assert.Empty(consoleErrors);
    }
}
