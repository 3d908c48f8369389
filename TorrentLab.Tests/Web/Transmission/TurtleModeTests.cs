using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>Turtle mode and the meaning of a 0 limit, per API: Transmission's alternative limits default to 50 kB/s,
/// and its 0 with the limit on means no transfer at all (transmission-daemon 3.00 shows "Download speed limit: 0 kB/s",
/// not "Unlimited", after <c>transmission-remote -d 0</c>), which TorrentLab's limits cannot do: refused. The REST
/// API's 0 is "unlimited", as it documents.</summary>
[Trait("Tier", "Slow")]
public class TurtleModeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Defaults_AreTransmissionsFiftyKBs_AndTurtleModeSlowsBelowTheNormalLimit()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxDownloadRate = 200_000, MaxUploadRate = 200_000 });
        var rpc = new RpcClient(web.Http);

        var session = await rpc.SucceedAsync("session-get", null, Ct);
        await rpc.SucceedAsync("session-set", new { alt_speed_enabled = true }.ToRpc(), Ct);
        var inForce = (web.Server.Torrents.Limits.Download.BytesPerSecond, web.Server.Torrents.Limits.Upload.BytesPerSecond);

        Assert.Equal(50, session.GetProperty("alt-speed-down").GetInt64());
        Assert.Equal(50, session.GetProperty("alt-speed-up").GetInt64());
        Assert.Equal((50_000L, 50_000L), inForce); // not the 200 kB/s normal limits, nor unlimited
    }

    /// <summary>One row: what is sent, the limit before, and the limit after (null: refused, the limit unchanged).</summary>
    private sealed record Row(string Name, string Method, string Arguments, long Before, long? After, Func<WebTestServer, long> Read);

    private static long GlobalDown(WebTestServer web) => web.Server.Torrents.Limits.Normal.DownloadRate ?? 0;
    private static long GlobalUp(WebTestServer web) => web.Server.Torrents.Limits.Normal.UploadRate ?? 0;
    private static long AltDown(WebTestServer web) => web.Server.Torrents.Limits.AltSpeed.DownloadRate ?? 0;
    private static long TorrentDown(WebTestServer web) => web.Server.Torrents.All.Single().DownloadLimit.BytesPerSecond;

    private static readonly Row[] Rows =
    [
        new("-d 0: on at 0 is stop in Transmission", "session-set", """{"speed-limit-down": 0, "speed-limit-down-enabled": true}""", 0, null, GlobalDown),
        new("-d 0 while limited", "session-set", """{"speed-limit-down": 0, "speed-limit-down-enabled": true}""", 100_000, null, GlobalDown),
        new("-u 0", "session-set", """{"speed-limit-up": 0, "speed-limit-up-enabled": true}""", 0, null, GlobalUp),
        new("0 without the flag while limited: still on, so stop", "session-set", """{"speed-limit-down": 0}""", 100_000, null, GlobalDown),
        new("0 without the flag while off: stays off", "session-set", """{"speed-limit-down": 0}""", 0, 0, GlobalDown),
        new("-D: off is unlimited", "session-set", """{"speed-limit-down-enabled": false}""", 100_000, 0, GlobalDown),
        new("-d 100", "session-set", """{"speed-limit-down": 100, "speed-limit-down-enabled": true}""", 0, 100_000, GlobalDown),
        new("turtle 0: stop while turtle mode is on", "session-set", """{"alt-speed-down": 0}""", 50_000, null, AltDown),
        new("turtle 30", "session-set", """{"alt-speed-down": 30}""", 50_000, 30_000, AltDown),
        new("torrent-set on at 0", "torrent-set", """{"downloadLimit": 0, "downloadLimited": true}""", 0, null, TorrentDown),
        new("torrent-set off", "torrent-set", """{"downloadLimited": false}""", 70_000, 0, TorrentDown),
        new("torrent-set 70", "torrent-set", """{"downloadLimit": 70, "downloadLimited": true}""", 0, 70_000, TorrentDown),
    ];

    [Fact]
    public async Task ZeroLimit_MeansWhatItMeansInTransmission_AppliedOrRefused()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        var rpc = new RpcClient(web.Http);
        var failures = new List<string>();

        foreach (var row in Rows)
        {
            // The limit before, set through the REST API.
            var m = web.Server.Torrents;
            if (row.Read == GlobalDown) m.Limits.SetNormal(row.Before, null);
            else if (row.Read == GlobalUp) m.Limits.SetNormal(null, row.Before);
            else if (row.Read == AltDown) m.Limits.UpdateAltSpeed(new AltSpeedSettings(DownloadRate: row.Before));
            else m.Adjust.SetLimit(m.All.Single().DownloadLimit, row.Before);

            var answer = await rpc.CallAsync(row.Method, JsonDocument.Parse(row.Arguments).RootElement, Ct);
            var result = answer.GetProperty("result").GetString();
            var now = row.Read(web);
            var ok = row.After is { } after ? result == "success" && now == after : result != "success" && now == row.Before;
            if (!ok) failures.Add($"{row.Name}: result '{result}', limit {now} (expected {(row.After is null ? $"refused, {row.Before}" : $"success, {row.After}")})");
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task RestZero_IsUnlimited_AsTheRestApiDocumentsIt()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var put = await web.Http.PutAsJsonAsync("/api/limits/alternative", new AltSpeedSettings(DownloadRate: 0), Ct);
        var alt = await put.Content.ReadFromJsonAsync<AltSpeedSettings>(Ct);

        Assert.True(put.IsSuccessStatusCode);
        Assert.Equal(0, alt!.DownloadRate);
        Assert.Equal(AltSpeedSettings.DefaultRate, alt.UploadRate);
    }
}

internal static class RpcArguments
{
    /// <summary>An anonymous object's properties as RPC arguments (underscores become dashes).</summary>
    public static JsonElement ToRpc(this object arguments) =>
        JsonDocument.Parse(JsonSerializer.Serialize(arguments).Replace('_', '-')).RootElement;
}
