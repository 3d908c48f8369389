using System.Text.Json;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>The Transmission RPC's folders and trackers: torrent-add's download-dir, torrent-set-location (moving the
/// data, or pointing the torrent elsewhere), and torrent-set's tracker edits, each checked through the REST API.</summary>
[Trait("Tier", "Slow")]
public class TransmissionRpcPlaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> GetAsync(RpcClient rpc, params string[] fields) =>
        (await rpc.SucceedAsync("torrent-get", new { ids = new[] { 1 }, fields }, Ct)).GetProperty("torrents")[0];

    [Fact]
    public async Task TorrentAdd_WithADownloadDirInside_DownloadsThere()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);

        await rpc.SucceedAsync("torrent-add", new Dictionary<string, object>
        {
            ["metainfo"] = Convert.ToBase64String(web.Swarm.Built.TorrentBytes), ["download-dir"] = web.Downloads.Combine("tv"),
        }, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);
        var torrent = await GetAsync(rpc, "downloadDir");

        Assert.Equal("tv", done.Folder);
        Assert.Equal(web.Downloads.Combine("tv"), torrent.GetProperty("downloadDir").GetString());
        Assert.True(File.Exists(web.Downloads.Combine("tv/webtest/a.bin")));
    }

    [Fact]
    public async Task TorrentAdd_WithADownloadDirOutside_IsRefusedAndAddsNothing()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);

        var result = await rpc.FailAsync("torrent-add", new Dictionary<string, object>
        {
            ["metainfo"] = Convert.ToBase64String(web.Swarm.Built.TorrentBytes), ["download-dir"] = "/var/tmp",
        }, Ct);

        Assert.Contains("not inside the downloads folder", result, StringComparison.Ordinal);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task TorrentSetLocation_WithMove_MovesTheDataOfACompletedTorrent()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        await rpc.SucceedAsync("torrent-set-location", new { ids = new[] { 1 }, location = web.Downloads.Combine("archive"), move = true }, Ct);
        var after = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal(("archive", "completed"), (after.Folder, after.State));
        Assert.True(File.Exists(web.Downloads.Combine("archive/webtest/sub/b.bin")));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest")));
    }

    [Fact]
    public async Task TorrentSet_TrackerAddReplaceRemove_EditTheListTorrentGetShows()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);
        var original = web.Swarm.Tracker.HttpAnnounceUrl;

        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, trackerAdd = new[] { "udp://one.example:6969/announce", "http://two.example/announce" } }, Ct);
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, trackerReplace = new object[] { 2, "https://three.example/announce" } }, Ct);
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, trackerRemove = new[] { 0 } }, Ct);
        var list = (await GetAsync(rpc, "trackerList")).GetProperty("trackerList").GetString();
        var bad = await rpc.FailAsync("torrent-set", new { ids = new[] { 1 }, trackerRemove = new[] { 9 } }, Ct);
        var details = await web.DetailsAsync(Ct);

        Assert.Equal("udp://one.example:6969/announce\n\nhttps://three.example/announce", list);
        Assert.Equal(["udp://one.example:6969/announce", "https://three.example/announce"], details.Trackers.Select(t => t.Url));
        Assert.DoesNotContain(original, details.Trackers.Select(t => t.Url));
        Assert.Contains("no tracker with id 9", bad, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TorrentSet_TrackerList_ReplacesEveryTier()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var rpc = new RpcClient(web.Http);
        await web.AddAsync(start: false, Ct);

        await rpc.SucceedAsync("torrent-set", new { ids = new[] { 1 }, trackerList = "http://a.example/announce\nhttp://b.example/announce\n\nudp://c.example:80/announce" }, Ct);
        var details = await web.DetailsAsync(Ct);

        Assert.Equal([0, 0, 1], details.Trackers.Select(t => t.Tier));
        Assert.Equal("udp://c.example:80/announce", details.Trackers[2].Url);
    }
}
