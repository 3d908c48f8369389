using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Lab;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>Everything the user sets survives a restart of the server on the same downloads folder: the global and
/// per-torrent rate limits, the file selection and the torrent's state with its pieces.</summary>
public class RestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restart_AfterLimitsAndASelectionChangedMidDownload_KeepsLimitsSelectionAndTheCompletedState()
    {
        // The swarm engine: the single-peer reference path (the test server's default) refuses a rate limit.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 24, slowDelay: TimeSpan.FromMilliseconds(15),
            configure: o => o with { MaxPeers = 8 });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.PiecesDone >= 2, Ct);

        using (var global = await web.Http.PutAsJsonAsync("/api/limits", new { downloadRate = 10 << 20, uploadRate = 256 * 1024 }, Ct))
            Assert.Equal(HttpStatusCode.OK, global.StatusCode);
        using (var own = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/limits", new { downloadRate = 5 << 20, uploadRate = 128 * 1024 }, Ct))
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using (var skip = await web.Http.PutAsync($"/api/torrents/{web.InfoHash}/files",
                   new StringContent("""{"files": [{"index": 2, "priority": "skip"}]}""", Encoding.UTF8, "application/json"), Ct))
            Assert.Equal(HttpStatusCode.OK, skip.StatusCode);
        var before = await web.WaitForAsync(t => t.State == "completed", Ct);

        await web.RestartAsync(Ct);

        Assert.Equal(new RateLimitSettings(10 << 20, 256 * 1024), await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct));
        Assert.Equal(new RateLimitSettings(5 << 20, 128 * 1024),
            await web.Http.GetFromJsonAsync<RateLimitSettings>($"/api/torrents/{web.InfoHash}/limits", Ct));
        var files = (await web.Http.GetFromJsonAsync<FileEntry[]>($"/api/torrents/{web.InfoHash}/files", Ct))!;
        Assert.Equal(["normal", "skip"], files.Select(f => f.Priority));
        var after = await web.WaitForAsync(t => t.State != "checking", Ct);
        Assert.Equal("completed", after.State);
        // Not fewer pieces than before; more when pieces of the skipped file that reached the disk are found verified.
        Assert.True(after.PiecesDone >= before.PiecesDone, $"{after.PiecesDone} pieces after the restart, {before.PiecesDone} before");
        Assert.Equal(1.0, after.Progress);
    }

    [Fact]
    public async Task Restart_LimitsSetByTheCommandLineOnly_AreNotSavedOverLaterOptions()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxDownloadRate = 1 << 20 });
        await web.AddAsync(start: false, Ct); // a change that writes the list

        await web.RestartAsync(Ct, configure: o => o with { MaxDownloadRate = 2 << 20 });

        Assert.Equal(new RateLimitSettings(2 << 20, 0), await web.Http.GetFromJsonAsync<RateLimitSettings>("/api/limits", Ct));
    }
}
