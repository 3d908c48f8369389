using System.Net;
using System.Net.Http.Json;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>Alternative speed limits: the schedule's arithmetic, the REST routes, the limits in force, a restart.</summary>
public class AltSpeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const int EveryDay = 127, Monday = 2, Tuesday = 4;

    [Theory]
    [InlineData("2026-11-23 10:00", 540, 1020, EveryDay, true)]    // a Monday, 10:00 in 09:00-17:00
    [InlineData("2026-11-23 17:00", 540, 1020, EveryDay, false)]   // the end is not in the period
    [InlineData("2026-11-23 08:59", 540, 1020, EveryDay, false)]
    [InlineData("2026-11-23 10:00", 540, 1020, Tuesday, false)]    // Monday is not among the days
    [InlineData("2026-11-23 23:30", 1380, 360, Monday, true)]      // 23:00-06:00 begun on Monday
    [InlineData("2026-11-24 05:00", 1380, 360, Monday, true)]      // Tuesday 05:00: the period begun on Monday
    [InlineData("2026-11-24 23:30", 1380, 360, Monday, false)]     // Tuesday 23:30: a period Tuesday does not begin
    [InlineData("2026-11-23 05:00", 1380, 360, Monday, false)]     // Monday 05:00 belongs to Sunday's period
    public void InSchedule_Table(string now, int begin, int end, int days, bool expected) =>
        Assert.Equal(expected, AltSpeedSettings.InSchedule(DateTime.Parse(now, System.Globalization.CultureInfo.InvariantCulture), begin, end, days));

    [Fact]
    public async Task Put_OnByHand_PutsTheAlternativeLimitsInForceAndOffRestoresTheNormalOnes()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using (var normal = await web.Http.PutAsJsonAsync("/api/limits", new { downloadRate = 4 << 20, uploadRate = 1 << 20 }, Ct))
            Assert.Equal(HttpStatusCode.OK, normal.StatusCode);

        using var on = await web.Http.PutAsJsonAsync("/api/limits/alternative", new { enabled = true, downloadRate = 100_000, uploadRate = 20_000 }, Ct);
        var answer = await on.Content.ReadFromJsonAsync<AltSpeedSettings>(Ct);
        var inForce = (web.Server.Torrents.Limits.Download.BytesPerSecond, web.Server.Torrents.Limits.Upload.BytesPerSecond);
        using (var off = await web.Http.PutAsJsonAsync("/api/limits/alternative", new { enabled = false }, Ct))
            Assert.Equal(HttpStatusCode.OK, off.StatusCode);

        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        Assert.True(answer!.Active);
        Assert.Equal((100_000L, 20_000L), inForce);
        Assert.Equal(new RateLimitSettings(4 << 20, 1 << 20), await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct)); // the normal ones, as set
        Assert.Equal((4L << 20, 1L << 20), (web.Server.Torrents.Limits.Download.BytesPerSecond, web.Server.Torrents.Limits.Upload.BytesPerSecond));
        Assert.False((await web.Http.GetFromJsonAsync<AltSpeedSettings>("/api/limits/alternative", Ct))!.Active);
    }

    [Fact]
    public async Task Put_ScheduleAroundNow_IsInForceAndSurvivesARestart_OnOtherDaysItIsNot()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var now = DateTime.Now;
        var minute = now.Hour * 60 + now.Minute;
        var around = new { downloadRate = 50_000, scheduleEnabled = true, scheduleBegin = (minute + 1440 - 60) % 1440, scheduleEnd = (minute + 60) % 1440, scheduleDays = EveryDay };

        using (var put = await web.Http.PutAsJsonAsync("/api/limits/alternative", around, Ct))
            Assert.True((await put.Content.ReadFromJsonAsync<AltSpeedSettings>(Ct))!.Active);
        Assert.Equal(50_000, web.Server.Torrents.Limits.Download.BytesPerSecond);
        await web.RestartAsync(Ct);
        var after = (await web.Http.GetFromJsonAsync<AltSpeedSettings>("/api/limits/alternative", Ct))!;
        Assert.Equal((true, true, 50_000L, around.scheduleBegin, around.scheduleEnd), (after.Active!.Value, after.ScheduleEnabled!.Value, after.DownloadRate!.Value,
            after.ScheduleBegin!.Value, after.ScheduleEnd!.Value));
        Assert.Equal(50_000, web.Server.Torrents.Limits.Download.BytesPerSecond);

        // Neither today nor yesterday: no period that covers now.
        var otherDays = EveryDay & ~(1 << (int)now.DayOfWeek) & ~(1 << (int)now.AddDays(-1).DayOfWeek);
        using (var other = await web.Http.PutAsJsonAsync("/api/limits/alternative", new { scheduleDays = otherDays }, Ct))
            Assert.False((await other.Content.ReadFromJsonAsync<AltSpeedSettings>(Ct))!.Active);
        Assert.Equal(0, web.Server.Torrents.Limits.Download.BytesPerSecond);
    }

    [Theory]
    [InlineData("""{"downloadRate": -1}""", "bytes per second")]
    [InlineData("""{"scheduleBegin": 1440}""", "0..1439")]
    [InlineData("""{"scheduleDays": 128}""", "0..127")]
    public async Task Put_OutOfRange_Is400AndChangesNothing(string json, string message)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var response = await web.Http.PutAsync("/api/limits/alternative", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.Equal(AltSpeedSettings.Default with { Active = false }, await web.Http.GetFromJsonAsync<AltSpeedSettings>("/api/limits/alternative", Ct));
    }
}
