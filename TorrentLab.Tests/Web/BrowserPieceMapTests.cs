using Microsoft.Playwright;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>The piece map's readout in the page (<c>wwwroot/pieces.js</c>) in Debian's Chromium through Playwright: the
/// pointer on a piece of a torrent downloading from one peer that has every piece says the piece, its state and that
/// one connected peer has it; once paused, that the counts come only while it runs; once downloaded, which peer sent it,
/// and under the map, when end game began.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserPieceMapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PieceMap_PointerOnAPiece_SaysItsStateAndHowManyPeersHaveIt()
    {
        HeadlessChromium.Require();
        // The swarm engine, one peer sending a block every 100 ms and lacking the last piece: the download runs until the
        // test pauses it, however long the page takes to open. With every piece the download ended after 6 s, and a
        // page that opened later read no peer count (a complete torrent holds no swarm). With 5 ms a block it failed so
        // here; a CI run under load failed it too (its message was not kept).
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 60, slowDelay: TimeSpan.FromMilliseconds(100),
            configure: o => o with { MaxPeers = 8 }, peer: p => p with { LatePiece = 59 });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(s => s.State == "downloading", Ct);

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var (page, map) = await OpenMapAsync(web, browser, consoleErrors, pieces: 60);

        // The first cell's middle: piece 0 (cells are at least 2 px, from the map's top left corner).
        var readout = page.Locator("#piece-hover");
        await map.HoverAsync(new() { Position = new() { X = 1, Y = 1 } });
        await Assertions.Expect(readout).ToHaveAttributeAsync("data-index", "0");
        await Assertions.Expect(readout).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^piece 0: (missing|requested|verified) · 1 connected peer has it( · sent by 127\.0\.0\.1:\d+ \(.+\))?$"),
            new() { Timeout = 30_000 });

        // Paused, nobody is connected: the readout says the counts come only while it runs.
        using (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/pause", null, Ct)) { }
        await web.WaitForAsync(s => s.State == "paused", Ct);
        await page.Mouse.MoveAsync(0, 0); // off the map: the readout empties
        await Assertions.Expect(readout).ToHaveTextAsync("");
        // Back on it: the counts are asked again once 2 s old, while the pointer moves on the map.
        await Wait.UntilAsync(async () =>
        {
            await page.Mouse.MoveAsync(0, 0); // each pass enters the map again: a move the page hears
            await map.HoverAsync(new() { Position = new() { X = 1, Y = 1 } });
            return (await readout.TextContentAsync())?.Contains(" · peers per piece only while it runs", StringComparison.Ordinal) == true;
        }, TimeSpan.FromSeconds(30), "the readout never said that the counts come only while it runs", Ct);
        Assert.Empty(consoleErrors);
    }

    [Fact]
    public async Task PieceMap_PointerOnADownloadedPiece_NamesThePeerThatSentIt_AndTheMomentsShowEndGame()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct, pieces: 12, configure: o => o with { MaxPeers = 8 });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(s => s.PiecesDone == 12, Ct);
        var seed = web.Swarm.Peers[0].EndPoint.ToString();

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var (page, map) = await OpenMapAsync(web, browser, consoleErrors, pieces: 12);

        var readout = page.Locator("#piece-hover");
        var named = $" · sent by {seed} (";
        await Wait.UntilAsync(async () =>
        {
            await page.Mouse.MoveAsync(0, 0);
            await map.HoverAsync(new() { Position = new() { X = 1, Y = 1 } });
            return (await readout.TextContentAsync())?.Contains(named, StringComparison.Ordinal) == true;
        }, TimeSpan.FromSeconds(30), $"the readout never named {seed} as piece 0's sender", Ct);
        Assert.StartsWith("piece 0: verified · ", await readout.TextContentAsync(), StringComparison.Ordinal);
        // Under the map, the engine's moments: the download ended in end game.
        await Assertions.Expect(page.Locator("#piece-moments li[data-kind='endgame']")).ToContainTextAsync($"end game began: ");
        Assert.Empty(consoleErrors);
    }

    /// <summary>The page, live, with the torrent's detail view open and its map drawn with <paramref name="pieces"/> cells.</summary>
    private static async Task<(IPage Page, ILocator Map)> OpenMapAsync(WebTestServer web, BrowserLease browser, List<string> consoleErrors, int pieces)
    {
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors);
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await page.Locator($"tr[data-hash='{web.InfoHash}'] .name").ClickAsync();
        var map = page.Locator("#piece-map");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-total", pieces.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (page, map);
    }
}
