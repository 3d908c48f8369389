using System.Net;
using System.Net.Http.Json;
using TorrentLab.Client;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>A torrent's place and company through the REST API, over real HTTP against the mock swarm: its save folder
/// (added there, its data moved, refused outside the downloads folder), its trackers, the peers given to it, its
/// category and its place in the queue; and that each survives a restart.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiPlaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The swarm engine without the DHT: everything stays on loopback and seeding is possible.</summary>
    private static WebServerOptions Swarm(WebServerOptions o) => o with
    {
        MaxPeers = 50,
        ConfigureSession = s => o.ConfigureSession!(s) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
        SeedAfterDownload = true,
    };

    private static async Task<HttpResponseMessage> MoveAsync(WebTestServer web, string folder, bool? move = null) =>
        await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/folder", new { folder, move }, Ct);

    /// <summary>True when the torrent's files below <paramref name="folder"/> (relative to the downloads folder) are its data.</summary>
    private static bool FilesMatchIn(WebTestServer web, string folder) => web.Swarm.Built.Files.All(f =>
        File.Exists(web.Downloads.Combine(Path.Combine(folder, f.Path))) && File.ReadAllBytes(web.Downloads.Combine(Path.Combine(folder, f.Path))).AsSpan().SequenceEqual(f.Data));

    [Fact]
    public async Task Add_IntoASaveFolder_DownloadsThereAndKeepsTheFolderAcrossARestart()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(web.Swarm.Built.TorrentBytes), "torrent", "webtest.torrent" } };

        using var response = await web.Http.PostAsync("/api/torrents?folder=films/new", form, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);
        await web.RestartAsync(Ct);
        var after = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("films/new", done.Folder);
        Assert.True(FilesMatchIn(web, "films/new"));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest")));
        Assert.True(File.Exists(web.Downloads.Combine($"films/new/.torrentlab/{web.InfoHash}.json"))); // the ledger beside its data
        Assert.Equal(("films/new", "completed", done.PieceCount), (after.Folder, after.State, after.PiecesDone)); // from the ledger, no re-hash
    }

    [Fact]
    public async Task Move_ACompletedTorrent_MovesItsFilesAndLedgerAndStaysCompleteAfterARestart()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        using var response = await MoveAsync(web, web.Downloads.Combine("done")); // an absolute path inside the downloads folder
        var moved = await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct);
        await web.RestartAsync(Ct);
        var after = Assert.Single(await web.ListAsync(Ct));
        var details = await web.DetailsAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("done", "completed"), (moved!.Folder, moved.State));
        Assert.True(FilesMatchIn(web, "done"));
        Assert.False(Directory.Exists(web.Downloads.Combine("webtest"))); // the old copy is gone, and its folders
        Assert.False(File.Exists(web.Downloads.Combine($".torrentlab/{web.InfoHash}.json")));
        Assert.Equal(("done", "completed", moved.PieceCount), (after.Folder, after.State, after.PiecesDone));
        Assert.Equal(1.0, details.Files.Min(f => f.Progress));
    }

    [Fact]
    public async Task Move_ASeedingTorrent_SeedsAgainFromTheNewFolder()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Swarm);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "seeding", Ct);

        using var response = await MoveAsync(web, "seeds");
        var seeding = await web.WaitForAsync(t => t.State == "seeding", Ct);
        // A leecher that knows of no peer but the server (no tracker) downloads the whole torrent from it.
        using var leecher = new TempFolder("torrentlab-leecher");
        await TorrentClient.DownloadAsync(web.Swarm.Built.Torrent, web.Swarm.Options(leecher.Path).WithSession(s => s with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback }) with
        {
            Trackers = [],
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, web.Server.PeerPort)],
        }, ct: Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("seeds", seeding.Folder);
        Assert.True(FilesMatchIn(web, "seeds"));
        web.Swarm.AssertFiles(leecher.Path);
    }

    [Theory]
    [InlineData("/etc")]                 // an absolute path outside
    [InlineData("../elsewhere")]         // a relative one that climbs out
    [InlineData(".torrentlab/web")]      // TorrentLab's own state
    public async Task Move_ToAFolderOutsideTheDownloadsFolder_IsRefusedAndMovesNothing(string folder)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        using var response = await MoveAsync(web, folder);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not inside the downloads folder", error!.Error, StringComparison.Ordinal);
        Assert.Equal("", Assert.Single(await web.ListAsync(Ct)).Folder);
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Move_ThroughASymbolicLinkLeadingOutside_IsRefusedAndWritesNothingThere()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var outside = new TempFolder("torrentlab-outside");
        Directory.CreateSymbolicLink(web.Downloads.Combine("escape"), outside.Path);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        using var moved = await MoveAsync(web, "escape/inner");
        using var added = await web.Http.PostAsync("/api/torrents?folder=escape", new ByteArrayContent(web.Swarm.Built.TorrentBytes), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, moved.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, added.StatusCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Move_WhereAnotherTorrentsDataIs_IsRefusedWith409()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var other = TestTorrents.SingleFile(1000, name: "other.bin", announce: null);
        using (var form = new MultipartFormDataContent { { new ByteArrayContent(other.TorrentBytes), "torrent", "other.torrent" } })
            Assert.Equal(HttpStatusCode.Created, (await web.Http.PostAsync("/api/torrents?start=false&folder=box", form, Ct)).StatusCode);
        await web.AddAsync(start: false, Ct);

        using var inside = await MoveAsync(web, "box/other.bin"); // inside the other torrent's data
        using var same = await MoveAsync(web, "box");               // beside it: allowed

        Assert.Equal(HttpStatusCode.Conflict, inside.StatusCode);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
    }

    [Fact]
    public async Task MoveWithoutData_PointsTheTorrentThereAndRechecksWhatItFinds()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        using var response = await MoveAsync(web, "empty", move: false);
        var after = Assert.Single(await web.ListAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("empty", 0), (after.Folder, after.PiecesDone)); // nothing there: nothing verified
        Assert.True(web.FilesMatch()); // the data was not touched
    }

    [Fact]
    public async Task PutTrackers_TheRunningTorrentAnnouncesToTheNewListWhichSurvivesARestart()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, slowDelay: TimeSpan.FromMilliseconds(200));
        await using var second = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "downloading", Ct);

        using var response = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/trackers",
            new { tiers = new[] { new[] { second.HttpAnnounceUrl }, new[] { web.Swarm.Tracker.HttpAnnounceUrl } } }, Ct);
        var details = await response.Content.ReadFromJsonAsync<TorrentDetails>(Ct);
        await Wait.UntilAsync(() => second.InfoHashes.Count > 0, TimeSpan.FromSeconds(30), Ct);
        await web.RestartAsync(Ct);
        var after = await web.DetailsAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([second.HttpAnnounceUrl, web.Swarm.Tracker.HttpAnnounceUrl], details!.Trackers.Select(t => t.Url));
        Assert.Equal([0, 1], details.Trackers.Select(t => t.Tier));
        Assert.Equal(web.InfoHash, Assert.Single(second.InfoHashes).Hex);
        Assert.True(after.TrackersEdited);
        Assert.Equal(details.Trackers.Select(t => t.Url), after.Trackers.Select(t => t.Url));
        Assert.Contains("127.0.0.1", after.Summary.TrackerHosts);
    }

    [Theory]
    [InlineData("ftp://tracker.example/announce", "not an http, https or udp URL")]
    [InlineData("http://169.254.169.254/announce", "link-local")]  // a cloud's metadata service
    [InlineData("udp://[fe80::1]:6969/announce", "link-local")]
    [InlineData("http://user:secret@tracker.example/announce", "user name")]
    [InlineData("tracker.example:6969", "not an http, https or udp URL")]
    public async Task PutTrackers_ARefusedUrl_Is400AndChangesNothing(string url, string expected)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        using var response = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/trackers", new { tiers = new[] { new[] { "udp://ok.example:6969/announce", url } } }, Ct);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);
        var details = await web.DetailsAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, error!.Error, StringComparison.Ordinal);
        Assert.False(details.TrackersEdited);
        Assert.Equal(web.Swarm.Tracker.HttpAnnounceUrl, Assert.Single(details.Trackers).Url);
    }

    [Fact]
    public async Task AddPeer_WithNoTracker_TheTorrentDownloadsFromTheGivenPeerAndKeepsIt()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using (var none = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/trackers", new { tiers = Array.Empty<string[]>() }, Ct))
            Assert.Equal(HttpStatusCode.OK, none.StatusCode);

        using var response = await web.Http.PostAsJsonAsync($"/api/torrents/{web.InfoHash}/peers", new { address = web.Swarm.EndPointOf(0).ToString() }, Ct);
        var peers = await response.Content.ReadFromJsonAsync<string[]>(Ct);
        await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        await web.RestartAsync(Ct);
        var after = await web.DetailsAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([web.Swarm.EndPointOf(0).ToString()], peers!);
        Assert.True(web.FilesMatch());
        Assert.Empty(after.Trackers);
        Assert.Equal(peers, after.GivenPeers);
    }

    [Theory]
    [InlineData("169.254.169.254:80", "may not be dialled")] // link-local: a cloud's metadata service
    [InlineData("224.0.0.1:6881", "may not be dialled")]      // multicast
    [InlineData("0.0.0.0:6881", "may not be dialled")]
    [InlineData("127.0.0.1", "expected ip:port")]
    [InlineData("tracker.example:6881", "expected ip:port")]
    public async Task AddPeer_AnAddressNoPeerSourceMayDial_Is400(string address, string expected)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        using var response = await web.Http.PostAsJsonAsync($"/api/torrents/{web.InfoHash}/peers", new { address }, Ct);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, error!.Error, StringComparison.Ordinal);
        Assert.Empty((await web.DetailsAsync(Ct)).GivenPeers);
    }

    [Fact]
    public async Task PutCategory_ShowsInTheRowAndTheListOfCategories()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        using var response = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/category", new { category = "films" }, Ct);
        var summary = await response.Content.ReadFromJsonAsync<TorrentSummary>(Ct);
        var categories = await web.Http.GetFromJsonAsync<string[]>("/api/categories", Ct);
        using var bad = await web.Http.PutAsJsonAsync($"/api/torrents/{web.InfoHash}/category", new { category = " padded " }, Ct);

        Assert.Equal("films", summary!.Category);
        Assert.Equal(["films"], categories!);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("films", Assert.Single(await web.ListAsync(Ct)).Category);
    }

    [Fact]
    public async Task PostQueue_MovesTheTorrentsAndAnUnknownOneMovesNothing()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var other = TestTorrents.SingleFile(1000, name: "other.bin", announce: null);
        using (var form = new MultipartFormDataContent { { new ByteArrayContent(other.TorrentBytes), "torrent", "other.torrent" } })
            await web.Http.PostAsync("/api/torrents?start=false", form, Ct);
        await web.AddAsync(start: false, Ct);
        var before = await web.DetailsAsync(Ct);

        using var top = await web.Http.PostAsJsonAsync("/api/torrents/queue", new { move = "top", infoHashes = new[] { web.InfoHash } }, Ct);
        var after = await web.DetailsAsync(Ct);
        using var unknown = await web.Http.PostAsJsonAsync("/api/torrents/queue", new { move = "bottom", infoHashes = new[] { web.InfoHash, new string('a', 40) } }, Ct);
        using var sideways = await web.Http.PostAsJsonAsync("/api/torrents/queue", new { move = "sideways", infoHashes = new[] { web.InfoHash } }, Ct);

        Assert.Equal((1, 0), (before.QueuePosition, after.QueuePosition));
        Assert.Equal(HttpStatusCode.NoContent, top.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, (await web.DetailsAsync(Ct)).QueuePosition);
        Assert.Equal(HttpStatusCode.BadRequest, sideways.StatusCode);
    }
}
