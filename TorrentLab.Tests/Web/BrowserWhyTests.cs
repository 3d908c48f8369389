using Microsoft.Playwright;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web;

/// <summary>"Why no progress" in the page's detail view (<c>wwwroot/why.js</c>) in Debian's Chromium through Playwright,
/// on two scripted causes beside each other: a torrent whose only peer keeps us choked, and one whose only tracker
/// refuses connections. Each torrent opened shows its own verdict and findings, the other's gone at once.</summary>
[Trait("Tier", "Slow")]
[Collection(BrowserCollection.Name)]
public class BrowserWhyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DetailView_ChokingPeerThenDeadTracker_ShowsEachVerdictWithItsFindings()
    {
        HeadlessChromium.Require();
        // The mock swarm's tracker names one peer, which never unchokes; the swarm engine (more than one peer allowed).
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.NeverUnchokes, configure: o => o with { MaxPeers = 8 });
        await web.AddAsync(start: true, Ct);
        var peer = $"127.0.0.1:{web.Swarm.Peers[0].EndPoint.Port}";
        // The second torrent's tracker is port 1 on loopback, where nothing listens.
        var dead = TestTorrents.SingleFile(64 * 1024, name: "dead-tracker.bin", announce: "http://127.0.0.1:1/announce");
        using (var added = await web.UploadAsync(dead.TorrentBytes, start: true, Ct))
            Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);

        await using var browser = await HeadlessChromium.LeaseAsync();
        var consoleErrors = new List<string>();
        var page = await HeadlessChromium.OpenPageAsync(browser, consoleErrors);
        await page.GotoAsync(web.Server.Url + "/");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        var verdict = page.Locator("#why-verdict");
        var findings = page.Locator("#why tbody tr");

        // Choked: the verdict says so (asked again every 5 s until the peer has kept us choked), and the peer's row
        // says what it did.
        await page.Locator($"tr[data-hash='{web.InfoHash}'] .name").ClickAsync();
        await Assertions.Expect(verdict).ToHaveAttributeAsync("data-cause", "chokedByPeers", new() { Timeout = 30_000 });
        await Assertions.Expect(verdict).ToContainTextAsync("keeps us choked");
        var choked = page.Locator("#why tbody tr[data-kind='chokedUs']");
        await Assertions.Expect(choked).ToContainTextAsync(peer);
        await Assertions.Expect(choked).ToContainTextAsync("choked us while we want its pieces");

        // The other torrent: its own verdict, and none of the first one's findings.
        await page.Locator($"tr[data-hash='{dead.Torrent.InfoHash.Hex}'] .name").ClickAsync();
        await Assertions.Expect(page.Locator("#d-name")).ToHaveTextAsync("dead-tracker.bin");
        await Assertions.Expect(verdict).ToHaveAttributeAsync("data-cause", "trackersUnreachable", new() { Timeout = 30_000 });
        await Assertions.Expect(verdict).ToContainTextAsync("every tracker is unreachable");
        await Assertions.Expect(page.Locator("#why tbody tr[data-kind='trackerUnreachable']")).ToContainTextAsync("http://127.0.0.1:1/announce");
        await Assertions.Expect(page.Locator("#why tbody tr[data-kind='chokedUs']")).ToHaveCountAsync(0);
        Assert.True(await findings.CountAsync() >= 2, "the tracker's row and the port's");

        var artifact = Path.Combine(TestPaths.RepoRoot, "TestResults", "web");
        Directory.CreateDirectory(artifact);
        await page.Locator("#detail").ScreenshotAsync(new() { Path = Path.Combine(artifact, "why.png") });

        // "Ask again" asks at once: the verdict stays the same, and the page logged no error.
        await page.Locator("#why-refresh").ClickAsync();
        await Assertions.Expect(verdict).ToHaveAttributeAsync("data-cause", "trackersUnreachable");
        Assert.Empty(consoleErrors);
    }
}
