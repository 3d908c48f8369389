using System.Text.Json.Nodes;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>torrent-get with <c>ids: "recently-active"</c> answers what Transmission means: the torrents that changed
/// within the last 60 s (a manual clock stands in for the minute), not every torrent at every poll.</summary>
public class RecentlyActiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecentlyActive_AfterAMinuteWithoutChange_LeavesOutTheIdleTorrents_AndNamesAChangedOne()
    {
        var clock = new ManualClock();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Clock = clock });
        var rpc = new RpcClient(web.Http);
        var second = TestTorrents.SingleFile(20_000, name: "idle.bin");
        await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(web.Swarm.Built.TorrentBytes), paused = true }, Ct);
        await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(second.TorrentBytes), paused = true }, Ct);
        async Task<string[]> ActiveAsync()
        {
            var got = await rpc.SucceedAsync("torrent-get", new { ids = "recently-active", fields = new[] { "hashString" } }, Ct);
            return [.. got.GetProperty("torrents").EnumerateArray().Select(t => t.GetProperty("hashString").GetString()!).Order()];
        }

        var first = await ActiveAsync(); // both seen for the first time
        clock.Advance(TimeSpan.FromSeconds(61));
        var idle = await ActiveAsync();
        await rpc.SucceedAsync("torrent-verify", new { ids = new[] { web.InfoHash } }, Ct); // a state change of the first one
        await web.WaitForAsync(t => t.State != "checking", Ct);
        var changed = await ActiveAsync();

        Assert.Equal(2, first.Length);
        Assert.Empty(idle);
        Assert.Equal([web.InfoHash], changed);
    }

    [Fact]
    public async Task RecentlyActive_FirstAskedAfterARestart_LeavesOutTorrentsAddedLongAgo_AndNamesOneThatChangesThen()
    {
        var clock = new ManualClock();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Clock = clock });
        var second = TestTorrents.SingleFile(20_000, name: "old.bin");
        var rpc = new RpcClient(web.Http);
        await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(web.Swarm.Built.TorrentBytes), paused = true }, Ct);
        await rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(second.TorrentBytes), paused = true }, Ct);
        await web.RestartAsync(Ct, whileStopped: () =>
        {
            // Both added two hours ago, as a server holding its torrents for long finds them at a start.
            var path = web.Downloads.Combine(".torrentlab", "web", "torrents.json");
            var document = JsonNode.Parse(File.ReadAllText(path))!;
            foreach (var torrent in document["torrents"]!.AsArray()) torrent!["addedAt"] = DateTimeOffset.UtcNow.AddHours(-2).ToString("O");
            File.WriteAllText(path, document.ToJsonString());
        }, configure: o => o with { Clock = clock });
        rpc = new RpcClient(web.Http);
        async Task<string[]> ActiveAsync()
        {
            var got = await rpc.SucceedAsync("torrent-get", new { ids = "recently-active", fields = new[] { "hashString" } }, Ct);
            return [.. got.GetProperty("torrents").EnumerateArray().Select(t => t.GetProperty("hashString").GetString()!)];
        }

        var first = await ActiveAsync();
        await rpc.SucceedAsync("torrent-verify", new { ids = new[] { web.InfoHash } }, Ct);
        await web.WaitForAsync(t => t.State != "checking", Ct);
        var changed = await ActiveAsync();

        Assert.Empty(first);
        Assert.Equal([web.InfoHash], changed);
    }
}
