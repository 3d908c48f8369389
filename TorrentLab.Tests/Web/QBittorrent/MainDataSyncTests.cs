using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using static TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests;

namespace TorrentLab.Tests.Web.QBittorrent;

/// <summary>sync/maindata by response id, as qBittorrent's SyncController answers: the whole at first (full_update),
/// then only what changed since the rid a client sends back: a torrent's changed fields, torrents added and removed,
/// categories, tags, server figures; an unknown rid gets the whole again.</summary>
public class MainDataSyncTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> MainDataAsync(HttpClient http, long? rid = null) =>
        JsonDocument.Parse(await http.GetStringAsync("/api/v2/sync/maindata" + (rid is { } r ? $"?rid={r}" : ""), Ct)).RootElement.Clone();

    private static async Task<(WebTestServer, HttpClient)> StartedAsync()
    {
        var web = await StartAsync();
        var http = QBittorrentApiTests.Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        return (web, http);
    }

    [Fact]
    public async Task FirstAnswer_IsWhole_ThenNothingChanged_SendsNoTorrents()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);

        var full = await MainDataAsync(http);
        var same = await MainDataAsync(http, full.GetProperty("rid").GetInt64());

        Assert.True(full.GetProperty("full_update").GetBoolean());
        Assert.True(full.GetProperty("torrents").TryGetProperty(web.InfoHash, out var row));
        Assert.True(row.EnumerateObject().Count() > 40); // every field
        Assert.False(same.TryGetProperty("full_update", out _)); // left out of a delta, as qBittorrent does
        Assert.True(same.GetProperty("rid").GetInt64() > full.GetProperty("rid").GetInt64());
        Assert.False(same.TryGetProperty("torrents", out _));
        Assert.False(same.TryGetProperty("categories", out _));
        Assert.False(same.TryGetProperty("trackers", out _));
    }

    [Fact]
    public async Task AChange_SendsOnlyTheFieldsThatChanged_OfTheTorrentThatChanged()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        var other = TestTorrents.SingleFile(length: 5000, name: "other.bin", announce: null);
        using (await web.UploadAsync(other.TorrentBytes, start: false, Ct)) { }
        var full = await MainDataAsync(http);

        await PostAsync(http, "torrents/setCategory", ("hashes", web.InfoHash), ("category", ""));
        await PostAsync(http, "torrents/createCategory", ("category", "films"));
        await PostAsync(http, "torrents/setCategory", ("hashes", web.InfoHash), ("category", "films"));
        await PostAsync(http, "torrents/createTags", ("tags", "new"));
        var delta = await MainDataAsync(http, full.GetProperty("rid").GetInt64());

        var torrents = delta.GetProperty("torrents");
        Assert.Equal([web.InfoHash], torrents.EnumerateObject().Select(t => t.Name)); // the other did not change
        Assert.Equal(["category"], torrents.GetProperty(web.InfoHash).EnumerateObject().Select(f => f.Name));
        Assert.Equal("films", torrents.GetProperty(web.InfoHash).GetProperty("category").GetString());
        Assert.Equal(["films"], delta.GetProperty("categories").EnumerateObject().Select(c => c.Name));
        Assert.Equal(["new"], delta.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task RemovedTorrentsCategoriesAndTags_AreListedAsRemoved()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        await PostAsync(http, "torrents/createCategory", ("category", "films"));
        await PostAsync(http, "torrents/createTags", ("tags", "old"));
        var full = await MainDataAsync(http);

        await PostAsync(http, "torrents/delete", ("hashes", web.InfoHash), ("deleteFiles", "false"));
        await PostAsync(http, "torrents/removeCategories", ("categories", "films"));
        await PostAsync(http, "torrents/deleteTags", ("tags", "old"));
        var delta = await MainDataAsync(http, full.GetProperty("rid").GetInt64());

        Assert.Equal([web.InfoHash], delta.GetProperty("torrents_removed").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal(["films"], delta.GetProperty("categories_removed").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["old"], delta.GetProperty("tags_removed").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([web.Swarm.Tracker.HttpAnnounceUrl], delta.GetProperty("trackers_removed").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task ARidNeverGiven_GetsTheWholeAgain()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);

        var answer = await MainDataAsync(http, 123456);

        Assert.True(answer.GetProperty("full_update").GetBoolean());
        Assert.True(answer.GetProperty("torrents").TryGetProperty(web.InfoHash, out _));
        Assert.Equal([web.InfoHash], answer.GetProperty("trackers").GetProperty(web.Swarm.Tracker.HttpAnnounceUrl).EnumerateArray().Select(h => h.GetString()));
    }

    [Fact]
    public async Task ADownload_SendsItsProgressFields_TheIdleTorrentNone()
    {
        await using var web = await WebTestServer.StartAsync(Ct, TorrentLab.Lab.SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromMilliseconds(300),
            configure: o => o with { Token = Token, RequireToken = true });
        using var http = QBittorrentApiTests.Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        var idle = TestTorrents.SingleFile(length: 5000, name: "idle.bin", announce: null);
        using (await web.UploadAsync(idle.TorrentBytes, start: false, Ct)) { }
        await web.AddAsync(start: true, Ct);
        var full = await MainDataAsync(http);
        var rid = full.GetProperty("rid").GetInt64();

        JsonElement? changed = null;
        await Wait.UntilAsync(async () =>
        {
            var delta = await MainDataAsync(http, rid);
            rid = delta.GetProperty("rid").GetInt64();
            if (delta.TryGetProperty("torrents", out var torrents) && torrents.TryGetProperty(web.InfoHash, out var row) && row.TryGetProperty("completed", out _))
                changed = torrents;
            return changed is not null;
        }, TimeSpan.FromSeconds(20), Ct);

        Assert.NotNull(changed);
        Assert.False(changed.Value.TryGetProperty(idle.Torrent.InfoHash.Hex, out _));
        Assert.DoesNotContain("name", changed.Value.GetProperty(web.InfoHash).EnumerateObject().Select(f => f.Name));
    }

    [Fact]
    public async Task ADownloadWaitingForPeers_IsNotSentForItsClockAlone_ItsTimeGoesWithItsNextChange()
    {
        // The swarm engine: a download with no peer waits for them (the single-peer engine gives up).
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => WebTestServer.SwarmEngine(o) with { Token = Token, RequireToken = true });
        using var http = QBittorrentApiTests.Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        var lonely = TestTorrents.SingleFile(length: 5000, name: "lonely.bin", announce: null); // no tracker, no peer: it waits
        using (await web.UploadAsync(lonely.TorrentBytes, start: true, Ct)) { }
        var hash = lonely.Torrent.InfoHash.Hex;
        async Task<JsonElement> RowAsync() =>
            JsonDocument.Parse(await http.GetStringAsync($"/api/v2/torrents/info?hashes={hash}", Ct)).RootElement[0].Clone();
        await Wait.UntilAsync(async () => (await RowAsync()).GetProperty("state").GetString() == "stalledDL", TimeSpan.FromSeconds(30),
            "the download never showed as waiting for peers", Ct);

        var full = await MainDataAsync(http);
        var activeThen = full.GetProperty("torrents").GetProperty(hash).GetProperty("time_active").GetInt64();
        await Wait.UntilAsync(async () => (await RowAsync()).GetProperty("time_active").GetInt64() > activeThen, TimeSpan.FromSeconds(30),
            "its time_active never moved", Ct);
        var clockOnly = await MainDataAsync(http, full.GetProperty("rid").GetInt64());
        await PostAsync(http, "torrents/createCategory", ("category", "waiting"));
        await PostAsync(http, "torrents/setCategory", ("hashes", hash), ("category", "waiting"));
        var changed = await MainDataAsync(http, clockOnly.GetProperty("rid").GetInt64());

        Assert.False(clockOnly.TryGetProperty("torrents", out _)); // its time_active moved, nothing else: not sent
        var row = changed.GetProperty("torrents").GetProperty(hash);
        Assert.Equal("waiting", row.GetProperty("category").GetString());
        Assert.True(row.GetProperty("time_active").GetInt64() > activeThen); // the time a client missed comes with it
    }
}
