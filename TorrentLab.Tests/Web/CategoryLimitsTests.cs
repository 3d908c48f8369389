using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;
using WebState = TorrentLab.Web.TorrentState;

namespace TorrentLab.Tests.Web;

/// <summary>Share limits per category (TorrentLab.Web/TorrentLabels.Limits.cs): a torrent takes its own limits, else its
/// category's, else the server's defaults; a change of a category's limits, or a move to another category, reaches its
/// running torrents at once; the limits are kept with the categories. The session runs on a manual clock.</summary>
public class CategoryLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static TorrentManager Open(string downloads, ManualClock clock) => TorrentManager.Open(new WebServerOptions
    {
        Downloads = downloads, PeerBindAddresses = [IPAddress.Loopback], PeerPort = 0, Dht = false, SeedAfterDownload = true,
        ConfigureSession = s => s with { Time = clock },
    });

    private static Task ArmedAsync(ManualClock clock, TimeSpan due) =>
        Wait.UntilAsync(() => clock.PendingTimers.Contains(due), Patience, $"no timer due in {due}: {string.Join(", ", clock.PendingTimers)}", Ct);

    private static Task StateAsync(ManagedTorrent torrent, WebState state) =>
        Wait.UntilAsync(() => torrent.State == state, Patience, $"never {state}: {torrent.State}", Ct);

    [Fact]
    public async Task CategoryRatio_StopsItsTorrentBelowAHigherDefault()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, name: "strict.bin", announce: null);
        built.WritePayload(folder.Path);
        await using (var manager = Open(folder.Path, new ManualClock()))
            await manager.AddAsync(built.TorrentBytes, start: false, Ct);
        // Earlier runs uploaded 2.5 times its size: over the category's 2, under the default's 3.
        var list = Path.Combine(folder.Path, ".torrentlab", "web", "torrents.json");
        var document = JsonNode.Parse(File.ReadAllText(list))!;
        document["torrents"]![0]!["uploaded"] = 125_000;
        File.WriteAllText(list, document.ToJsonString());

        await using var restarted = Open(folder.Path, new ManualClock());
        var torrent = restarted.Find(built.Torrent.InfoHash.Hex)!;
        restarted.UpdateSettings(new WebSettings(SeedRatio: 3));
        restarted.Labels.CreateCategory("strict");
        restarted.Labels.SetLimits("strict", new CategoryLimits(Ratio: 2));
        restarted.Labels.SetCategory(torrent, "strict");
        await restarted.StartAsync(torrent, Ct);
        await StateAsync(torrent, WebState.Completed);

        Assert.False(torrent.WantsRunning); // paused by the limit, the default action
    }

    [Fact]
    public async Task Plan_TakesItsOwnLimitOverTheCategorysAndTheCategorysOverTheDefault()
    {
        using var folder = new TempFolder();
        await using var manager = Open(folder.Path, new ManualClock());
        var torrent = await manager.AddAsync(TestTorrents.SingleFile(length: 5000, announce: null).TorrentBytes, start: false, Ct);
        manager.UpdateSettings(new WebSettings(SeedRatio: 3, SeedMinutes: 60) { SeedIdleMinutes = 30 });
        manager.Labels.CreateCategory("films");
        manager.Labels.SetLimits("films", new CategoryLimits(Ratio: 2, Minutes: 0)); // 0: no limit over the default
        manager.Labels.SetCategory(torrent, "films");

        var category = manager.Queue.SeedFor(torrent);
        torrent.Seeding = new SeedPolicy(Ratio: 4);
        var own = manager.Queue.SeedFor(torrent);

        Assert.Equal(new SeedingRun(true, 2, null, TimeSpan.FromMinutes(30)), category);
        Assert.Equal(new SeedingRun(true, 4, null, TimeSpan.FromMinutes(30)), own);
    }

    [Fact]
    public async Task ChangingACategorysLimit_ReachesItsRunningTorrent_WithoutARestart()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, name: "live.bin", announce: null);
        built.WritePayload(folder.Path);
        var clock = new ManualClock();
        await using var manager = Open(folder.Path, clock);
        manager.UpdateSettings(new WebSettings(SeedMinutes: 600));
        manager.Labels.CreateCategory("live");
        var torrent = await manager.AddAsync(built.TorrentBytes, start: true, Ct);
        manager.Labels.SetCategory(torrent, "live");
        await StateAsync(torrent, WebState.Seeding);
        await ArmedAsync(clock, TimeSpan.FromMinutes(600));
        var handle = torrent.Handle;

        manager.Labels.SetLimits("live", new CategoryLimits(Minutes: 10));
        await ArmedAsync(clock, TimeSpan.FromMinutes(10));
        clock.Advance(TimeSpan.FromMinutes(10));
        await StateAsync(torrent, WebState.Completed);

        Assert.Same(handle, torrent.Handle); // the same run took the limit: not restarted
    }

    [Fact]
    public async Task MovingATorrentToACategory_GivesItThatCategorysLimits()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, name: "moved.bin", announce: null);
        built.WritePayload(folder.Path);
        var clock = new ManualClock();
        await using var manager = Open(folder.Path, clock);
        manager.Labels.CreateCategory("short");
        manager.Labels.SetLimits("short", new CategoryLimits(Minutes: 5));
        var torrent = await manager.AddAsync(built.TorrentBytes, start: true, Ct);
        await StateAsync(torrent, WebState.Seeding);

        manager.Labels.SetCategory(torrent, "short");
        await ArmedAsync(clock, TimeSpan.FromMinutes(5));
        clock.Advance(TimeSpan.FromMinutes(5));
        await StateAsync(torrent, WebState.Completed);
    }

    [Fact]
    public async Task Limits_SurviveARestart_AndGoWithTheirCategory()
    {
        using var folder = new TempFolder();
        await using (var manager = Open(folder.Path, new ManualClock()))
        {
            manager.Labels.CreateCategory("kept");
            manager.Labels.CreateCategory("gone");
            manager.Labels.SetLimits("kept", new CategoryLimits(Ratio: 1.5, Minutes: 90, IdleMinutes: 20));
            manager.Labels.SetLimits("gone", new CategoryLimits(Ratio: 1));
            manager.Labels.RemoveCategories(["gone"]);
        }

        await using var restarted = Open(folder.Path, new ManualClock());

        Assert.Equal(new CategoryLimits(1.5, 90, 20), restarted.Labels.LimitsOf("kept"));
        Assert.Null(restarted.Labels.LimitsOf("gone"));
        Assert.Equal(["kept"], restarted.Labels.Categories);
    }

    [Fact]
    public async Task QBittorrentInfo_ShowsTheCategorysLimitsInForce_AndNoneOfItsOwn()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "category-limits-token" });
        using var http = QBittorrent.QBittorrentApiTests.Client(web);
        using (await http.PostAsync("/api/v2/auth/login", new FormUrlEncodedContent([new("username", "admin"), new("password", "category-limits-token")]), Ct)) { }
        await web.AddAsync(start: false, Ct);
        var manager = web.Server.Torrents;
        manager.UpdateSettings(new WebSettings(SeedRatio: 3, SeedMinutes: 600));
        manager.Labels.CreateCategory("films");
        manager.Labels.SetLimits("films", new CategoryLimits(Ratio: 1.5, Minutes: 90, IdleMinutes: 45));
        manager.Labels.SetCategory(manager.Find(web.InfoHash)!, "films");

        var info = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/v2/torrents/info", Ct)).RootElement[0];
        var transmission = (await new Transmission.RpcClient(web.Http).SucceedAsync("torrent-get",
            new { ids = new[] { 1 }, fields = new[] { "seedRatioLimit", "seedIdleLimit" } }, Ct)).GetProperty("torrents")[0];

        Assert.Equal(1.5, info.GetProperty("max_ratio").GetDouble());
        Assert.Equal(90, info.GetProperty("max_seeding_time").GetInt64());
        Assert.Equal(45, info.GetProperty("max_inactive_seeding_time").GetInt64());
        Assert.Equal(-2, info.GetProperty("ratio_limit").GetDouble()); // its own: none, the server's (and its category's)
        // Transmission's view of the same limits in force (it has no categories: the limits are the torrent's to it).
        Assert.Equal(1.5, transmission.GetProperty("seedRatioLimit").GetDouble());
        Assert.Equal(45, transmission.GetProperty("seedIdleLimit").GetInt64());
    }

    [Fact]
    public async Task Rest_SetsAndReadsACategorysLimits_RefusesBadValuesUnknownCategoriesAndCallsWithoutTheToken()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "category-limits-token" });
        using var anonymous = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        await web.AddAsync(start: false, Ct);
        using (await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/category", new { category = "films" }, Ct)) { }

        using var set = await web.Http.PutAsJsonAsync("/api/categories/films/limits", new { ratio = 2.0, idleMinutes = 15.0 }, Ct);
        var read = await web.Http.GetFromJsonAsync<CategoryLimits>("/api/categories/films/limits", Ct);
        using var negative = await web.Http.PutAsJsonAsync("/api/categories/films/limits", new { minutes = -1.0 }, Ct);
        using var unknown = await web.Http.PutAsJsonAsync("/api/categories/nothing/limits", new { ratio = 1.0 }, Ct);
        using var unknownRead = await web.Http.GetAsync("/api/categories/nothing/limits", Ct);
        using var noToken = await anonymous.PutAsJsonAsync("/api/categories/films/limits", new { ratio = 9.0 }, Ct);
        await web.RestartAsync(Ct); // what was kept: nothing of the refused calls
        var names = await web.Http.GetFromJsonAsync<string[]>("/api/categories", Ct);
        var after = await web.Http.GetFromJsonAsync<CategoryLimits>("/api/categories/films/limits", Ct);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(new CategoryLimits(Ratio: 2, IdleMinutes: 15), read);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownRead.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(["films"], names!); // still a list of names, and no category made by the refused call
        Assert.Equal(read, after); // neither the bad value nor the call without the token changed them
    }
}
