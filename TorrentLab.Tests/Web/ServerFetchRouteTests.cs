using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.QBittorrent;

namespace TorrentLab.Tests.Web;

/// <summary>What serve fetches over HTTP itself (a .torrent added by URL, an RSS feed, the blocklist URL, the
/// webhook's POST) goes through the session's network, as its trackers: bound to an interface that is not there, each
/// is refused with one clear line or API error naming the interface, and nothing reaches the loopback server the URLs
/// name (a direct connection would).</summary>
public sealed class ServerFetchRouteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Missing = "tlabgone9"; // an interface name no machine has: the binding is down from the start

    [Fact]
    public async Task BoundToAMissingInterface_TheServersOwnFetchesAreRefused_AndNoneGoesDirect()
    {
        await using var site = await LoopbackHttpServer.StartAsync(Ct);
        ConcurrentQueue<string> log = new();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            PeerBindInterface = Missing, Webhook = site.Url + "/hook", Log = log.Enqueue,
        });
        var torrentUrl = site.Put("/x.torrent", web.Swarm.Built.TorrentBytes, "application/x-bittorrent");
        var feedUrl = site.Put("/rss.xml", Encoding.UTF8.GetBytes($"""<rss version="2.0"><channel><title>t</title><item><title>a</title><guid>a</guid><enclosure url="{torrentUrl}" type="application/x-bittorrent" length="1"/></item></channel></rss>"""), "application/rss+xml");
        var listUrl = site.Put("/list.txt", Encoding.UTF8.GetBytes("bad:10.0.0.1-10.0.0.2\n"), "text/plain");
        var down = $"interface {Missing} not found: sending nothing";

        // A .torrent by URL (the page's and REST's link).
        using var link = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = torrentUrl }, Ct);
        var linkBody = await link.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadGateway, link.StatusCode);
        Assert.Contains(down, linkBody, StringComparison.Ordinal);

        // The blocklist's URL.
        using var blocklist = await web.Http.PutAsJsonAsync("/api/settings", new { blocklist = listUrl, blocklistEnabled = true }, Ct);
        var blocklistBody = await blocklist.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadGateway, blocklist.StatusCode);
        Assert.Contains(down, blocklistBody, StringComparison.Ordinal);

        // An RSS feed (qBittorrent's API): its error is the log's line.
        await QBittorrentApiTests.PostAsync(web.Http, "rss/addFeed", ("url", feedUrl), ("path", "Feed"));
        await QBittorrentApiTests.PostAsync(web.Http, "rss/refreshItem", ("itemPath", "Feed"));
        await Wait.UntilAsync(() => log.Any(l => l.StartsWith("warning: rss: feed Feed: ", StringComparison.Ordinal) && l.Contains(down, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"no refused feed line; log:\n{string.Join("\n", log)}", Ct);

        // The webhook, told of an upload.
        using (var upload = await web.UploadAsync(web.Swarm.Built.TorrentBytes, start: false, Ct)) Assert.True(upload.IsSuccessStatusCode);
        await Wait.UntilAsync(() => log.Any(l => l.Contains("webhook (added)", StringComparison.Ordinal) && l.Contains(down, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"no refused webhook line; log:\n{string.Join("\n", log)}", Ct);

        Assert.Equal((0, 0, 0, 0), (site.Requests("/x.torrent"), site.Requests("/rss.xml"), site.Requests("/list.txt"), site.Requests("/hook")));
    }
}
