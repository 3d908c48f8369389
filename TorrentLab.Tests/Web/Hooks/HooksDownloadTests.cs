using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.Transmission;
using TorrentLab.Web;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests;

namespace TorrentLab.Tests.Web.Hooks;

/// <summary>Hooks end to end: a real download through serve from a seeder on loopback runs the program with the
/// torrent's fields and posts the webhook's JSON to a loopback server; set through serve's options, qBittorrent's
/// app/setPreferences and the real transmission-remote; completion told once (a restart that seeds the complete
/// torrent tells nothing); a failing hook is one log line and the torrent is unaffected.</summary>
[Trait("Tier", "Slow")]
public class HooksDownloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Download = TimeSpan.FromSeconds(90);

    private static WireMockServer Listener()
    {
        var http = StubHttp.Start();
        http.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        return http;
    }

    private static JsonElement[] Posted(WireMockServer http) =>
        [.. http.LogEntries.Where(e => e.RequestMessage.Path == "/hook").Select(e => JsonDocument.Parse(e.RequestMessage.Body!).RootElement)];

    private static Task WaitForEventAsync(WireMockServer http, string kind) =>
        Wait.UntilAsync(() => Posted(http).Any(p => p.GetProperty("event").GetString() == kind), TimeSpan.FromSeconds(60), $"the webhook never got '{kind}'", Ct);

    [Fact]
    public async Task ACompletedDownload_RunsTheProgramWithItsFields_PostsTheWebhook_AndARestartTellsNothingAgain()
    {
        using var done = new FakeHookProgram();
        using var added = new FakeHookProgram();
        using var http = Listener();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => WebTestServer.SwarmEngine(o) with
        {
            SeedAfterDownload = true, // completed is told as the download turns to seeding
            OnComplete = $"{done.Quoted} \"%N\" %D %F %I %Z %C %L",
            OnAdded = $"{added.Quoted} %N",
            Webhook = http.Url + "/hook",
        });
        var downloads = web.Server.Torrents.Downloads;
        var size = web.Swarm.Built.Torrent.PayloadLength.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "seeding", Ct, Download);
        var (args, environment) = await done.FirstRunAsync(Ct);
        var (addedArgs, _) = await added.FirstRunAsync(Ct);
        // Each event waited for: the hooks run side by side, so "added" may arrive after "completed".
        await WaitForEventAsync(http, "completed");
        await WaitForEventAsync(http, "added");

        Assert.Equal([done.Path, "webtest", downloads, Path.Combine(downloads, "webtest"), web.InfoHash, size, "2", ""], args);
        Assert.Equal([added.Path, "webtest"], addedArgs);
        Assert.Equal("webtest", environment["TR_TORRENT_NAME"]);
        Assert.Equal(downloads, environment["TR_TORRENT_DIR"]);
        Assert.Equal(web.InfoHash, environment["TR_TORRENT_HASH"]);
        Assert.Equal(size, environment["TR_TORRENT_BYTES_DOWNLOADED"]);
        Assert.Equal(web.Swarm.Tracker.HttpAnnounceUrl, environment["TR_TORRENT_TRACKERS"]);
        Assert.Equal("4.0.0", environment["TR_APP_VERSION"]);
        Assert.True(int.Parse(environment["TR_TORRENT_ID"], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        var completed = Posted(http).Single(p => p.GetProperty("event").GetString() == "completed");
        Assert.Equal(web.InfoHash, completed.GetProperty("hash").GetString());
        Assert.Equal("webtest", completed.GetProperty("name").GetString());
        Assert.Equal(downloads, completed.GetProperty("savePath").GetString());
        Assert.Equal(Path.Combine(downloads, "webtest"), completed.GetProperty("contentPath").GetString());
        Assert.Equal(web.Swarm.Built.Torrent.PayloadLength, completed.GetProperty("size").GetInt64());
        Assert.Equal(2, completed.GetProperty("files").GetInt32());
        Assert.Equal(web.Swarm.Tracker.HttpAnnounceUrl, completed.GetProperty("tracker").GetString());
        Assert.False(completed.TryGetProperty("error", out _));
        Assert.Equal(["added", "completed"], Posted(http).Select(p => p.GetProperty("event").GetString()).Order());

        // A restart (the hooks as saved, not given again) that resumes seeding the complete torrent: no completion.
        await web.RestartAsync(Ct, configure: WebTestServer.SwarmEngine);
        Assert.Equal(done.Quoted + " \"%N\" %D %F %I %Z %C %L", web.Server.Torrents.Settings.OnComplete);
        await web.WaitForAsync(t => t.State == "seeding", Ct);
        await Wait.UntilAsync(() => web.Server.Torrents.Hooks.LastFollowed == TorrentLab.Client.TorrentState.Seeding, TimeSpan.FromSeconds(30),
            "the seeding alert was never followed", Ct);

        Assert.Equal(0, web.Server.Torrents.Hooks.RaisedCount("completed"));
        Assert.Single(done.All());
    }

    [Fact]
    public async Task AMagnetLink_IsToldAsAddedAndMetadata_ThenCompleted()
    {
        using var http = Listener();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => WebTestServer.SwarmEngine(o) with { Webhook = http.Url + "/hook" },
            peer: p => p with { ServeMetadata = true });
        var magnet = $"magnet:?xt=urn:btih:{web.InfoHash}&dn=webtest&tr={Uri.EscapeDataString(web.Swarm.Tracker.HttpAnnounceUrl)}&x.pe={web.Swarm.EndPointOf(0)}";

        using (var added = await web.Http.PostAsJsonAsync("/api/torrents/link", new { link = magnet }, Ct))
            Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
        foreach (var kind in new[] { "added", "metadata", "completed" }) await WaitForEventAsync(http, kind); // in any order

        Assert.Equal(["added", "completed", "metadata"], Posted(http).Select(p => p.GetProperty("event").GetString()).Order());
        Assert.All(Posted(http), p => Assert.Equal(web.InfoHash, p.GetProperty("hash").GetString()));
    }

    [Fact]
    public async Task QBittorrentsAutorun_SetThroughTheApi_IsReadBack_AndRunsOnCompletion()
    {
        using var done = new FakeHookProgram();
        await using var web = await StartAsync();
        using var qb = TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests.Client(web);
        await TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests.PostAsync(qb, "auth/login", ("username", "admin"), ("password", Token));
        var line = $"{done.Quoted} %N \"%I\"";

        using (var set = await qb.PostAsync("/api/v2/app/setPreferences", new FormUrlEncodedContent(
            [KeyValuePair.Create("json", new JsonObject { ["autorun_enabled"] = true, ["autorun_program"] = line }.ToJsonString())]), Ct))
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync(Ct));
        var preferences = JsonNode.Parse(await qb.GetStringAsync("/api/v2/app/preferences", Ct))!;
        var session = await new RpcClient(web.Http).SucceedAsync("session-get", new { fields = new[] { "script-torrent-done-enabled", "script-torrent-done-filename" } }, Ct);
        using var bad = await qb.PostAsync("/api/v2/app/setPreferences", new FormUrlEncodedContent(
            [KeyValuePair.Create("json", """{"autorun_program": "\"unclosed"}""")]), Ct);

        Assert.True((bool)preferences["autorun_enabled"]!);
        Assert.Equal(line, (string)preferences["autorun_program"]!);
        Assert.False((bool)preferences["autorun_on_torrent_added_enabled"]!);
        Assert.True(session.GetProperty("script-torrent-done-enabled").GetBoolean()); // one setting, both APIs
        Assert.Equal(line, session.GetProperty("script-torrent-done-filename").GetString());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);

        await web.AddAsync(start: true, Ct);
        var (args, _) = await done.FirstRunAsync(Ct);

        Assert.Equal([done.Path, "webtest", web.InfoHash], args);
    }

    [Fact]
    public async Task TransmissionRemote_TorrentDoneScript_IsSet_AndRunsWithTransmissionsVariables()
    {
        var remote = Interop.RequireExecutable("transmission-remote");
        using var done = new FakeHookProgram();
        await using var web = await WebTestServer.StartAsync(Ct);
        using var home = new TempFolder("torrentlab-tr-remote");
        var port = new Uri(web.Server.Url).Port;

        var result = await ProcessRunner.RunAsync(remote, [$"127.0.0.1:{port}", "--torrent-done-script", done.Path], TimeSpan.FromMinutes(2),
            environment: new Dictionary<string, string> { ["HOME"] = home.Path });
        var session = await new RpcClient(web.Http).SucceedAsync("session-get", new { fields = new[] { "script-torrent-done-enabled", "script-torrent-done-filename" } }, Ct);

        Assert.True(result.ExitCode == 0 && (result.Stdout + result.Stderr).Contains("success", StringComparison.Ordinal), $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.True(session.GetProperty("script-torrent-done-enabled").GetBoolean());
        Assert.Equal(done.Path, session.GetProperty("script-torrent-done-filename").GetString()); // the path, though it holds a space
        Assert.True(web.Server.Torrents.Settings.OnCompleteEnabled);

        await web.AddAsync(start: true, Ct);
        var (args, environment) = await done.FirstRunAsync(Ct);

        Assert.Equal([done.Path], args); // a Transmission script gets no arguments: its variables say it all
        Assert.Equal("webtest", environment["TR_TORRENT_NAME"]);
        Assert.Equal(web.InfoHash, environment["TR_TORRENT_HASH"]);
        Assert.Equal(web.Server.Torrents.Downloads, environment["TR_TORRENT_DIR"]);
    }

    [Fact]
    public async Task FailingHooks_AreOneLogLineEach_AndTheTorrentIsUnaffected()
    {
        using var failing = new FakeHookProgram("exit 3");
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // the webhook's connection is refused
        var lines = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with
        {
            OnAdded = failing.Quoted,
            OnComplete = "/nonexistent/torrentlab-done %N",
            Webhook = $"http://127.0.0.1:{closedPort}/hook",
            Log = lines.Enqueue,
        });

        await web.AddAsync(start: true, Ct);
        var row = await web.WaitForAsync(t => t.State == "completed", Ct, Download);
        string[] expected = ["on-added hook for 'webtest' failed", "on-complete hook for 'webtest' failed", "webhook (added) for 'webtest' failed",
            "webhook (completed) for 'webtest' failed"];
        await Wait.UntilAsync(() => expected.All(e => lines.Any(l => l.Contains(e, StringComparison.Ordinal))), TimeSpan.FromSeconds(60),
            $"not every failure was logged: {string.Join(" | ", lines)}", Ct);

        Assert.All(expected, e => Assert.Single(lines, l => l.Contains(e, StringComparison.Ordinal)));
        Assert.Null(row.Error);
        Assert.Equal(1.0, row.Progress);
        Assert.True(web.FilesMatch());
    }
}
