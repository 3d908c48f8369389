using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.QBittorrent;

/// <summary>The qBittorrent WebUI API subset under /api/v2 over real HTTP: the login cookie, and each route's effect
/// checked through TorrentLab's own REST API.</summary>
public class QBittorrentApiTests
{
    internal const string Token = "qb-token";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Task<WebTestServer> StartAsync() =>
        WebTestServer.StartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });

    /// <summary>A client with a cookie jar, as qBittorrent clients keep the SID cookie.</summary>
    internal static HttpClient Client(WebTestServer web) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = web.Http.BaseAddress };

    internal static async Task<string> PostAsync(HttpClient http, string route, params (string Key, string Value)[] form)
    {
        using var response = await http.PostAsync("/api/v2/" + route, new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Key, f.Value))), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{route}: {(int)response.StatusCode} {text}");
        return text;
    }

    [Fact]
    public async Task Login_WithTheTokenAsPassword_SetsACookieThatOpensTheApi()
    {
        await using var web = await StartAsync();
        using var http = Client(web);

        using var before = await http.GetAsync("/api/v2/app/version", Ct);
        var refused = await PostAsync(http, "auth/login", ("username", "admin"), ("password", "guess"));
        using var stillClosed = await http.GetAsync("/api/v2/app/version", Ct);
        var accepted = await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        var version = await http.GetStringAsync("/api/v2/app/version", Ct);
        var api = await http.GetStringAsync("/api/v2/app/webapiVersion", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        Assert.Equal("Fails.", refused);
        Assert.Equal(HttpStatusCode.Forbidden, stillClosed.StatusCode);
        Assert.Equal("Ok.", accepted);
        Assert.StartsWith("v4.", version, StringComparison.Ordinal);
        Assert.Equal("2.9.3", api);
    }

    [Fact]
    public async Task Api_FromAnotherSitesPage_IsRefusedBeforeTheLogin()
    {
        await using var web = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/auth/login")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("username", "a"), KeyValuePair.Create("password", Token)]),
        };
        request.Headers.Add("Origin", "http://attacker.example");

        using var response = await web.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task AddFilePaused_InCategory_ListsInInfoAndTheRestApi()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        await PostAsync(http, "torrents/createCategory", ("category", "linux"), ("savePath", ""));
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(web.Swarm.Built.TorrentBytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
        form.Add(file, "torrents", "webtest.torrent");
        form.Add(new StringContent("true"), "paused");
        form.Add(new StringContent("linux"), "category");

        using var added = await http.PostAsync("/api/v2/torrents/add", form, Ct);
        var info = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info?category=linux", Ct)).RootElement;
        var categories = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/categories", Ct)).RootElement;
        var row = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal("Ok.", await added.Content.ReadAsStringAsync(Ct));
        Assert.Equal("paused", row.State);
        var torrent = Assert.Single(info.EnumerateArray());
        Assert.Equal(web.InfoHash, torrent.GetProperty("hash").GetString());
        Assert.Equal("pausedDL", torrent.GetProperty("state").GetString());
        Assert.Equal("linux", torrent.GetProperty("category").GetString());
        Assert.Equal(web.Downloads.Path, torrent.GetProperty("save_path").GetString());
        Assert.Equal("linux", categories.GetProperty("linux").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Add_InACategoryNotCreatedYet_CreatesItAsQBittorrentDoes()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(web.Swarm.Built.TorrentBytes), "torrents", "webtest.torrent");
        form.Add(new StringContent("true"), "paused");
        form.Add(new StringContent("new-one"), "category");
        using var added = await http.PostAsync("/api/v2/torrents/add", form, Ct);

        var categories = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/categories", Ct)).RootElement;
        var info = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info", Ct)).RootElement;

        Assert.Equal("Ok.", await added.Content.ReadAsStringAsync(Ct));
        Assert.Equal(["new-one"], categories.EnumerateObject().Select(c => c.Name));
        Assert.Equal("new-one", info[0].GetProperty("category").GetString());
        Assert.Equal("paused", Assert.Single(await web.ListAsync(Ct)).State);
    }

    /// <summary>One torrents/add request with these .torrent files (and form fields), as qBittorrent clients send many.</summary>
    private static async Task<string> AddInOneRequestAsync(HttpClient http, IEnumerable<byte[]> torrents, bool skipChecking)
    {
        (string Key, string Value)[] fields = skipChecking ? [("paused", "true"), ("skip_checking", "true")] : [("paused", "true")];
        using var form = new MultipartFormDataContent();
        var i = 0;
        foreach (var bytes in torrents) form.Add(new ByteArrayContent(bytes), "torrents", $"t{i++}.torrent");
        foreach (var (key, value) in fields) form.Add(new StringContent(value), key);
        using var added = await http.PostAsync("/api/v2/torrents/add", form, Ct);
        return await added.Content.ReadAsStringAsync(Ct);
    }

    private static string[] InfoNames(JsonElement info) => [.. info.EnumerateArray().Select(t => t.GetProperty("name").GetString()!)];

    [Fact]
    public async Task Add_ManyFilesInOneRequest_AddsEachInTheOrderGiven_TheirFilesChecked()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        string[] names = ["m5", "m0", "m7", "m2", "m6", "m1", "m4", "m3"];
        var built = names.Select((n, i) => TestTorrents.SingleFile(length: 3000 + i, name: n, seed: 40 + i)).ToList();
        foreach (var b in built) b.WritePayload(web.Downloads.Path); // present at full size: skip_checking takes them as complete

        var answer = await AddInOneRequestAsync(http, built.Select(b => b.TorrentBytes), skipChecking: true);
        var info = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info?sort=added_on", Ct)).RootElement;

        Assert.Equal("Ok.", answer);
        Assert.Equal(names, InfoNames(info)); // the order they were given, not the order their checks ended
        Assert.All(info.EnumerateArray(), t => Assert.Equal(1.0, t.GetProperty("progress").GetDouble()));
    }

    [Fact]
    public async Task Add_OneWhoseCheckFailsAmongOthers_TheOthersAreAdded_AndItsPlaceIsFreeAgain()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        string[] names = ["f0", "f1", "f2", "f3"];
        var built = names.Select((n, i) => TestTorrents.SingleFile(length: 3000 + i, name: n, seed: 70 + i)).ToList();
        foreach (var b in built.Where(b => b.Torrent.Name != "f1")) b.WritePayload(web.Downloads.Path);
        File.WriteAllText(web.Downloads.Combine("f1"), "not its data"); // short, so hashed, and not this torrent's: its check fails

        var answer = await AddInOneRequestAsync(http, built.Select(b => b.TorrentBytes), skipChecking: true);
        var info = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info?sort=added_on", Ct)).RootElement;

        Assert.Equal("Fails.", answer);
        Assert.Equal(["f0", "f2", "f3"], InfoNames(info));
        built[1].WritePayload(web.Downloads.Path);
        Assert.Equal("Ok.", await AddInOneRequestAsync(http, [built[1].TorrentBytes], skipChecking: true)); // its place was given back
        Assert.Equal(4, (await web.ListAsync(Ct)).Count());
    }

    [Fact]
    public async Task Add_TwoTorrentsOfOneNameInOneRequest_AddsTheFirstOnly_AndKeepsNoCopyOfTheOther()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        var first = TestTorrents.SingleFile(length: 4000, name: "same", seed: 61);
        var second = TestTorrents.SingleFile(length: 4000, name: "same", seed: 62); // other bytes: another info hash, the same place
        first.WritePayload(web.Downloads.Path);

        var answer = await AddInOneRequestAsync(http, [first.TorrentBytes, second.TorrentBytes], skipChecking: true);
        var row = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal("Fails.", answer);
        Assert.Equal(first.Torrent.InfoHash.Hex, row.InfoHash);
        Assert.Equal([first.Torrent.InfoHash.Hex + ".torrent"],
            Directory.GetFiles(web.Downloads.Combine(".torrentlab", "web"), "*.torrent").Select(Path.GetFileName));
        Assert.Equal(first.Payload, await File.ReadAllBytesAsync(web.Downloads.Combine("same"), Ct)); // its data untouched
    }

    [Fact]
    public async Task Add_TheSameTorrentTwiceInOneRequest_AddsItOnce()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));

        var answer = await AddInOneRequestAsync(http, [web.Swarm.Built.TorrentBytes, web.Swarm.Built.TorrentBytes], skipChecking: false);

        Assert.Equal("Ok.", answer);
        Assert.Equal(web.InfoHash, Assert.Single(await web.ListAsync(Ct)).InfoHash);
    }

    [Fact]
    public async Task AddWithAnotherSavePath_IsRefusedAndAddsNothing()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(web.Swarm.Built.TorrentBytes), "torrents", "webtest.torrent");
        form.Add(new StringContent("/srv/elsewhere"), "savepath");

        using var response = await http.PostAsync("/api/v2/torrents/add", form, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("downloads folder", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task ResumePauseFilePrioRecheckDelete_ActAsTheRestApiShows()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        await web.AddAsync(start: false, Ct);

        await PostAsync(http, "torrents/filePrio", ("hash", web.InfoHash), ("id", "1"), ("priority", "0"));
        var files = JsonDocument.Parse(await http.GetStringAsync($"/api/v2/torrents/files?hash={web.InfoHash}", Ct)).RootElement;
        await PostAsync(http, "torrents/resume", ("hashes", web.InfoHash));
        await web.WaitForAsync(t => t.State == "completed", Ct);
        await PostAsync(http, "torrents/pause", ("hashes", "all"));
        await PostAsync(http, "torrents/recheck", ("hashes", web.InfoHash));
        var rechecked = Assert.Single(await web.ListAsync(Ct));
        var properties = JsonDocument.Parse(await http.GetStringAsync($"/api/v2/torrents/properties?hash={web.InfoHash}", Ct)).RootElement;
        await PostAsync(http, "torrents/delete", ("hashes", web.InfoHash), ("deleteFiles", "true"));

        Assert.Equal("[1,0]", $"[{string.Join(',', files.EnumerateArray().Select(f => f.GetProperty("priority").GetInt32()))}]");
        Assert.Equal("completed", rechecked.State); // the wanted file was verified; the recheck does not start it again
        Assert.Equal(rechecked.PiecesDone, properties.GetProperty("pieces_have").GetInt32());
        Assert.Empty(await web.ListAsync(Ct));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest")));
    }

    [Fact]
    public async Task TransferLimitsAndMainData_ReadAndChangeTheServersFigures()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        await web.AddAsync(start: false, Ct);

        await PostAsync(http, "transfer/setDownloadLimit", ("limit", "300000"));
        await PostAsync(http, "torrents/setUploadLimit", ("hashes", web.InfoHash), ("limit", "7000"));
        var transfer = JsonDocument.Parse(await http.GetStringAsync("/api/v2/transfer/info", Ct)).RootElement;
        var main = JsonDocument.Parse(await http.GetStringAsync("/api/v2/sync/maindata?rid=0", Ct)).RootElement;
        var global = await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct);
        var own = await web.Http.GetFromJsonAsync<RateLimitSettings>($"/api/torrents/{web.InfoHash}/limits", Ct);

        Assert.Equal(300_000, global!.DownloadRate);
        Assert.Equal(7_000, own!.UploadRate);
        Assert.Equal(300_000, transfer.GetProperty("dl_rate_limit").GetInt64());
        Assert.True(main.GetProperty("full_update").GetBoolean());
        Assert.Equal("webtest", main.GetProperty("torrents").GetProperty(web.InfoHash).GetProperty("name").GetString());
        Assert.Equal(7_000, main.GetProperty("torrents").GetProperty(web.InfoHash).GetProperty("up_limit").GetInt64());
    }

    [Fact]
    public async Task Categories_SurviveARestartWithTheTorrentsCategory()
    {
        await using var web = await StartAsync();
        using (var http = Client(web))
        {
            await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
            await web.AddAsync(start: false, Ct);
            await PostAsync(http, "torrents/createCategory", ("category", "films"));
            await PostAsync(http, "torrents/createCategory", ("category", "unused"));
            await PostAsync(http, "torrents/setCategory", ("hashes", web.InfoHash), ("category", "films"));
        }

        await web.RestartAsync(Ct, configure: o => o with { Token = Token, RequireToken = true });
        using var again = Client(web);
        await PostAsync(again, "auth/login", ("username", "admin"), ("password", Token));
        var categories = JsonDocument.Parse(await again.GetStringAsync("/api/v2/torrents/categories", Ct)).RootElement;
        var info = JsonDocument.Parse(await again.GetStringAsync("/api/v2/torrents/info", Ct)).RootElement;

        Assert.Equal(["films", "unused"], categories.EnumerateObject().Select(c => c.Name));
        Assert.Equal("films", info[0].GetProperty("category").GetString());
    }

    [Fact]
    public async Task SetCategory_NotCreated_Is409AndChangesNothing()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        await web.AddAsync(start: false, Ct);

        using var response = await http.PostAsync("/api/v2/torrents/setCategory",
            new FormUrlEncodedContent([KeyValuePair.Create("hashes", web.InfoHash), KeyValuePair.Create("category", "nope")]), Ct);
        var info = JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info", Ct)).RootElement;

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("", info[0].GetProperty("category").GetString());
    }

    [Fact]
    public async Task UnknownRouteOrTorrent_AnswersQBittorrentsStatusesNot500()
    {
        await using var web = await StartAsync();
        using var http = Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));

        using var route = await http.GetAsync("/api/v2/torrents/setForceStart", Ct);
        using var torrent = await http.GetAsync($"/api/v2/torrents/properties?hash={new string('a', 40)}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, route.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, torrent.StatusCode);
    }
    /// <summary>The torrent's files with their real bytes, in the downloads folder: a torrent added over them holds
    /// its data without downloading it.</summary>
    internal static void PlaceItsData(WebTestServer web)
    {
        foreach (var file in web.Swarm.Built.Files)
        {
            var path = web.Downloads.Combine(file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Data);
        }
    }

    [Fact]
    public async Task Info_ATorrentAddedWithItsData_NeverRun_DownloadedNothing_AndSawNoCompleteCopy()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        PlaceItsData(web);
        using (var added = await web.UploadAsync(web.Swarm.Built.TorrentBytes, "start=false&skipChecking=true", Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var row = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))[0];
        var properties = await web.Http.GetFromJsonAsync<JsonElement>($"/api/v2/torrents/properties?hash={web.InfoHash}", Ct);

        // As qbittorrent-nox 4.5.2 answers for a torrent added paused with its data (skip_checking) that never ran:
        // it holds every byte (completed) but downloaded none, and no peer with a complete copy was ever seen.
        Assert.Equal(web.Swarm.Built.Torrent.PayloadLength, row.GetProperty("completed").GetInt64());
        Assert.Equal(0, row.GetProperty("downloaded").GetInt64());
        Assert.Equal(0, row.GetProperty("downloaded_session").GetInt64());
        Assert.Equal(0, row.GetProperty("seen_complete").GetInt64());
        Assert.Equal(0, properties.GetProperty("total_downloaded").GetInt64());
        Assert.Equal(0, properties.GetProperty("total_downloaded_session").GetInt64());
        Assert.Equal(-1, properties.GetProperty("last_seen").GetInt64());
    }

    [Fact]
    public async Task Properties_ATorrentWithoutACreationDate_Answers0AsQBittorrent()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var torrent = TestTorrents.SingleFile(16 * 1024, name: "dated.bin");
        Assert.Null(torrent.Torrent.CreationDate); // the fixture's .torrent has no "creation date"
        using (var added = await web.UploadAsync(torrent.TorrentBytes, "start=false", Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var properties = await web.Http.GetFromJsonAsync<JsonElement>($"/api/v2/torrents/properties?hash={torrent.Torrent.InfoHash.Hex}", Ct);

        Assert.Equal(0, properties.GetProperty("creation_date").GetInt64()); // qbittorrent-nox 4.5.2: 0, not -1
    }

    [Fact]
    public async Task Info_ATorrentDownloadedFromASeed_CountsTheBytesItDownloaded_OverARestart()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        var payload = web.Swarm.Built.Torrent.PayloadLength;

        var row = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))[0];
        Assert.Equal(payload, row.GetProperty("downloaded").GetInt64());
        Assert.Equal(payload, row.GetProperty("downloaded_session").GetInt64());
        var state = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/sync/maindata", Ct)).GetProperty("server_state");
        Assert.Equal(payload, state.GetProperty("alltime_dl").GetInt64());
        Assert.Equal(payload, state.GetProperty("dl_info_data").GetInt64());

        await web.RestartAsync(Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        // Downloaded in an earlier run: still downloaded, but not in this session (qBittorrent's all-time and session totals).
        row = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))[0];
        var properties = await web.Http.GetFromJsonAsync<JsonElement>($"/api/v2/torrents/properties?hash={web.InfoHash}", Ct);
        state = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/sync/maindata", Ct)).GetProperty("server_state");
        Assert.Equal(payload, row.GetProperty("downloaded").GetInt64());
        Assert.Equal(0, row.GetProperty("downloaded_session").GetInt64());
        Assert.Equal(payload, properties.GetProperty("total_downloaded").GetInt64());
        Assert.Equal(0, properties.GetProperty("total_downloaded_session").GetInt64());
        Assert.Equal(payload, state.GetProperty("alltime_dl").GetInt64());
        Assert.Equal(0, state.GetProperty("dl_info_data").GetInt64());
    }

    [Fact]
    public async Task Info_WhileASeedIsConnected_SeenCompleteIsWhenItWasSeen()
    {
        // A seed that announces every piece and never unchokes: connected for as long as the test looks.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.NeverUnchokes, configure: WebTestServer.SwarmEngine);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await web.AddAsync(start: false, Ct);
        await web.DetailsAsync(Ct); // looked at before it runs: its peer table notes each peer's bitfield from the first
        using (var started = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct))
            Assert.Equal(HttpStatusCode.OK, started.StatusCode);

        JsonElement row = default;
        Assert.True(await Wait.UntilAsync(async () =>
        {
            row = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))[0];
            return row.GetProperty("num_seeds").GetInt64() > 0;
        }, TimeSpan.FromSeconds(60), Ct), $"the seed was never listed among the torrent's peers: {row} {await web.Http.GetStringAsync($"/api/torrents/{web.InfoHash}", Ct)}");

        // The row that lists the seed was written when it was seen: a complete copy in the swarm, though this torrent has none.
        Assert.InRange(row.GetProperty("seen_complete").GetInt64(), before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(0, row.GetProperty("downloaded").GetInt64());
    }
    [Fact]
    public async Task Info_AMagnetLink_IsWrittenWithItsAmpersands_AsQBittorrentWritesIt()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        var raw = await web.Http.GetStringAsync("/api/v2/torrents/info", Ct);

        // System.Text.Json escapes '&' as \u0026 by default: six bytes where qbittorrent-nox writes one, in every row.
        Assert.Contains($"\"magnet_uri\":\"magnet:?xt=urn:btih:{web.InfoHash}&dn=", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0026", raw, StringComparison.Ordinal);
        var row = JsonDocument.Parse(raw).RootElement[0];
        Assert.Equal(web.Swarm.Built.Torrent.MagnetLink, row.GetProperty("magnet_uri").GetString()); // still the same link
    }
}
