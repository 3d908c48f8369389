using Microsoft.Playwright;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Web;

/// <summary>The page's replay of a recorded download (<c>wwwroot/replay.js</c>) in Debian's Chromium through
/// Playwright: a recording chosen in the Replay dialog shows its map at the first moment, the slider steps to the last,
/// the pointer on a piece names its sender, and Play runs it to the end.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserReplayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Four pieces: 0 requested at 0.5 s and verified from A at 1 s; 1 verified from B (and A) at 2 s.</summary>
    private static string Recording()
    {
        var built = TestTorrents.SingleFile(length: 4 * 16384, pieceLength: 16384, name: "replayed.bin");
        var recorder = new PieceRecorder(built.Torrent);
        var table = new PieceSenderTable(4);
        var have = new Bitfield(4);
        recorder.Observe(PieceStates.From(have, requested: [0]), TimeSpan.FromMilliseconds(500));
        table.Record(0, "127.0.0.1:7000", "A 1.0", several: false);
        have.Set(0);
        recorder.Observe(PieceStates.From(have).WithSenders(table.Snapshot()), TimeSpan.FromSeconds(1));
        table.Record(1, "127.0.0.1:7001", "B 2.0", several: true);
        have.Set(1);
        recorder.Observe(PieceStates.From(have).WithSenders(table.Snapshot()), TimeSpan.FromSeconds(2));
        return recorder.ToRecording().ToJson();
    }

    [Fact]
    public async Task Replay_ARecordingChosen_StepsAndPlaysItsMap_AndNamesEachSender()
    {
        HeadlessChromium.Require();
        await using var web = await WebTestServer.StartAsync(Ct);
        using var folder = new TempFolder();
        var file = folder.Combine("run.json");
        await File.WriteAllTextAsync(file, Recording(), Ct);

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors);
        await page.GotoAsync(web.Server.Url + "/");
        await page.Locator("#replay-open").ClickAsync();
        await page.Locator("#replay-file").SetInputFilesAsync(file);

        var map = page.Locator("#replay-map");
        await Assertions.Expect(page.Locator("#replay-name")).ToHaveTextAsync("replayed.bin · 4 pieces · 3 events · 2 senders");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-total", "4");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-verified", "0"); // at 0 s nothing happened yet
        await Assertions.Expect(page.Locator("#replay-step")).ToHaveAttributeAsync("max", "3"); // 0, 0.5, 1 and 2 s

        await page.Locator("#replay-step").FillAsync("2");
        await Assertions.Expect(page.Locator("#replay-counts")).ToHaveTextAsync("1 verified · 0 requested · 0 failed · 3 missing");
        await Assertions.Expect(page.Locator("#replay-when")).ToHaveTextAsync("1.0 s of 2.0 s");
        await map.HoverAsync(new() { Position = new() { X = 1, Y = 1 } });
        await Assertions.Expect(page.Locator("#replay-hover")).ToHaveTextAsync("piece 0: verified · sent by 127.0.0.1:7000 (A 1.0)");

        await page.Locator("#replay-step").FillAsync("0");
        await page.Locator("#replay-play").ClickAsync();
        await Assertions.Expect(map).ToHaveAttributeAsync("data-verified", "2");
        await Assertions.Expect(page.Locator("#replay-play")).ToHaveTextAsync("Play"); // it stopped at the end
        await page.Mouse.MoveAsync(0, 0);
        // Piece 1 is the second cell: 18 px cells and a 1 px gap for four pieces.
        await map.HoverAsync(new() { Position = new() { X = 20, Y = 1 } });
        await Assertions.Expect(page.Locator("#replay-hover")).ToHaveTextAsync("piece 1: verified · sent by several peers, most by 127.0.0.1:7001 (B 2.0)");
        Assert.Empty(consoleErrors);
    }
}
