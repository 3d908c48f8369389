using System.Text.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>What Transmission's clients read beyond the list: each tracker's last announce (trackerStats, all of
/// rpc-spec 3.3's keys), the rpc-version 17 fields (never null), peers' flags, true activity dates, and the methods
/// that rename a torrent's files and announce again.</summary>
public class TransmissionRemoteFieldsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>rpc-spec 3.3's trackerStats keys (Transmission 4.0), every one of which transmission-remote 3.00 needs
    /// before it prints a tracker.</summary>
    private static readonly string[] TrackerStatsKeys =
    [
        "announce", "announceState", "downloadCount", "hasAnnounced", "hasScraped", "host", "id", "isBackup", "lastAnnouncePeerCount",
        "lastAnnounceResult", "lastAnnounceStartTime", "lastAnnounceSucceeded", "lastAnnounceTime", "lastAnnounceTimedOut",
        "lastScrapeResult", "lastScrapeStartTime", "lastScrapeSucceeded", "lastScrapeTime", "lastScrapeTimedOut", "leecherCount",
        "nextAnnounceTime", "nextScrapeTime", "scrape", "scrapeState", "seederCount", "sitename", "tier",
    ];

    private static Task<WebTestServer> SwarmServerAsync(SyntheticBehaviour behaviour = SyntheticBehaviour.Slow) =>
        WebTestServer.StartAsync(Ct, behaviour, slowDelay: TimeSpan.FromSeconds(2), configure: o => o with { MaxPeers = 50 });

    private static async Task<JsonElement> TorrentAsync(RpcClient rpc, params string[] fields) =>
        (await rpc.SucceedAsync("torrent-get", new { ids = new[] { 1 }, fields }, Ct)).GetProperty("torrents")[0].Clone();

    [Fact]
    public async Task TrackerStats_AfterAnAnnounce_HaveEveryKeyAndTheTrackersAnswer()
    {
        await using var web = await SwarmServerAsync();
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: true, Ct);
        JsonElement stats = default;
        await Wait.UntilAsync(async () =>
            (stats = (await TorrentAsync(rpc, "trackerStats")).GetProperty("trackerStats")[0]).GetProperty("hasAnnounced").GetBoolean(), TimeSpan.FromSeconds(20), Ct);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.Equal(TrackerStatsKeys, stats.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(web.Swarm.Tracker.HttpAnnounceUrl, stats.GetProperty("announce").GetString());
        Assert.Equal(web.Swarm.Tracker.HttpScrapeUrl, stats.GetProperty("scrape").GetString()); // BEP 48's convention
        Assert.True(stats.GetProperty("lastAnnounceSucceeded").GetBoolean());
        Assert.Equal("Success", stats.GetProperty("lastAnnounceResult").GetString());
        Assert.InRange(stats.GetProperty("lastAnnounceTime").GetInt64(), now - 120, now + 1);
        Assert.Equal(1, stats.GetProperty("lastAnnouncePeerCount").GetInt32()); // the mock swarm's one seeder
        Assert.Equal(1, stats.GetProperty("seederCount").GetInt32());
        var last = stats.GetProperty("lastAnnounceTime").GetInt64();
        Assert.InRange(stats.GetProperty("nextAnnounceTime").GetInt64(), last + 60, last + 1800); // a minute with few peers, at most the tracker's 30
        Assert.Equal(1, stats.GetProperty("announceState").GetInt32()); // waiting for the next one
    }

    [Fact]
    public async Task Rpc17Fields_AreNeverNull_AndSayWhatTheyMean()
    {
        await using var web = await SwarmServerAsync(SyntheticBehaviour.Normal);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        string[] fields = ["availability", "file-count", "group", "percentComplete", "primary-mime-type", "trackerList", "maxConnectedPeers",
            "torrentFile", "labels", "editDate", "activityDate", "doneDate", "addedDate", "startDate", "secondsDownloading", "secondsSeeding"];

        var t = await TorrentAsync(rpc, fields);

        Assert.All(fields, f => Assert.NotEqual(JsonValueKind.Null, t.GetProperty(f).ValueKind));
        Assert.All(t.GetProperty("availability").EnumerateArray(), a => Assert.Equal(-1, a.GetInt32())); // every piece is ours
        Assert.Equal(web.Swarm.Built.Torrent.PieceCount, t.GetProperty("availability").GetArrayLength());
        Assert.Equal("application/octet-stream", t.GetProperty("primary-mime-type").GetString()); // .bin files
        Assert.Equal(50, t.GetProperty("maxConnectedPeers").GetInt32());
        Assert.Equal(web.Swarm.Built.TorrentBytes, File.ReadAllBytes(t.GetProperty("torrentFile").GetString()!));
        Assert.InRange(t.GetProperty("doneDate").GetInt64(), t.GetProperty("addedDate").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // Payload moved: its last activity is after it was added (Transmission 3.00's 0 read as "20782 days ago").
        Assert.InRange(t.GetProperty("activityDate").GetInt64(), t.GetProperty("addedDate").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(0, t.GetProperty("startDate").GetInt64()); // complete, not seeding: not running
    }

    [Fact]
    public async Task Peers_CarryTheirFlags_AsTransmissionLists_Them()
    {
        await using var web = await SwarmServerAsync();
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: true, Ct);
        JsonElement peers = default;
        await Wait.UntilAsync(async () =>
        {
            peers = (await TorrentAsync(rpc, "peers")).GetProperty("peers");
            return peers.GetArrayLength() > 0 && peers[0].GetProperty("isDownloadingFrom").GetBoolean();
        }, TimeSpan.FromSeconds(20), Ct);

        var peer = Assert.Single(peers.EnumerateArray());
        Assert.Equal(16, peer.EnumerateObject().Count());
        Assert.False(peer.GetProperty("isIncoming").GetBoolean()); // we dialled the seeder
        Assert.False(peer.GetProperty("clientIsChoked").GetBoolean()); // the seeder unchoked us
        Assert.True(peer.GetProperty("clientIsInterested").GetBoolean());
        Assert.True(peer.GetProperty("isDownloadingFrom").GetBoolean());
        Assert.Equal(1.0, peer.GetProperty("progress").GetDouble()); // a seed
        Assert.Contains('D', peer.GetProperty("flagStr").GetString()!);
    }

    [Fact]
    public async Task RenamePath_AFileAFolderAndTheTop_MoveOnDisk_AndTheTorrentStaysComplete()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        var file = await rpc.SucceedAsync("torrent-rename-path", new { ids = new[] { 1 }, path = "webtest/a.bin", name = "first.bin" }, Ct);
        await rpc.SucceedAsync("torrent-rename-path", new { ids = new[] { 1 }, path = "webtest/sub", name = "second" }, Ct);
        await rpc.SucceedAsync("torrent-rename-path", new { ids = new[] { 1 }, path = "webtest", name = "renamed" }, Ct);
        var slash = await rpc.FailAsync("torrent-rename-path", new { ids = new[] { 1 }, path = "renamed/first.bin", name = "a/b" }, Ct);
        var t = await TorrentAsync(rpc, "name", "files", "percentDone");
        await rpc.SucceedAsync("torrent-verify", new { ids = new[] { 1 } }, Ct);
        var verified = await web.WaitForAsync(s => s.State == "completed", Ct);

        Assert.Equal(("webtest/a.bin", "first.bin", 1), (file.GetProperty("path").GetString(), file.GetProperty("name").GetString(), file.GetProperty("id").GetInt32()));
        Assert.Contains("one file or folder name", slash, StringComparison.Ordinal);
        Assert.Equal("renamed", t.GetProperty("name").GetString());
        Assert.Equal(["renamed/first.bin", "renamed/second/b.bin"], t.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(1, t.GetProperty("percentDone").GetDouble());
        Assert.Equal(web.Swarm.Built.Files[1].Data, File.ReadAllBytes(web.Downloads.Combine("renamed/second/b.bin")));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest")));
        Assert.Equal(verified.PieceCount, verified.PiecesDone); // the data is all there under its new names
    }

    [Fact]
    public async Task Reannounce_ARunningTorrent_AnnouncesAgain()
    {
        await using var web = await SwarmServerAsync();
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: true, Ct);
        DateTimeOffset? first = null;
        await Wait.UntilAsync(async () => (first = (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt) is not null, TimeSpan.FromSeconds(20), Ct);
        // The connection to keep exists first: on a quiet machine every step below took less than the dial after the
        // first answer, and the seeder had accepted none at the end (a CI run, 2026-11-29).
        Assert.True(await Wait.UntilAsync(() => web.Swarm.Peers[0].ConnectionsAccepted == 1, TimeSpan.FromSeconds(20), Ct), "never connected to the seeder");

        await rpc.SucceedAsync("torrent-reannounce", new { ids = new[] { 1 } }, Ct);
        var again = first;
        await Wait.UntilAsync(async () => (again = (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt) != first, TimeSpan.FromSeconds(20), Ct);
        // A tracker added to the running torrent is announced to as well, and neither change restarts it.
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, trackerAdd = new[] { "http://127.0.0.1:1/announce" } }, Ct);
        // The new list hears started from its first tier that answers (BEP 12): the first tracker again.
        var trackers = 0;
        var third = again;
        await Wait.UntilAsync(async () =>
        {
            var details = (await web.DetailsAsync(Ct)).Trackers;
            (trackers, third) = (details.Count, details[0].AnsweredAt);
            return trackers == 2 && third > again;
        }, TimeSpan.FromSeconds(20), Ct);

        Assert.NotNull(first);
        Assert.True(again > first, $"no second announce: {first} then {again}");
        Assert.Equal(2, trackers);
        Assert.True(third > again, $"the list with a tracker added was not announced to: {again} then {third}");
        // A peer limit of its own reaches the running torrent too (it has one peer: none is over the limit).
        await rpc.SucceedAsync("torrent-set", new Dictionary<string, object> { ["ids"] = new[] { 1 }, ["peer-limit"] = 7 }, Ct);
        Assert.Equal(7, (await TorrentAsync(rpc, "peer-limit")).GetProperty("peer-limit").GetInt32());
        Assert.Equal("downloading", (await web.DetailsAsync(Ct)).Summary.State);
        Assert.Equal(1, web.Swarm.Peers[0].ConnectionsAccepted); // the torrent's one connection to its seeder was kept
    }

    [Fact]
    public async Task Labels_AreTheCategoryThenTheTags_OnTheModelTheQBittorrentApiShows()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);

        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, labels = new[] { "films", "hd", "2024" } }, Ct);
        var row = Assert.Single(await web.ListAsync(Ct));
        var info = JsonDocument.Parse(await web.Http.GetStringAsync("/api/v2/torrents/info", Ct)).RootElement[0];
        var labels = (await TorrentAsync(rpc, "labels")).GetProperty("labels").EnumerateArray().Select(l => l.GetString());

        Assert.Equal("films", row.Category);
        Assert.Equal(["2024", "hd"], row.Tags);
        Assert.Equal(("films", "2024, hd"), (info.GetProperty("category").GetString(), info.GetProperty("tags").GetString()));
        Assert.Equal(["films", "2024", "hd"], labels);
    }
}
