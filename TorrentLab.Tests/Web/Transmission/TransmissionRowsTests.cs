using System.Text.Json;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>torrent-get's rows kept between polls (the field lists clients poll with are written once per change of a
/// torrent): a second poll answers what changed meanwhile, by the torrent (a stop, a rename) or by a setting (a limit,
/// labels), and a field list holding a clock-driven field is written at each poll.</summary>
public class TransmissionRowsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] RemoteList = ["id", "name", "status", "downloadLimit", "downloadLimited", "labels", "rateDownload", "queuePosition"];

    [Fact]
    public async Task ASecondPollWithTheSameFields_AnswersEveryChangeMadeBetween()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(web.Swarm.Built.TorrentBytes), paused = true }, Ct);
        async Task<JsonElement> RowAsync() =>
            (await rpc.SucceedAsync("torrent-get", new { fields = RemoteList }, Ct)).GetProperty("torrents")[0].Clone();

        var before = await RowAsync();
        var again = await RowAsync(); // from the kept row
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, downloadLimit = 100, downloadLimited = true, labels = new[] { "films" } }, Ct);
        var limited = await RowAsync();
        await rpc.SucceedAsync("torrent-rename-path", new { ids = new[] { 1 }, path = "webtest", name = "renamed" }, Ct);
        var renamed = await RowAsync();

        Assert.Equal(before.GetRawText(), again.GetRawText());
        Assert.False(before.GetProperty("downloadLimited").GetBoolean());
        Assert.True(limited.GetProperty("downloadLimited").GetBoolean());
        Assert.Equal(100, limited.GetProperty("downloadLimit").GetInt64());
        Assert.Equal(["films"], limited.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("webtest", limited.GetProperty("name").GetString());
        Assert.Equal("renamed", renamed.GetProperty("name").GetString());
    }

    [Fact]
    public void AClockDrivenField_IsNeverKept()
    {
        Assert.DoesNotContain("secondsSeeding", TorrentLab.Web.TransmissionRows.Kept);
        Assert.DoesNotContain("secondsDownloading", TorrentLab.Web.TransmissionRows.Kept);
        Assert.DoesNotContain("peers", TorrentLab.Web.TransmissionRows.Kept);
        Assert.Null(new TorrentLab.Web.TransmissionRows().For(["id", "secondsSeeding"]));
        Assert.NotNull(new TorrentLab.Web.TransmissionRows().For(["id", "name"]));
    }
}
