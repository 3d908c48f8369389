using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The file tree of the detail view (files.js) in Debian's Chromium through Playwright: a torrent of 20,000
/// files shows a few dozen rows, folders expand, and unticking a file changes its priority through the API.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserFileTreeTests
{
    private const int Folders = 100, FilesPerFolder = 200; // 20,000 files
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DetailView_FilesRequestFailsOnce_SaysSoAndFillsTheTreeAtTheNextTry()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct);
        var small = TestTorrents.MultiFile([("a.bin", 64), ("b.bin", 64)], name: "small", announce: null);
        var hash = small.Torrent.InfoHash.Hex;
        using (var added = await web.UploadAsync(small.TorrentBytes, start: false, Ct))
            Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors);
        var asked = 0;
        // The first read of the files fails as a loaded server's might; the ones after it reach the server.
        await page.RouteAsync($"**/api/torrents/{hash}/files", async route =>
        {
            if (Interlocked.Increment(ref asked) == 1)
                await route.FulfillAsync(new() { Status = 503, ContentType = "application/json", Body = "{\"error\":\"busy\"}" });
            else await route.ContinueAsync();
        });
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");

        // Asked again once (at the next detail, or on the page's timer for a paused torrent), the tree fills; the error
        // was told once.
        await page.Locator($"tr[data-hash='{hash}'] .name").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToHaveTextAsync("files: busy");
        var tree = page.Locator("#file-tree");
        await Assertions.Expect(tree).ToHaveAttributeAsync("data-hash", hash);
        await Assertions.Expect(tree.Locator(".ft-row[data-index='2']")).ToContainTextAsync("b.bin");
        Assert.Equal(2, Volatile.Read(ref asked));
        consoleErrors.RemoveAll(e => e.Contains("503", StringComparison.Ordinal)); // the browser logs the refused request
        Assert.Empty(consoleErrors);
    }

    [Fact]
    public async Task DetailView_TwentyThousandFiles_RendersFewRowsExpandsAFolderAndSkipsAFile()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct);
        var big = TestTorrents.MultiFile([.. Enumerable.Range(0, Folders * FilesPerFolder)
            .Select(i => ($"dir{i / FilesPerFolder:D3}/file{i:D5}.bin", 64))], name: "big", announce: null);
        var hash = big.Torrent.InfoHash.Hex;
        using (var added = await web.UploadAsync(big.TorrentBytes, start: false, Ct))
            Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors);
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        var tree = page.Locator("#file-tree");

        var clock = Stopwatch.StartNew();
        await page.Locator($"tr[data-hash='{hash}'] .name").ClickAsync();
        await Assertions.Expect(tree).ToHaveAttributeAsync("data-hash", hash);
        var wall = clock.Elapsed;
        var inPage = double.Parse((await tree.GetAttributeAsync("data-render-ms"))!, CultureInfo.InvariantCulture);

        // The top folder starts open: its 100 folders are listed, a few dozen rows exist.
        await Assertions.Expect(tree).ToHaveAttributeAsync("data-listed", (1 + Folders).ToString(CultureInfo.InvariantCulture));
        var rows = await tree.Locator(".ft-row").CountAsync();
        Assert.InRange(rows, 5, 60);

        var folder = tree.Locator(".ft-row", new LocatorLocatorOptions { HasText = "dir003/" });
        await folder.Locator(".ft-toggle").ClickAsync();
        await Assertions.Expect(tree).ToHaveAttributeAsync("data-listed", (1 + Folders + FilesPerFolder).ToString(CultureInfo.InvariantCulture));
        Assert.InRange(await tree.Locator(".ft-row").CountAsync(), 5, 60);

        const int index = 3 * FilesPerFolder + 1; // dir003/file00600.bin, numbered from 1 as 'torrentlab info' does
        var file = tree.Locator($".ft-row[data-index='{index}']");
        await Assertions.Expect(file).ToContainTextAsync("file00600.bin");
        await file.Locator(".ft-check").UncheckAsync();
        await Assertions.Expect(folder.Locator(".ft-priority")).ToHaveValueAsync("mixed");
        FileEntry? entry = null;
        await Wait.UntilAsync(async () =>
            (entry = (await web.Http.GetFromJsonAsync<FileEntry[]>($"/api/torrents/{hash}/files", Ct))![index - 1]).Priority == "skip",
            TimeSpan.FromSeconds(30), Ct);
        Assert.Equal((index, "big/dir003/file00600.bin", "skip"), (entry!.Index, entry.Path, entry.Priority));

        // Scrolled to the end, the page still holds a few dozen rows.
        await tree.EvaluateAsync("box => { box.scrollTop = box.scrollHeight; box.dispatchEvent(new Event('scroll')); }");
        await Assertions.Expect(tree.Locator(".ft-row").Last).ToContainTextAsync("dir099/");
        Assert.InRange(await tree.Locator(".ft-row").CountAsync(), 5, 60);

        var figures = string.Create(CultureInfo.InvariantCulture,
            $"file tree of {Folders * FilesPerFolder} files: {inPage:0} ms in the page (fetch, build, first render), {wall.TotalMilliseconds:0} ms from the click, {rows} rows in the page");
        TestContext.Current.TestOutputHelper?.WriteLine(figures);
        Console.WriteLine(figures);
        var artifact = Path.Combine(TestPaths.RepoRoot, "TestResults", "web");
        Directory.CreateDirectory(artifact);
        await File.WriteAllTextAsync(Path.Combine(artifact, "file-tree.txt"), figures + "\n", Ct);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifact, "file-tree.png"), FullPage = true });
        // The times are figures for BENCHMARKS.md, not asserted: a bound of 10 s from the click failed at 10.6 s on a
        // clean-clone run beside another (2026-11-27 13:12, load ~40), what the page does having been the same. What
        // the test asserts is what makes it fast: a few dozen rows in the page, whatever the torrent.
        Assert.Empty(consoleErrors);
    }
}
