using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.QBittorrent;
using TorrentLab.Web;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace TorrentLab.Tests.Web.Rss;

/// <summary>RSS auto-download end to end, through qBittorrent's rss/* routes: a feed served on loopback, a rule that
/// takes one of its items, which downloads from a seeder on loopback into the rule's category and folder, exactly once,
/// also after the torrent was removed and serve restarted.</summary>
[Trait("Tier", "Slow")]
public class RssAutoDownloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Feed(string torrentUrl, string otherUrl) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0"><channel><title>Loopback shows</title>
          <item><title>Web Test S01E03 720p</title><guid>wt-3-720</guid><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate>
            <enclosure url="{torrentUrl}" type="application/x-bittorrent" length="1"/></item>
          <item><title>Web Test S01E03 480p</title><guid>wt-3-480</guid><enclosure url="{otherUrl}" type="application/x-bittorrent" length="1"/></item>
          <item><title>Web Test S01E09 720p</title><guid>wt-9-720</guid><enclosure url="{otherUrl}" type="application/x-bittorrent" length="1"/></item>
          <item><title>Other Show S01E03 720p</title><guid>os-3-720</guid><enclosure url="{otherUrl}" type="application/x-bittorrent" length="1"/></item>
        </channel></rss>
        """;

    [Fact]
    public async Task ARule_AddsTheRightItemOnce_WithItsCategoryAndFolder_AndNotAgainAfterARestart()
    {
        await using var site = await LoopbackHttpServer.StartAsync(Ct);
        await using var web = await WebTestServer.StartAsync(Ct, configure: WebTestServer.SwarmEngine);
        var torrentUrl = site.Put("/torrents/webtest.torrent", web.Swarm.Built.TorrentBytes, "application/x-bittorrent");
        var feedUrl = site.Put("/rss.xml", Encoding.UTF8.GetBytes(Feed(torrentUrl, site.Url + "/torrents/missing.torrent")), "application/rss+xml");
        var http = web.Http;

        await QBittorrentApiTests.PostAsync(http, "rss/addFeed", ("url", feedUrl), ("path", "Loopback"));
        await QBittorrentApiTests.PostAsync(http, "rss/refreshItem", ("itemPath", "Loopback"));
        var rule = new
        {
            enabled = true, mustContain = "web test 720p", mustNotContain = "480p", useRegex = false, episodeFilter = "1x2-4;",
            smartFilter = false, affectedFeeds = new[] { feedUrl }, ignoreDays = 0, addPaused = false, assignedCategory = "tv", savePath = "tv",
        };
        await QBittorrentApiTests.PostAsync(http, "rss/setRule", ("ruleName", "shows"), ("ruleDef", JsonSerializer.Serialize(rule)));

        var done = await web.WaitForAsync(t => t.State == "completed", Ct, TimeSpan.FromSeconds(90));
        var listed = Assert.Single(await web.ListAsync(Ct));
        Assert.Equal("tv", listed.Category);
        Assert.True(File.Exists(web.Downloads.Combine("tv", web.Swarm.Built.Files[0].Path)), "downloaded into the rule's folder");
        Assert.Equal(1, site.Requests("/torrents/webtest.torrent"));
        Assert.Equal(0, site.Requests("/torrents/missing.torrent")); // no other item was taken
        var titles = await http.GetFromJsonAsync<JsonElement>("/api/v2/rss/matchingArticles?ruleName=shows", Ct);
        Assert.Equal("""{"Loopback":["Web Test S01E03 720p"]}""", titles.GetRawText());
        var items = await http.GetFromJsonAsync<JsonElement>("/api/v2/rss/items?withData=true", Ct);
        var articles = items.GetProperty("Loopback").GetProperty("articles").EnumerateArray().ToList();
        Assert.Equal(feedUrl, items.GetProperty("Loopback").GetProperty("url").GetString());
        Assert.Equal(["wt-3-720"], articles.Where(a => a.GetProperty("isRead").GetBoolean()).Select(a => a.GetProperty("id").GetString()));

        // Removed, then serve restarted: the feed still lists the item, and the rule still takes it, but it was added
        // once and is not added again.
        using (var removed = await http.DeleteAsync($"/api/torrents/{web.InfoHash}", Ct)) Assert.True(removed.IsSuccessStatusCode);
        await web.RestartAsync(Ct, configure: WebTestServer.SwarmEngine);
        await QBittorrentApiTests.PostAsync(web.Http, "rss/refreshItem", ("itemPath", "Loopback"));

        Assert.True(site.Requests("/rss.xml") >= 3, $"the feed was fetched {site.Requests("/rss.xml")} times");
        Assert.Empty(await web.ListAsync(Ct));
        Assert.Equal(1, site.Requests("/torrents/webtest.torrent"));
        var rules = await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/rss/rules", Ct);
        Assert.Equal("tv", rules.GetProperty("shows").GetProperty("assignedCategory").GetString());
        Assert.Equal("Wed, 25 Nov 2026 10:00:00 GMT", rules.GetProperty("shows").GetProperty("lastMatch").GetString());
    }

    [Theory]
    [InlineData("rss/setRule", "ruleName=r&ruleDef={\"mustContain\":\"(\",\"useRegex\":true}", "not a regular expression")]
    [InlineData("rss/setRule", "ruleName=r&ruleDef={\"episodeFilter\":\"x1\"}", "episode filter")]
    [InlineData("rss/setRule", "ruleName=r&ruleDef={\"savePath\":\"/etc\"}", "downloads folder")]
    [InlineData("rss/setRule", "ruleName=r&ruleDef={\"smartFilter\":true}", "smart episode filter")]
    [InlineData("rss/addFeed", "url=ftp://site.example/rss", "http or https")]
    [InlineData("rss/addFeed", "url=http://127.0.0.1:1/rss&path=folder\\name", "folders of feeds")]
    [InlineData("rss/removeItem", "path=nothing", "no feed")]   // qbittorrent-nox 4.5.2: 409 "Item doesn't exist"
    [InlineData("rss/matchingArticles", "", "ruleName")]
    public async Task WhatCannotBeHonoured_IsRefusedSayingWhy(string route, string form, string why)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var fields = form.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).Select(f => KeyValuePair.Create(f[0], f[1]));

        using var response = await web.Http.PostAsync("/api/v2/" + route, new FormUrlEncodedContent(fields), Ct);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict, $"{route}: {response.StatusCode}");
        Assert.Contains(why, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("{}", (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/rss/rules", Ct)).GetRawText());
    }

    [Theory]
    [InlineData("status 500")]
    [InlineData("half a feed and random bytes")] // WireMock's MALFORMED_RESPONSE_CHUNK
    public async Task AFeedThatFails_IsMarkedWithAnErrorAndKeepsItsArticles_UntilItAnswersRightAgain(string answer)
    {
        using var site = StubHttp.Start();
        var mapping = Guid.NewGuid(); // one mapping, its answer replaced: good, then failing, then good again
        var feed = Encoding.UTF8.GetBytes(Feed(site.Url + "/a.torrent", site.Url + "/b.torrent"));
        IResponseBuilder good = Response.Create().WithHeader("Content-Type", "application/rss+xml").WithBody(feed);
        void Serve(IResponseBuilder response) => site.Given(Request.Create().WithPath("/rss.xml").UsingGet()).WithGuid(mapping).RespondWith(response);
        await using var web = await WebTestServer.StartAsync(Ct);
        async Task<(bool HasError, int Articles)> RefreshAsync()
        {
            await QBittorrentApiTests.PostAsync(web.Http, "rss/refreshItem", ("itemPath", "Loopback")); // answers once fetched
            var item = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/rss/items?withData=true", Ct)).GetProperty("Loopback");
            return (item.GetProperty("hasError").GetBoolean(), item.GetProperty("articles").GetArrayLength());
        }
        Serve(good);
        await QBittorrentApiTests.PostAsync(web.Http, "rss/addFeed", ("url", site.Url + "/rss.xml"), ("path", "Loopback"));
        Assert.Equal((false, 4), await RefreshAsync());

        Serve(answer == "status 500" ? Response.Create().WithStatusCode(500) : Response.Create().WithBody(feed).WithFault(FaultType.MALFORMED_RESPONSE_CHUNK));
        Assert.Equal((true, 4), await RefreshAsync());

        Serve(good);
        Assert.Equal((false, 4), await RefreshAsync());
        Assert.DoesNotContain(site.LogEntries, e => e.RequestMessage.Path != "/rss.xml"); // no item was fetched: no rule
    }
}
