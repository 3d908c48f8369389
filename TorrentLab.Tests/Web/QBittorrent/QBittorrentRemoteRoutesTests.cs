using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;
using static TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests;

namespace TorrentLab.Tests.Web.QBittorrent;

/// <summary>The routes of the qBittorrent API beyond adding and starting (QBittorrent/QBittorrentApi.Remote.cs): tags,
/// the queue, names and files renamed, announcing again, pieces, web seeds, per-torrent switches, categories edited,
/// the alternative limits' switch, the filters; each effect checked through TorrentLab's REST API or on disk.</summary>
public class QBittorrentRemoteRoutesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(WebTestServer Web, HttpClient Http)> StartedAsync(SyntheticBehaviour behaviour = SyntheticBehaviour.Normal)
    {
        var web = await WebTestServer.StartAsync(Ct, behaviour, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with { Token = Token, RequireToken = true });
        var http = QBittorrentApiTests.Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        return (web, http);
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string route) =>
        JsonDocument.Parse(await http.GetStringAsync("/api/v2/" + route, Ct)).RootElement.Clone();

    private static async Task<HttpStatusCode> StatusOfPostAsync(HttpClient http, string route, params (string Key, string Value)[] form)
    {
        using var response = await http.PostAsync("/api/v2/" + route, new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Key, f.Value))), Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task Tags_CreatedAddedRemovedDeleted_ShowInInfoTheTagListAndTheRestApi()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);

        await PostAsync(http, "torrents/createTags", ("tags", "alpha, beta,gamma"));
        await PostAsync(http, "torrents/addTags", ("hashes", web.InfoHash), ("tags", "beta,alpha"));
        var tagged = Assert.Single(await web.ListAsync(Ct)).Tags;
        var byTag = await GetJsonAsync(http, "torrents/info?tag=alpha");
        var untagged = await GetJsonAsync(http, "torrents/info?tag=gamma");
        await PostAsync(http, "torrents/removeTags", ("hashes", web.InfoHash), ("tags", "alpha"));
        var afterRemove = Assert.Single(await web.ListAsync(Ct)).Tags;
        await PostAsync(http, "torrents/deleteTags", ("tags", "beta"));
        var all = (await GetJsonAsync(http, "torrents/tags")).EnumerateArray().Select(t => t.GetString()!).ToArray();
        var refused = await StatusOfPostAsync(http, "torrents/createTags", ("tags", "bad\u0001tag"));

        Assert.Equal(["alpha", "beta"], tagged);
        Assert.Equal("alpha, beta", Assert.Single(byTag.EnumerateArray()).GetProperty("tags").GetString());
        Assert.Empty(untagged.EnumerateArray());
        Assert.Equal(["beta"], afterRemove);
        Assert.Equal(["alpha", "gamma"], all);
        Assert.Empty(Assert.Single(await web.ListAsync(Ct)).Tags); // a deleted tag leaves its torrents too
        Assert.Equal(HttpStatusCode.BadRequest, refused);
    }

    [Fact]
    public async Task QueueRoutes_PutTheTorrentsWhereTheyAsk()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        var other = TestTorrents.SingleFile(length: 5000, name: "other.bin", announce: null);
        using (var added = await web.UploadAsync(other.TorrentBytes, start: false, Ct)) Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        async Task<int> PositionOf(string hash) => (await web.Http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{hash}", Ct))!.QueuePosition;
        var otherHash = other.Torrent.InfoHash.Hex;

        await PostAsync(http, "torrents/topPrio", ("hashes", otherHash));
        var top = await PositionOf(otherHash);
        await PostAsync(http, "torrents/bottomPrio", ("hashes", otherHash));
        var bottom = await PositionOf(otherHash);
        await PostAsync(http, "torrents/increasePrio", ("hashes", otherHash));
        var up = await PositionOf(otherHash);
        await PostAsync(http, "torrents/decreasePrio", ("hashes", otherHash));
        var down = await PositionOf(otherHash);

        Assert.Equal((0, 1, 0, 1), (top, bottom, up, down));
    }

    [Fact]
    public async Task Rename_ShowsTheNewNameInEveryApi_AndTheFilesKeepTheirs()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);

        await PostAsync(http, "torrents/rename", ("hash", web.InfoHash), ("name", "My holiday"));
        var empty = await StatusOfPostAsync(http, "torrents/rename", ("hash", web.InfoHash), ("name", " "));
        var info = Assert.Single((await GetJsonAsync(http, "torrents/info")).EnumerateArray());
        var files = await GetJsonAsync(http, $"torrents/files?hash={web.InfoHash}");
        await web.RestartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });
        using var http2 = QBittorrentApiTests.Client(web);
        await PostAsync(http2, "auth/login", ("username", "admin"), ("password", Token));

        Assert.Equal(HttpStatusCode.Conflict, empty); // qBittorrent: "Incorrect torrent name"
        Assert.Equal("My holiday", info.GetProperty("name").GetString());
        Assert.Equal("webtest/a.bin", files[0].GetProperty("name").GetString());
        Assert.Equal("My holiday", Assert.Single(await web.ListAsync(Ct)).Name); // kept across a restart
    }

    [Fact]
    public async Task RenameFileAndFolder_MoveTheDataOnDisk_AndTheCompletedTorrentStaysCompleteAfterARestart()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        await PostAsync(http, "torrents/renameFile", ("hash", web.InfoHash), ("oldPath", "webtest/a.bin"), ("newPath", "webtest/first.bin"));
        await PostAsync(http, "torrents/renameFolder", ("hash", web.InfoHash), ("oldPath", "webtest/sub"), ("newPath", "webtest/second"));
        var missing = await StatusOfPostAsync(http, "torrents/renameFile", ("hash", web.InfoHash), ("oldPath", "webtest/none.bin"), ("newPath", "webtest/x.bin"));
        var escape = await StatusOfPostAsync(http, "torrents/renameFile", ("hash", web.InfoHash), ("oldPath", "webtest/first.bin"), ("newPath", "webtest/../../x.bin"));
        var names = (await GetJsonAsync(http, $"torrents/files?hash={web.InfoHash}")).EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToArray();
        await web.RestartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });
        var row = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal(["webtest/first.bin", "webtest/second/b.bin"], names);
        Assert.Equal(web.Swarm.Built.Files[0].Data, File.ReadAllBytes(web.Downloads.Combine("webtest/first.bin")));
        Assert.Equal(web.Swarm.Built.Files[1].Data, File.ReadAllBytes(web.Downloads.Combine("webtest/second/b.bin")));
        Assert.False(File.Exists(web.Downloads.Combine("webtest/a.bin")));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest/sub")));
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (missing, escape)); // qBittorrent's answers
        Assert.Equal(("completed", row.PieceCount), (row.State, row.PiecesDone)); // found where the rename put it, not re-downloaded
    }

    [Fact]
    public async Task Reannounce_ARunningTorrent_AnnouncesAgainNow()
    {
        var (web, http) = await StartedAsync(SyntheticBehaviour.Slow);
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: true, Ct);
        DateTimeOffset? first = null;
        await Wait.UntilAsync(async () => (first = (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt) is not null, TimeSpan.FromSeconds(20), Ct);
        Assert.NotNull(first);

        await PostAsync(http, "torrents/reannounce", ("hashes", web.InfoHash));
        DateTimeOffset? again = first;
        await Wait.UntilAsync(async () => (again = (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt) != first, TimeSpan.FromSeconds(20), Ct);

        Assert.True(again > first, $"no second announce: {first} then {again}"); // the tracker's interval is 30 minutes
    }

    [Fact]
    public async Task ReannounceAndAddTrackers_OnTheSwarmEngine_KeepTheRunningTorrentsConnection()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with { Token = Token, RequireToken = true, MaxPeers = 50 });
        using var http = QBittorrentApiTests.Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        await web.AddAsync(start: true, Ct);
        DateTimeOffset? first = null;
        await Wait.UntilAsync(async () => (first = (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt) is not null, TimeSpan.FromSeconds(20), Ct);
        Assert.True(await Wait.UntilAsync(() => web.Swarm.Peers[0].ConnectionsAccepted == 1, TimeSpan.FromSeconds(20), Ct), "never connected to the seeder");

        await PostAsync(http, "torrents/reannounce", ("hashes", web.InfoHash));
        DateTimeOffset? again = first;
        await Wait.UntilAsync(async () => (again = (await web.DetailsAsync(Ct)).Trackers.Single().AnsweredAt) != first, TimeSpan.FromSeconds(20), Ct);
        await PostAsync(http, "torrents/addTrackers", ("hash", web.InfoHash), ("urls", "http://127.0.0.1:1/announce"));
        // The new list hears started from its first tier that answers (BEP 12): the first tracker again.
        var heard = 0;
        var third = again;
        await Wait.UntilAsync(async () =>
        {
            var details = (await web.DetailsAsync(Ct)).Trackers;
            (heard, third) = (details.Count, details[0].AnsweredAt);
            return heard == 2 && third > again;
        }, TimeSpan.FromSeconds(20), Ct);

        Assert.True(again > first, $"no second announce: {first} then {again}");
        Assert.Equal(2, heard);
        Assert.True(third > again, $"the list with a tracker added was not announced to: {again} then {third}");
        Assert.Equal(1, web.Swarm.Peers[0].ConnectionsAccepted); // no second handshake: the connection was kept
        Assert.Equal("downloading", Assert.Single(await web.ListAsync(Ct)).State);
    }

    [Fact]
    public async Task PiecesHashesWebSeedsAndExport_AreTheTorrents()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        var torrent = web.Swarm.Built.Torrent;

        var states = (await GetJsonAsync(http, $"torrents/pieceStates?hash={web.InfoHash}")).EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var hashes = (await GetJsonAsync(http, $"torrents/pieceHashes?hash={web.InfoHash}")).EnumerateArray().Select(s => s.GetString()!).ToArray();
        var seeds = await GetJsonAsync(http, $"torrents/webseeds?hash={web.InfoHash}");
        var exported = await http.GetByteArrayAsync($"/api/v2/torrents/export?hash={web.InfoHash}", Ct);

        Assert.Equal(Enumerable.Repeat(0, torrent.PieceCount), states); // nothing downloaded yet
        Assert.Equal(Enumerable.Range(0, torrent.PieceCount).Select(i => Convert.ToHexStringLower(torrent.GetPieceHash(i))), hashes);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(web.Swarm.Built.Payload.AsSpan(0, torrent.PieceLength))), hashes[0]);
        Assert.Empty(seeds.EnumerateArray()); // the test torrent has none
        Assert.Equal(web.Swarm.Built.TorrentBytes, exported);
    }

    [Fact]
    public async Task PerTorrentSwitches_AreAppliedOrRefused()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        var hash = web.InfoHash;

        await PostAsync(http, "torrents/setDownloadLimit", ("hashes", hash), ("limit", "30000"));
        var limits = await GetJsonAsync(http, $"torrents/downloadLimit?hashes={hash}");
        await PostAsync(http, "torrents/toggleSequentialDownload", ("hashes", hash));
        await PostAsync(http, "torrents/setShareLimits", ("hashes", hash), ("ratioLimit", "2.5"), ("seedingTimeLimit", "-1"));
        var info = Assert.Single((await GetJsonAsync(http, "torrents/info")).EnumerateArray());
        var noLimits = await StatusOfPostAsync(http, "torrents/setShareLimits", ("hashes", hash), ("ratioLimit", "2"));
        var autoOn = await StatusOfPostAsync(http, "torrents/setAutoManagement", ("hashes", hash), ("enable", "true"));
        var autoOff = await StatusOfPostAsync(http, "torrents/setAutoManagement", ("hashes", hash), ("enable", "false"));
        await PostAsync(http, "torrents/addPeers", ("hashes", hash), ("peers", "127.0.0.1:6999|127.0.0.2:7000"));
        var badPeer = await StatusOfPostAsync(http, "torrents/addPeers", ("hashes", hash), ("peers", "nowhere"));
        var details = await web.DetailsAsync(Ct);

        Assert.Equal(30000, limits.GetProperty(hash).GetInt64());
        Assert.True(info.GetProperty("seq_dl").GetBoolean());
        Assert.Equal(2.5, info.GetProperty("ratio_limit").GetDouble());
        Assert.Equal(-1, info.GetProperty("seeding_time_limit").GetInt64());
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.OK, HttpStatusCode.BadRequest), (noLimits, autoOn, autoOff, badPeer));
        Assert.Equal(["127.0.0.1:6999", "127.0.0.2:7000"], details.GivenPeers);
    }

    [Fact]
    public async Task SetSuperSeeding_TurnsItOnAndOff_KeptOverARestart_AndRefusesAnythingButTrueOrFalse()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        var hash = web.InfoHash;
        static async Task<bool> SuperSeedingAsync(HttpClient http) =>
            Assert.Single((await GetJsonAsync(http, "torrents/info")).EnumerateArray()).GetProperty("super_seeding").GetBoolean();

        var before = await SuperSeedingAsync(http);
        await PostAsync(http, "torrents/setSuperSeeding", ("hashes", hash), ("value", "true"));
        var on = await SuperSeedingAsync(http);
        var refused = await StatusOfPostAsync(http, "torrents/setSuperSeeding", ("hashes", hash), ("value", "yes"));
        await web.RestartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });
        using var again = QBittorrentApiTests.Client(web); // the restarted server listens on another port
        await PostAsync(again, "auth/login", ("username", "admin"), ("password", Token));
        var afterRestart = await SuperSeedingAsync(again);
        await PostAsync(again, "torrents/setSuperSeeding", ("hashes", hash), ("value", "false"));
        var off = await SuperSeedingAsync(again);

        Assert.Equal((false, true, true, false), (before, on, afterRestart, off));
        Assert.Equal(HttpStatusCode.BadRequest, refused);
    }

    [Fact]
    public async Task Categories_EditedAndRemoved_AsQBittorrentAnswers()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);
        await PostAsync(http, "torrents/createCategory", ("category", "films"));
        await PostAsync(http, "torrents/setCategory", ("hashes", web.InfoHash), ("category", "films"));

        var edited = await StatusOfPostAsync(http, "torrents/editCategory", ("category", "films"), ("savePath", web.Downloads.Path));
        var elsewhere = await StatusOfPostAsync(http, "torrents/editCategory", ("category", "films"), ("savePath", "/srv/films"));
        var unknown = await StatusOfPostAsync(http, "torrents/editCategory", ("category", "music"), ("savePath", ""));
        await PostAsync(http, "torrents/removeCategories", ("categories", "films\nnone-such"));
        var categories = await GetJsonAsync(http, "torrents/categories");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.Conflict), (edited, elsewhere, unknown));
        Assert.Empty(categories.EnumerateObject());
        Assert.Null(Assert.Single(await web.ListAsync(Ct)).Category);
    }

    [Fact]
    public async Task SpeedLimitsMode_TogglesTheAlternativeLimits_TheTransmissionTurtle()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;

        var before = await http.GetStringAsync("/api/v2/transfer/speedLimitsMode", Ct);
        await PostAsync(http, "transfer/toggleSpeedLimitsMode");
        var on = await http.GetStringAsync("/api/v2/transfer/speedLimitsMode", Ct);
        var alt = await web.Http.GetFromJsonAsync<AltSpeedSettings>("/api/limits/alternative", Ct);
        var inForce = web.Server.Torrents.Limits.Download.BytesPerSecond;
        var maindata = await GetJsonAsync(http, "sync/maindata");
        await PostAsync(http, "transfer/setSpeedLimitsMode", ("mode", "0"));
        var off = await http.GetStringAsync("/api/v2/transfer/speedLimitsMode", Ct);

        Assert.Equal(("0", "1", "0"), (before, on, off));
        Assert.True(alt!.Enabled);
        Assert.Equal(AltSpeedSettings.DefaultRate, inForce); // Transmission's 50 kB/s, not unlimited
        Assert.True(maindata.GetProperty("server_state").GetProperty("use_alt_speed_limits").GetBoolean());
    }

    [Fact]
    public async Task Filters_StalledUploadingAndMoving_ListOnlyTheirTorrents_AndAnUnknownFilterIsRefused()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await web.AddAsync(start: false, Ct);

        var stalledUp = await GetJsonAsync(http, "torrents/info?filter=stalled_uploading");
        var moving = await GetJsonAsync(http, "torrents/info?filter=moving");
        var paused = await GetJsonAsync(http, "torrents/info?filter=paused");
        using var unknown = await http.GetAsync("/api/v2/torrents/info?filter=sideways", Ct);

        Assert.Empty(stalledUp.EnumerateArray());
        Assert.Empty(moving.EnumerateArray());
        Assert.Single(paused.EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task ServerState_GivesNumbersWhereQBittorrentDoes()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;

        var state = (await GetJsonAsync(http, "sync/maindata")).GetProperty("server_state");

        Assert.Equal(JsonValueKind.Number, state.GetProperty("free_space_on_disk").ValueKind);
        Assert.True(state.GetProperty("free_space_on_disk").GetInt64() > 0);
        Assert.Equal(JsonValueKind.String, state.GetProperty("global_ratio").ValueKind);
        Assert.Equal(JsonValueKind.Number, state.GetProperty("total_peer_connections").ValueKind);
    }
}
