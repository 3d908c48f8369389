using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorrentLab.Web;
using static TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests;

namespace TorrentLab.Tests.Web.QBittorrent;

/// <summary>app/preferences and app/setPreferences: every preference of qbittorrent-nox 4.5.2, each applied with
/// qBittorrent's meaning or refused with a 400 naming it (qBittorrent answers 200 and drops what it cannot take), never
/// "Ok." for one that was not applied; a refused request changes nothing.</summary>
public class QBittorrentPreferencesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(WebTestServer Web, HttpClient Http)> StartedAsync()
    {
        var web = await StartAsync();
        var http = QBittorrentApiTests.Client(web);
        await PostAsync(http, "auth/login", ("username", "admin"), ("password", Token));
        return (web, http);
    }

    private static async Task<JsonObject> PreferencesAsync(HttpClient http) =>
        JsonNode.Parse(await http.GetStringAsync("/api/v2/app/preferences", Ct))!.AsObject();

    private static async Task<(HttpStatusCode Status, string Text)> SetAsync(HttpClient http, string json)
    {
        using var response = await http.PostAsync("/api/v2/app/setPreferences", new FormUrlEncodedContent([KeyValuePair.Create("json", json)]), Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task EveryPreference_SentBackAsItIs_IsTaken_AndChangesNothing()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        var before = await PreferencesAsync(http);

        var (status, text) = await SetAsync(http, before.ToJsonString());
        var after = await PreferencesAsync(http);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("", text);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Equal(179, before.Count); // qbittorrent-nox 4.5.2's 174, 4.6's proxy_bittorrent, proxy_rss, proxy_misc, max_inactive_seeding_time(_enabled)
    }

    /// <summary>Every preference TorrentLab does not apply: another value of its type is refused, naming it.</summary>
    public static TheoryData<string> NotApplied => [.. QBittorrentPreferences.All.Where(p => !p.Applied).Select(p => p.Key)];

    [Theory]
    [MemberData(nameof(NotApplied))]
    public async Task APreferenceNotApplied_GivenAnotherValue_IsRefusedWithItsName_AndNothingChanges(string key)
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        var before = await PreferencesAsync(http);
        JsonNode other = before[key]!.GetValueKind() switch
        {
            JsonValueKind.True or JsonValueKind.False => !before[key]!.GetValue<bool>(),
            JsonValueKind.Number => before[key]!.GetValue<double>() + 7,
            JsonValueKind.String => before[key]!.GetValue<string>() + "-other",
            _ => new JsonObject { ["/some/folder"] = 1 },
        };

        // With an applied preference in the same request: it must not be applied either.
        var (status, text) = await SetAsync(http, new JsonObject { ["dl_limit"] = 12345, [key] = other }.ToJsonString());
        var after = await PreferencesAsync(http);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"'{key}'", text, StringComparison.Ordinal);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    /// <summary>One row: a request, then what the server must hold after (null: refused).</summary>
    private sealed record Row(string Name, string Json, Func<WebTestServer, JsonObject, bool>? Holds);

    private static readonly Row[] Rows =
    [
        new("dl_limit", """{"dl_limit": 300000}""", (w, p) => w.Server.Torrents.Limits.Normal.DownloadRate == 300000 && (long)p["dl_limit"]! == 300000),
        new("dl_limit unlimited", """{"dl_limit": -1}""", (w, p) => w.Server.Torrents.Limits.Normal.DownloadRate == 0),
        new("up_limit", """{"up_limit": 200000}""", (w, _) => w.Server.Torrents.Limits.Normal.UploadRate == 200000),
        new("dl_limit negative", """{"dl_limit": -5}""", null),
        new("alt_dl_limit", """{"alt_dl_limit": 20480}""", (w, _) => w.Server.Torrents.Limits.AltSpeed.DownloadRate == 20480),
        new("alt_up_limit", """{"alt_up_limit": 10240}""", (w, _) => w.Server.Torrents.Limits.AltSpeed.UploadRate == 10240),
        new("scheduler", """{"scheduler_enabled": true, "schedule_from_hour": 8, "schedule_from_min": 30, "schedule_to_hour": 20, "schedule_to_min": 15, "scheduler_days": 1}""",
            (w, p) => w.Server.Torrents.Limits.AltSpeed is { ScheduleEnabled: true, ScheduleBegin: 510, ScheduleEnd: 1215, ScheduleDays: 62 } && (long)p["scheduler_days"]! == 1),
        new("schedule hour out of range", """{"schedule_from_hour": 24}""", null),
        new("scheduler_days unknown", """{"scheduler_days": 10}""", null),
        new("max_active_downloads", """{"max_active_downloads": 7}""", (w, _) => w.Server.Torrents.Settings.MaxActiveDownloads == 7),
        new("max_active_downloads 0", """{"max_active_downloads": 0}""", null),
        new("max_ratio", """{"max_ratio_enabled": true, "max_ratio": 1.5}""", (w, p) => w.Server.Torrents.Settings.SeedRatio == 1.5 && (bool)p["max_ratio_enabled"]!),
        new("max_ratio 0 (no seeding)", """{"max_ratio_enabled": true, "max_ratio": 0}""", null),
        new("max_ratio off with a value", """{"max_ratio_enabled": false, "max_ratio": 2}""", null),
        new("max_ratio on without one", """{"max_ratio_enabled": true}""", null),
        new("max_seeding_time", """{"max_seeding_time_enabled": true, "max_seeding_time": 90}""", (w, _) => w.Server.Torrents.Settings.SeedMinutes == 90),
        new("start_paused_enabled", """{"start_paused_enabled": true}""", (w, p) => w.Server.Torrents.Settings.StartAddedTorrents == false),
        new("rss_refresh_interval", """{"rss_refresh_interval": 45}""", (w, p) => w.Server.Torrents.Rss.RefreshMinutes == 45 && (long)p["rss_refresh_interval"]! == 45),
        new("rss_refresh_interval 0", """{"rss_refresh_interval": 0}""", null),
        new("ip_filter_enabled without a list", """{"ip_filter_enabled": true}""", null),
        new("unknown key", """{"made_up_preference": 1}""", null),
        new("not an object", """[1, 2]""", null),
        new("wrong type", """{"scheduler_enabled": "maybe"}""", null),
    ];

    public static TheoryData<string> RowNames => [.. Rows.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(RowNames))]
    public async Task AppliedPreference_IsAppliedWithQBittorrentsMeaning_OrRefused(string name)
    {
        var row = Rows.Single(r => r.Name == name);
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        var before = await PreferencesAsync(http);

        var (status, text) = await SetAsync(http, row.Json);
        var after = await PreferencesAsync(http);

        if (row.Holds is null)
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(before.ToJsonString(), after.ToJsonString());
        }
        else
        {
            Assert.True(status == HttpStatusCode.OK, text);
            Assert.True(row.Holds(web, after), $"after {row.Json}: {after.ToJsonString()}");
        }
    }

    [Fact]
    public async Task StartPaused_MakesAnAddWithoutPausedWait_AsInQBittorrent()
    {
        var (web, http) = await StartedAsync();
        await using var ownedWeb = web;
        using var ownedHttp = http;
        await SetAsync(http, """{"start_paused_enabled": true}""");
        using var form = new MultipartFormDataContent { { new ByteArrayContent(web.Swarm.Built.TorrentBytes), "torrents", "webtest.torrent" } };

        using var added = await http.PostAsync("/api/v2/torrents/add", form, Ct);
        var session = await new Transmission.RpcClient(web.Http).SucceedAsync("session-get", new { fields = new[] { "start-added-torrents" } }, Ct);

        Assert.Equal("Ok.", await added.Content.ReadAsStringAsync(Ct));
        Assert.Equal("paused", Assert.Single(await web.ListAsync(Ct)).State);
        Assert.False(session.GetProperty("start-added-torrents").GetBoolean()); // one setting, both APIs
    }

    [Fact]
    public void PreferenceTable_HasEveryKeyOnce()
    {
        var keys = QBittorrentPreferences.All.Select(p => p.Key).ToList();

        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.All(QBittorrentPreferences.All.Where(p => !p.Applied), p => Assert.False(string.IsNullOrEmpty(p.Why)));
    }
}
