using System.Net;
using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The rate limit routes over real HTTP: global and per torrent, changed while a download runs.</summary>
public class LimitsApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GlobalLimits_FreshServer_AreUnlimitedAndAPutChangesOnlyTheFieldsGiven()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        var fresh = await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct);
        using var first = await web.Http.PutAsJsonAsync("/api/limits", new { downloadRate = 2 << 20, uploadRate = 512 * 1024 }, Ct);
        using var second = await web.Http.PutAsJsonAsync("/api/limits", new { uploadRate = 0 }, Ct);
        var now = await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct);

        Assert.Equal(new RateLimitSettings(0, 0), fresh);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(new RateLimitSettings(2 << 20, 512 * 1024), await first.Content.ReadFromJsonAsync<RateLimitSettings>(Ct));
        Assert.Equal(new RateLimitSettings(2 << 20, 0), now);
    }

    [Fact]
    public async Task GlobalLimits_FromTheServerOptions_AreTheStartingValues()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxDownloadRate = 1 << 20, MaxUploadRate = 4096 });
        Assert.Equal(new RateLimitSettings(1 << 20, 4096), await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct));
    }

    [Fact]
    public async Task GlobalLimits_Negative_Is400WithAReasonAndNothingChanges()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.PutAsJsonAsync("/api/limits", new { downloadRate = 1000, uploadRate = -1 }, Ct);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("bytes per second", error!.Error);
        Assert.Equal(new RateLimitSettings(0, 0), await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct));
    }

    [Fact]
    public async Task GlobalLimits_NotJson_Is400()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var body = new StringContent("{\"downloadRate\": \"fast\"}", System.Text.Encoding.UTF8, "application/json");
        using var response = await web.Http.PutAsync("/api/limits", body, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task TorrentLimits_UnknownTorrent_Is404()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var response = await web.Http.PutAsJsonAsync($"/api/torrents/{new string('a', 40)}/limits", new { downloadRate = 1 }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TorrentLimits_SetBeforeStartAndLiftedWhileRunning_HoldTheDownloadThenLetItFinish()
    {
        await using var web = await WebTestServer.StartAsync(Ct, pieces: 64, configure: o => o with { MaxPeers = 5 });
        await web.AddAsync(start: false, Ct);
        // 1 byte per second: after its first 16 KiB burst the download is held for good while the limit stands.
        using var set = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/limits", new { downloadRate = 1 }, Ct);
        Assert.Equal(new RateLimitSettings(1, 0), await set.Content.ReadFromJsonAsync<RateLimitSettings>(Ct));
        using var start = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct);
        await web.WaitForAsync(t => t.PiecesDone >= 1, Ct);

        var held = (await web.ListAsync(Ct)).Single();
        Assert.True(held.PiecesDone <= 2, $"{held.PiecesDone} pieces done under a 1 B/s limit");
        using var lift = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/limits", new { downloadRate = 0 }, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal(64, done.PiecesDone);
        Assert.True(web.FilesMatch());
    }
}
