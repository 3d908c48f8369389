using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.QBittorrent;
using TorrentLab.Tests.Web.Transmission;
using TorrentLab.Web;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace TorrentLab.Tests.Web;

/// <summary>The server's blocklist through its three APIs: qBittorrent's IP filter preferences, Transmission's
/// blocklist-update and blocklist-* session keys, and the REST settings; kept across a restart from its copy.</summary>
[Trait("Tier", "Slow")]
public class BlocklistApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly IPAddress Five = IPAddress.Parse("127.0.0.5");
    private static readonly IPAddress Six = IPAddress.Parse("127.0.0.6");

    private static byte[] Gzip(string text)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Encoding.ASCII.GetBytes(text));
        return packed.ToArray();
    }

    [Fact]
    public async Task QBittorrentIpFilter_PathAndEnabled_PutTheListInForce_ShowInPreferences_AndOffEmptiesIt()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var file = web.Downloads.Combine("filter.dat");
        await File.WriteAllTextAsync(file, "001.002.003.004 - 001.002.003.004 , 000 , one\n127.000.000.005 - 127.000.000.005 , 000 , five\nnot a range\n", Ct);

        await QBittorrentApiTests.PostAsync(web.Http, "app/setPreferences", ("json", JsonSerializer.Serialize(new { ip_filter_enabled = true, ip_filter_path = file })));
        var preferences = await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/app/preferences", Ct);

        Assert.True(preferences.GetProperty("ip_filter_enabled").GetBoolean());
        Assert.Equal(file, preferences.GetProperty("ip_filter_path").GetString());
        Assert.False(preferences.GetProperty("ip_filter_trackers").GetBoolean());
        Assert.True(web.Server.Torrents.Session.Settings.Blocklist!.Contains(Five));   // the session's own list
        Assert.False(web.Server.Torrents.Session.Settings.Blocklist!.Contains(Six));

        await QBittorrentApiTests.PostAsync(web.Http, "app/setPreferences", ("json", """{"ip_filter_enabled": false}"""));

        Assert.False(web.Server.Torrents.Session.Settings.Blocklist!.Contains(Five));
        Assert.False((await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/app/preferences", Ct)).GetProperty("ip_filter_enabled").GetBoolean());
    }

    [Theory]
    [InlineData("""{"ip_filter_trackers": true}""")]                       // the list applies to peers only
    [InlineData("""{"ip_filter_enabled": true, "web_ui_port": 1}""")]      // a preference TorrentLab does not apply
    [InlineData("""{"ip_filter_path": "relative/filter.dat", "ip_filter_enabled": true}""")]
    [InlineData("""{"ip_filter_path": "ftp://lists.example/filter.dat"}""")]
    [InlineData("""{"ip_filter_path": "NOTALIST", "ip_filter_enabled": true}""")]  // a file that is no blocklist
    [InlineData("""{"ip_filter_path": "MISSING", "ip_filter_enabled": true}""")]
    [InlineData("""{"ip_filter_enabled": true}""")]                        // on, with no list named
    [InlineData("""not json""")]
    public async Task QBittorrentIpFilter_ValuesItCannotHonour_AreRefusedAndNothingChanges(string json)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var notAList = web.Downloads.Combine("page.html");
        await File.WriteAllTextAsync(notAList, "<html>\n<body>moved</body>\n</html>\n", Ct);
        json = json.Replace("NOTALIST", notAList, StringComparison.Ordinal).Replace("MISSING", web.Downloads.Combine("missing.p2p"), StringComparison.Ordinal);
        var before = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/app/preferences", Ct)).GetRawText();

        using var response = await web.Http.PostAsync("/api/v2/app/setPreferences", new FormUrlEncodedContent([KeyValuePair.Create("json", json)]), Ct);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.BadGateway, $"{json}: {response.StatusCode}");
        Assert.Equal(before, (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/app/preferences", Ct)).GetRawText());
        Assert.Equal(0, web.Server.Torrents.Blocklist.List.RangeCount);
    }

    [Fact]
    public async Task TransmissionBlocklistUpdate_ReadsTheUrlAgain_GzipToo_AndAnswersItsSize()
    {
        await using var lists = await LoopbackHttpServer.StartAsync(Ct);
        var url = lists.Put("/level1.gz", Gzip("five:127.0.0.5-127.0.0.5\n"));
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);

        await rpc.SucceedAsync("session-set", new Dictionary<string, object> { ["blocklist-url"] = url, ["blocklist-enabled"] = true }, Ct);
        var session = await rpc.SucceedAsync("session-get", new { fields = new[] { "blocklist-url", "blocklist-enabled", "blocklist-size" } }, Ct);
        Assert.Equal($$"""{"blocklist-enabled":true,"blocklist-size":1,"blocklist-url":"{{url}}"}""", session.GetRawText());
        Assert.False(web.Server.Torrents.Blocklist.List.Contains(Six));

        lists.Put("/level1.gz", Gzip("five and six:127.0.0.5-127.0.0.6\n# the list grew\nv6:2001:db8::-2001:db8::ff\n"));
        var updated = await rpc.SucceedAsync("blocklist-update", new { }, Ct);

        Assert.Equal(2, updated.GetProperty("blocklist-size").GetInt32());
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(Six));
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(IPAddress.Parse("2001:db8::7")));
        Assert.Equal(2, lists.Requests("/level1.gz")); // read when set, and at the update
    }

    [Fact]
    public async Task TransmissionBlocklistUpdate_WithoutAList_OrFromAUrlAnsweringAPage_IsRefusedAndTheListInForceStays()
    {
        await using var lists = await LoopbackHttpServer.StartAsync(Ct);
        var url = lists.Put("/list.p2p", "five:127.0.0.5-127.0.0.5\n"u8.ToArray());
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        Assert.Contains("no blocklist", await rpc.FailAsync("blocklist-update", new { }, Ct));
        await rpc.SucceedAsync("session-set", new Dictionary<string, object> { ["blocklist-url"] = url, ["blocklist-enabled"] = true }, Ct);

        lists.Put("/list.p2p", "<html><body>Service unavailable</body></html>\n"u8.ToArray(), "text/html");
        var why = await rpc.FailAsync("blocklist-update", new { }, Ct);

        Assert.Contains("not a blocklist", why);
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(Five));
    }

    [Theory]
    [InlineData("status 503", "HTTP 503 Service Unavailable")]
    [InlineData("half a gzip and random bytes", "damaged gzip data")] // WireMock's MALFORMED_RESPONSE_CHUNK
    public async Task TransmissionBlocklistUpdate_FromAUrlThatFails_IsRefusedSayingWhy_AndTheListInForceStays(string answer, string expected)
    {
        using var lists = StubHttp.Start();
        var mapping = Guid.NewGuid(); // one mapping, its answer replaced: the good list first, then the failure
        var good = Gzip("five:127.0.0.5-127.0.0.5\n");
        lists.Given(Request.Create().WithPath("/list.gz").UsingGet()).WithGuid(mapping).RespondWith(Response.Create().WithBody(good));
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await rpc.SucceedAsync("session-set", new Dictionary<string, object> { ["blocklist-url"] = lists.Url + "/list.gz", ["blocklist-enabled"] = true }, Ct);
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(Five));

        lists.Given(Request.Create().WithPath("/list.gz").UsingGet()).WithGuid(mapping).RespondWith(answer == "status 503"
            ? Response.Create().WithStatusCode(503)
            : Response.Create().WithBody(good).WithFault(FaultType.MALFORMED_RESPONSE_CHUNK));
        var why = await rpc.FailAsync("blocklist-update", new { }, Ct);

        Assert.Contains(expected, why);
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(Five));
    }

    [Fact]
    public async Task TransmissionBlocklistUpdate_FromAUrlAnsweringAGzipBombOrOnlyComments_IsRefusedSayingWhy_AndTheListInForceStays()
    {
        await using var lists = await LoopbackHttpServer.StartAsync(Ct);
        var url = lists.Put("/list.gz", Gzip("five:127.0.0.5-127.0.0.5\n"));
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await rpc.SucceedAsync("session-set", new Dictionary<string, object> { ["blocklist-url"] = url, ["blocklist-enabled"] = true }, Ct);

        lists.Put("/list.gz", new GzipBomb((byte)'\n', mebibytes: 1024).ToArray()); // 1 GiB of blank lines from about 1 MiB
        var bomb = await rpc.FailAsync("blocklist-update", new { }, Ct);
        lists.Put("/list.gz", Gzip("# emptied by its publisher\n\n"));
        var empty = await rpc.FailAsync("blocklist-update", new { }, Ct);

        Assert.Contains("more than 4,000,000 lines", bomb);
        Assert.Contains("an empty blocklist", empty);
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(Five));
    }

    [Fact]
    public async Task RestSettings_AGzipBombByPath_IsRefusedInOneLine_AndTheListInForceStays()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var good = web.Downloads.Combine("list.p2p");
        await File.WriteAllTextAsync(good, "five:127.0.0.5-127.0.0.5\n", Ct);
        using (var put = await web.Http.PutAsJsonAsync("/api/settings", new { blocklist = good, blocklistEnabled = true }, Ct))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var bomb = web.Downloads.Combine("bomb.p2p.gz");
        new GzipBomb((byte)'\n', mebibytes: 1024).WriteTo(bomb);

        using var refused = await web.Http.PutAsJsonAsync("/api/settings", new { blocklist = bomb }, Ct);
        var why = await refused.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("more than 4,000,000 lines", why, StringComparison.Ordinal);
        Assert.Equal(good, (await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct))!.Blocklist);
        Assert.True(web.Server.Torrents.Blocklist.List.Contains(Five));
    }

    [Fact]
    public async Task Restart_KeepsTheListInForce_FromItsCopy_EvenWithItsSourceGone()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var file = web.Downloads.Combine("list.p2p");
        await File.WriteAllTextAsync(file, "five:127.0.0.5-127.0.0.5\n", Ct);
        using (var put = await web.Http.PutAsJsonAsync("/api/settings", new { blocklist = file, blocklistEnabled = true }, Ct))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        await web.RestartAsync(Ct, whileStopped: () => File.Delete(file));
        var settings = await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct);

        Assert.Equal((file, true), (settings!.Blocklist, settings.BlocklistEnabled));
        Assert.True(web.Server.Torrents.Session.Settings.Blocklist!.Contains(Five));
    }

    [Fact]
    public async Task RestUpdate_ReportsRangesAndSkippedLines()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var file = web.Downloads.Combine("list.p2p");
        await File.WriteAllTextAsync(file, "five:127.0.0.5-127.0.0.5\ngarbage\n10.0.0.0/8\n", Ct);
        using (var put = await web.Http.PutAsJsonAsync("/api/settings", new { blocklist = file, blocklistEnabled = true }, Ct))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var response = await web.Http.PostAsync("/api/blocklist/update", null, Ct);
        var read = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((2, 1, 2), (read.GetProperty("ranges").GetInt32(), read.GetProperty("skippedLines").GetInt32(), read.GetProperty("firstSkippedLine").GetInt32()));
    }

    [Fact]
    public async Task TransmissionRemote_BlocklistUpdate_ReadsTheListAndPrintsItsSize()
    {
        var remote = Interop.RequireExecutable("transmission-remote");
        await using var lists = await LoopbackHttpServer.StartAsync(Ct);
        var url = lists.Put("/list.p2p.gz", Gzip("a:127.0.0.5-127.0.0.5\nb:10.1.0.0-10.1.255.255\nc:192.0.2.0-192.0.2.255\n"));
        await using var web = await WebTestServer.StartAsync(Ct);
        await new RpcClient(web.Http).SucceedAsync("session-set", new Dictionary<string, object> { ["blocklist-url"] = url }, Ct);
        using var home = new TempFolder("torrentlab-tr-remote");
        var port = new Uri(web.Server.Url).Port;

        var result = await ProcessRunner.RunAsync(remote, [$"127.0.0.1:{port}", "--blocklist-update"], TimeSpan.FromMinutes(2),
            environment: new Dictionary<string, string> { ["HOME"] = home.Path });

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Contains("success", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, web.Server.Torrents.Blocklist.Size);
    }

    [Fact]
    public void TheServersLargestList_IsTheCommandLines()
    {
        // Two readers of one kind of list, one bound: serve's blocklist and --blocklist (TorrentClient.LoadBlocklistAsync).
        Assert.Equal(TorrentLab.Client.TorrentClient.MaxBlocklistBytes, ServerBlocklist.MaxBytes);
    }
}
