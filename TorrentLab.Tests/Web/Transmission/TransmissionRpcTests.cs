using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>The Transmission RPC at /transmission/rpc over real HTTP: the handshake and the credentials, and each
/// method's effect checked through TorrentLab's own REST API.</summary>
public class TransmissionRpcTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_WithoutSessionId_Answers409WithTheIdThatTheNextRequestMayUse()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var first = await web.Http.PostAsync("/transmission/rpc", Json("""{"method": "session-get"}"""), Ct);
        var id = first.Headers.GetValues("X-Transmission-Session-Id").Single();
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = Json("""{"method": "session-get"}""") };
        wrong.Headers.Add("X-Transmission-Session-Id", "not-the-id");
        using var refused = await web.Http.SendAsync(wrong, Ct);
        using var right = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = Json("""{"method": "session-get", "tag": 42}""") };
        right.Headers.Add("X-Transmission-Session-Id", id);
        using var answered = await web.Http.SendAsync(right, Ct);
        var body = System.Text.Json.JsonDocument.Parse(await answered.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.Conflict, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("success", body.GetProperty("result").GetString());
        Assert.Equal(42, body.GetProperty("tag").GetInt32());
        Assert.Equal(17, body.GetProperty("arguments").GetProperty("rpc-version").GetInt32());
        Assert.Equal(web.Downloads.Path, body.GetProperty("arguments").GetProperty("download-dir").GetString());
    }

    [Fact]
    public async Task Request_WithATokenServer_NeedsTheTokenAsBasicPasswordOrBearer()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Token = "sekrit-token", RequireToken = true });
        using var anonymous = new HttpClient { BaseAddress = web.Http.BaseAddress };

        using var none = await anonymous.PostAsync("/transmission/rpc", Json("{}"), Ct);
        var wrong = await StatusWithAsync(anonymous, new AuthenticationHeaderValue("Basic", Basic("admin:guess")));
        var basic = await StatusWithAsync(anonymous, new AuthenticationHeaderValue("Basic", Basic("anyone:sekrit-token")));
        var bearer = await StatusWithAsync(anonymous, new AuthenticationHeaderValue("Bearer", "sekrit-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("Basic", none.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.Conflict, basic); // past the credentials, on to the session-id handshake
        Assert.Equal(HttpStatusCode.Conflict, bearer);
    }

    [Fact]
    public async Task Request_FromAnotherSitesPage_IsRefusedLikeTheRestOfTheApi()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = Json("""{"method": "torrent-get"}""") };
        request.Headers.Add("Origin", "http://attacker.example");
        using var rebound = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = Json("""{"method": "torrent-get"}""") };
        rebound.Headers.Host = "attacker.example";

        using var crossSite = await web.Http.SendAsync(request, Ct);
        using var rebinding = await web.Http.SendAsync(rebound, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rebinding.StatusCode);
        Assert.False(crossSite.Headers.Contains("X-Transmission-Session-Id")); // no session id handed to a foreign page
    }

    [Fact]
    public async Task TorrentAdd_Metainfo_AddsPausedAndTorrentGetAnswersTheFieldsAsked()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);

        var added = await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(web.Swarm.Built.TorrentBytes), paused = true }, Ct);
        var again = await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(web.Swarm.Built.TorrentBytes) }, Ct);
        var got = await rpc.SucceedAsync("torrent-get", new { ids = new object[] { web.InfoHash }, fields = new[] { "id", "name", "hashString", "status", "totalSize", "files", "fileStats", "downloadDir", "percentDone", "labels" } }, Ct);
        var table = await rpc.SucceedAsync("torrent-get", new { fields = new[] { "id", "name" }, format = "table" }, Ct);
        var row = Assert.Single((await web.ListAsync(Ct)));

        var torrent = Assert.Single(got.GetProperty("torrents").EnumerateArray());
        Assert.Equal(web.InfoHash, added.GetProperty("torrent-added").GetProperty("hashString").GetString());
        Assert.Equal(added.GetProperty("torrent-added").GetProperty("id").GetInt32(), again.GetProperty("torrent-duplicate").GetProperty("id").GetInt32());
        Assert.Equal("paused", row.State);
        Assert.Equal("webtest", torrent.GetProperty("name").GetString());
        Assert.Equal(0, torrent.GetProperty("status").GetInt32()); // stopped
        Assert.Equal(row.Size, torrent.GetProperty("totalSize").GetInt64());
        Assert.Equal(["webtest/a.bin", "webtest/sub/b.bin"], torrent.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.All(torrent.GetProperty("fileStats").EnumerateArray(), f => Assert.True(f.GetProperty("wanted").GetBoolean()));
        Assert.Equal(web.Downloads.Path, torrent.GetProperty("downloadDir").GetString());
        Assert.Empty(torrent.GetProperty("labels").EnumerateArray());
        Assert.Equal(10, torrent.EnumerateObject().Count()); // only the fields asked
        Assert.Equal("""[["id","name"],[1,"webtest"]]""", table.GetProperty("torrents").GetRawText());
    }

    [Fact]
    public async Task TorrentGet_DownloadedEver_CountsBytesDownloaded_NotDataTheTorrentWasAddedWith()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        var fields = new { fields = new[] { "haveValid", "downloadedEver" } };
        QBittorrent.QBittorrentApiTests.PlaceItsData(web);
        using (var added = await web.UploadAsync(web.Swarm.Built.TorrentBytes, "start=false&skipChecking=true", Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var payload = web.Swarm.Built.Torrent.PayloadLength;

        var held = (await rpc.SucceedAsync("torrent-get", fields, Ct)).GetProperty("torrents")[0];
        var stats = await rpc.SucceedAsync("session-stats", null, Ct);

        // transmission-daemon 3.00 counts downloadedEver from the wire: data a torrent was added with is had, not downloaded.
        Assert.Equal(payload, held.GetProperty("haveValid").GetInt64());
        Assert.Equal(0, held.GetProperty("downloadedEver").GetInt64());
        Assert.Equal(0, stats.GetProperty("cumulative-stats").GetProperty("downloadedBytes").GetInt64());

        await rpc.SucceedAsync("torrent-remove", new Dictionary<string, object> { ["ids"] = new[] { web.InfoHash }, ["delete-local-data"] = true }, Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        var downloaded = (await rpc.SucceedAsync("torrent-get", fields, Ct)).GetProperty("torrents")[0];
        stats = await rpc.SucceedAsync("session-stats", null, Ct);
        Assert.Equal(payload, downloaded.GetProperty("downloadedEver").GetInt64());
        Assert.Equal(payload, stats.GetProperty("current-stats").GetProperty("downloadedBytes").GetInt64());
    }

    [Fact]
    public async Task TorrentSet_FilesLimitsAndLabels_ShowInTheRestApi()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);

        await rpc.SucceedAsync("torrent-set", new Dictionary<string, object>
        {
            ["ids"] = new[] { 1 }, ["files-unwanted"] = new[] { 1 }, ["priority-high"] = new[] { 0 },
            ["downloadLimit"] = 100, ["downloadLimited"] = true, ["uploadLimited"] = false, ["labels"] = new[] { "linux" },
        }, Ct);
        var files = await web.Http.GetFromJsonAsync<FileEntry[]>($"/api/torrents/{web.InfoHash}/files", Ct);
        var limits = await web.Http.GetFromJsonAsync<RateLimitSettings>($"/api/torrents/{web.InfoHash}/limits", Ct);
        var got = await rpc.SucceedAsync("torrent-get", new { ids = 1, fields = new[] { "wanted", "priorities", "downloadLimit", "downloadLimited", "labels", "sizeWhenDone" } }, Ct);
        var torrent = got.GetProperty("torrents")[0];

        Assert.Equal(["high", "skip"], files!.Select(f => f.Priority));
        Assert.Equal(100_000, limits!.DownloadRate); // kB/s of 1000 bytes
        Assert.Equal(0, limits.UploadRate);
        Assert.Equal("[1,0]", torrent.GetProperty("wanted").GetRawText());
        Assert.Equal("[1,0]", torrent.GetProperty("priorities").GetRawText());
        Assert.Equal(100, torrent.GetProperty("downloadLimit").GetInt32());
        Assert.True(torrent.GetProperty("downloadLimited").GetBoolean());
        Assert.Equal("[\"linux\"]", torrent.GetProperty("labels").GetRawText());
        Assert.True(torrent.GetProperty("sizeWhenDone").GetInt64() < files!.Sum(f => f.Length));
    }

    [Fact]
    public async Task TorrentSet_AnUnsupportedOrBadArgument_ChangesNothingAndSaysWhy()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);

        var trackers = await rpc.FailAsync("torrent-set", new Dictionary<string, object> { ["ids"] = new[] { 1 }, ["trackerAdd"] = new[] { "http://169.254.169.254/announce" }, ["downloadLimit"] = 5 }, Ct);
        var range = await rpc.FailAsync("torrent-set", new Dictionary<string, object> { ["ids"] = new[] { 1 }, ["files-unwanted"] = new[] { 7 } }, Ct);
        var limits = await web.Http.GetFromJsonAsync<RateLimitSettings>($"/api/torrents/{web.InfoHash}/limits", Ct);

        Assert.Contains("link-local", trackers, StringComparison.Ordinal); // a cloud's metadata service is no tracker
        Assert.Contains("file 7 is out of range", range, StringComparison.Ordinal);
        Assert.Equal(0, limits!.DownloadRate);
    }

    [Theory]
    [InlineData("torrent-set-location", "downloads folder")]
    [InlineData("no-such-method", "not recognized")]
    public async Task Method_TheServerCannotDo_AnswersAResultNotAnHttpError(string method, string expected)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);

        var result = await rpc.FailAsync(method, new { ids = new[] { 1 }, path = "webtest", name = "renamed", location = "/somewhere/else" }, Ct);

        Assert.Contains(expected, result, StringComparison.Ordinal);
        Assert.Equal("webtest", Assert.Single(await web.ListAsync(Ct)).Name);
    }

    [Fact]
    public async Task StartStopVerifyRemove_ActOnTheTorrentAsTheRestApiShowsIt()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);

        await rpc.SucceedAsync("torrent-start", new { ids = new[] { 1 } }, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        await rpc.SucceedAsync("torrent-stop", new { ids = new[] { 1 } }, Ct);
        using (var file = File.OpenWrite(web.Downloads.Combine("webtest/a.bin"))) file.Write(new byte[100]); // damaged behind the server's back
        await rpc.SucceedAsync("torrent-verify", new { ids = new[] { 1 } }, Ct);
        var verified = Assert.Single(await web.ListAsync(Ct));
        await rpc.SucceedAsync("torrent-remove", new Dictionary<string, object> { ["ids"] = new[] { web.InfoHash }, ["delete-local-data"] = true }, Ct);
        var removed = await rpc.SucceedAsync("torrent-get", new { ids = "recently-active", fields = new[] { "id" } }, Ct);

        Assert.Equal("paused", verified.State); // a stopped torrent stays stopped after a verify, as in Transmission
        Assert.True(verified.PiecesDone < verified.PieceCount);
        Assert.Empty(await web.ListAsync(Ct));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest")));
        Assert.Equal("[1]", removed.GetProperty("removed").GetRawText());
    }

    [Fact]
    public async Task QueueMoveTop_PutsTheTorrentFirstInQueuePosition()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);
        var other = TestTorrents.SingleFile(length: 40_000, pieceLength: 16 * 1024, name: "other.bin", announce: null, seed: 3);
        await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(other.TorrentBytes), paused = true }, Ct);

        var before = await rpc.SucceedAsync("torrent-get", new { fields = new[] { "id", "queuePosition" } }, Ct);
        await rpc.SucceedAsync("queue-move-top", new { ids = new[] { 2 } }, Ct);
        var after = await rpc.SucceedAsync("torrent-get", new { fields = new[] { "id", "queuePosition" } }, Ct);

        Assert.Equal("""[{"id":1,"queuePosition":0},{"id":2,"queuePosition":1}]""", before.GetProperty("torrents").GetRawText());
        Assert.Equal("""[{"id":1,"queuePosition":1},{"id":2,"queuePosition":0}]""", after.GetProperty("torrents").GetRawText());
    }

    [Fact]
    public async Task SessionSet_GlobalLimitsAndQueueSize_ShowInTheRestApi()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);

        await rpc.SucceedAsync("session-set", new Dictionary<string, object>
        {
            ["speed-limit-down"] = 250, ["speed-limit-down-enabled"] = true, ["speed-limit-up"] = 9, ["speed-limit-up-enabled"] = false,
            ["download-queue-size"] = 3,
        }, Ct);
        var refused = await rpc.FailAsync("session-set", new Dictionary<string, object> { ["download-dir"] = "/elsewhere" }, Ct);
        var limits = await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct);
        var settings = await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct);
        var session = await rpc.SucceedAsync("session-get", new { fields = new[] { "speed-limit-down", "speed-limit-down-enabled", "download-queue-size" } }, Ct);

        Assert.Equal(250_000, limits!.DownloadRate);
        Assert.Equal(0, limits.UploadRate);
        Assert.Equal(3, settings!.MaxActiveDownloads);
        Assert.Contains("downloads folder", refused, StringComparison.Ordinal);
        Assert.Equal("""{"speed-limit-down":250,"speed-limit-down-enabled":true,"download-queue-size":3}""", session.GetRawText());
    }

    [Fact]
    public async Task FreeSpaceAndPortTest_AnswerForTheDownloadsFolderAndTheLoopbackPeerPort()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);

        var space = await rpc.SucceedAsync("free-space", new { path = web.Downloads.Path }, Ct);
        var elsewhere = await rpc.FailAsync("free-space", new { path = "/" }, Ct);
        var port = await rpc.SucceedAsync("port-test", null, Ct);

        Assert.True(space.GetProperty("size-bytes").GetInt64() > 0);
        Assert.Contains("downloads folder", elsewhere, StringComparison.Ordinal);
        Assert.True(port.GetProperty("port-is-open").GetBoolean()); // the session listens on its peer port
    }

    [Fact]
    public async Task Request_NotJson_AnswersAResultNotAnHttpError()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var first = await web.Http.PostAsync("/transmission/rpc", Json("{}"), Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = Json("{\"method\": ") };
        request.Headers.Add("X-Transmission-Session-Id", first.Headers.GetValues("X-Transmission-Session-Id").Single());

        using var response = await web.Http.SendAsync(request, Ct);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("the request is not JSON", body.GetProperty("result").GetString(), StringComparison.Ordinal);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static string Basic(string pair) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));

    private static async Task<HttpStatusCode> StatusWithAsync(HttpClient http, AuthenticationHeaderValue auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = Json("{}") };
        request.Headers.Authorization = auth;
        using var response = await http.SendAsync(request, Ct);
        return response.StatusCode;
    }
}
