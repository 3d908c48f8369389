using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Lab;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The REST API over real HTTP (Kestrel on a loopback port), downloading from the mock swarm.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Add_UploadedTorrent_DownloadsEveryFileAndDetailsShowThemComplete()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        var added = await web.AddAsync(start: true, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal(web.InfoHash, added.InfoHash);
        Assert.Equal("webtest", added.Name);
        Assert.Equal(1.0, done.Progress);
        Assert.Equal(web.Swarm.Built.Torrent.PieceCount, done.PiecesDone);
        Assert.True(web.FilesMatch());
        var details = await web.DetailsAsync(Ct);
        Assert.Equal(["webtest/a.bin", "webtest/sub/b.bin"], details.Files.Select(f => f.Path));
        Assert.All(details.Files, f => Assert.Equal(1.0, f.Progress));
        Assert.Equal(new string('2', web.Swarm.Built.Torrent.PieceCount), details.Pieces); // every piece verified
        var tracker = Assert.Single(details.Trackers);
        Assert.Equal(web.Swarm.Tracker.HttpAnnounceUrl, tracker.Url);
        Assert.Contains("1 peer(s)", tracker.LastAnswer);
        Assert.Empty(details.Peers); // the download ended: its peer is disconnected and drops out of the list
    }

    [Fact]
    public async Task Details_WhileDownloading_ListTheConnectedPeerAndDropItOncePaused()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 80, slowDelay: TimeSpan.FromMilliseconds(50));

        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.PiecesDone >= 2, Ct);
        TorrentDetails details = null!;
        await Wait.UntilAsync(async () => (details = await web.DetailsAsync(Ct)).Peers.Count > 0, TimeSpan.FromSeconds(30), Ct);
        (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/pause", null, Ct)).Dispose();
        var paused = await web.DetailsAsync(Ct);

        var peer = Assert.Single(details.Peers);
        Assert.Equal(web.Swarm.EndPointOf(0).ToString(), peer.Address);
        Assert.StartsWith("TorrentLab", peer.Client); // the synthetic seeder's BEP 20 prefix is -TZ0100-
        Assert.True(peer.Connected);
        Assert.Equal("paused", paused.Summary.State);
        Assert.Empty(paused.Peers); // no stale row with its last rate
    }

    [Theory]
    [InlineData(TorrentLab.Creation.TorrentFormat.V2, "merkle-sha256")]
    [InlineData(TorrentLab.Creation.TorrentFormat.Hybrid, "sha1+merkle-sha256")]
    public async Task Add_V2OrHybridTorrent_IsAcceptedAndDetailsShowMetaVersionAndV2InfoHash(TorrentLab.Creation.TorrentFormat format, string scheme)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var bytes = TorrentLab.Creation.TorrentBuilder.Create("v2web", [(["a.bin"], TestTorrents.Payload(40_000, 9))],
            new TorrentLab.Creation.TorrentCreateOptions { PieceLength = 16 * 1024, Format = format });
        var torrent = TorrentLab.Metainfo.Torrent.Parse(bytes);

        using var body = new ByteArrayContent(bytes);
        body.Headers.ContentType = new("application/x-bittorrent");
        using var response = await web.Http.PostAsync("/api/torrents?start=false", body, Ct);
        var details = (await web.Http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{torrent.InfoHash.Hex}", Ct))!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, details.MetaVersion);
        Assert.Equal(torrent.InfoHashV2!.Value.Hex, details.InfoHashV2);
        Assert.Equal(scheme, details.HashScheme);
        var file = Assert.Single(details.Files); // the padding after it is not listed
        Assert.EndsWith("a.bin", file.Path);
    }

    [Fact]
    public async Task Details_SwarmEngine_CountThePeersEachSourceGave()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxPeers = 50 });

        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        var details = await web.DetailsAsync(Ct);

        // The tracker gave the one seeder; the DHT found nobody (the suite is loopback-only: no public router is asked).
        Assert.Equal(new TorrentLab.Downloads.PeerSources(Given: 0, Tracker: 1, Pex: 0, Dht: 0), details.PeerSources);
    }

    [Fact]
    public async Task Add_RawBodyWithoutStart_IsListedPausedWithNothingDownloaded()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var body = new ByteArrayContent(web.Swarm.Built.TorrentBytes);
        body.Headers.ContentType = new("application/x-bittorrent");
        using var response = await web.Http.PostAsync("/api/torrents?start=false", body, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var listed = Assert.Single(await web.ListAsync(Ct));
        Assert.Equal("paused", listed.State);
        Assert.Equal(0, listed.PiecesDone);
        Assert.False(File.Exists(web.Downloads.Combine("webtest", "a.bin")));
    }

    [Fact]
    public async Task Add_PathOnTheServer_ReadsThatTorrentButDownloadsIntoTheDownloadsFolder()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var elsewhere = new TempFolder();
        var path = web.Swarm.Built.WriteTorrent(elsewhere.Path, "by-path.torrent");

        using var response = await web.Http.PostAsJsonAsync("/api/torrents", new { path }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.True(web.FilesMatch());
        Assert.False(Directory.Exists(Path.Combine(elsewhere.Path, "webtest")));
    }

    [Theory]
    [InlineData("/etc/passwd", HttpStatusCode.BadRequest)]          // not a .torrent
    [InlineData("/nonexistent/x.torrent", HttpStatusCode.NotFound)] // no such file
    public async Task Add_PathThatIsNotAnExistingTorrentFile_IsRefused(string path, HttpStatusCode expected)
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.PostAsJsonAsync("/api/torrents", new { path }, Ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task Add_NotBencode_Is400WithTheByteOffset()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.UploadAsync(Encoding.ASCII.GetBytes("d8:announcei1e4:infoX"), start: true, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error;
        Assert.Contains("invalid bencode", error);
        Assert.Contains("at byte 20", error); // 'X' where a value should start
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task Add_BencodeThatIsNoTorrent_Is400NamingTheMissingKey()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.UploadAsync(Encoding.ASCII.GetBytes("d8:announce3:abce"), start: true, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("info", (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
    }

    [Fact]
    public async Task Add_LargerThanTheLimit_Is413()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { MaxTorrentBytes = 64 * 1024 });

        using var response = await web.UploadAsync(new byte[200 * 1024], start: true, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task Add_SameTorrentTwice_Is409()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        using var again = await web.UploadAsync(web.Swarm.Built.TorrentBytes, start: false, Ct);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Single(await web.ListAsync(Ct));
    }

    [Fact]
    public async Task Details_UnknownInfoHash_Is404()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.GetAsync($"/api/torrents/{new string('a', 40)}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task PauseThenStart_SlowSeeder_StopsMidwayKeepsVerifiedPiecesAndFinishes()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 40, slowDelay: TimeSpan.FromMilliseconds(40));
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.PiecesDone >= 3, Ct);

        using var pause = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/pause", null, Ct);
        var paused = (await pause.Content.ReadFromJsonAsync<TorrentSummary>(Ct))!;

        Assert.Equal("paused", paused.State);
        Assert.InRange(paused.PiecesDone, 3, 39);
        // The engine saved its ledger before the pause returned: the verified pieces are remembered.
        Assert.True(LedgerInspector.SavedPieces(ResumeLedger.PathFor(web.Downloads.Path, web.Swarm.Built.Torrent.InfoHash)) >= 3);

        using var start = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct);
        Assert.Equal("downloading", (await start.Content.ReadFromJsonAsync<TorrentSummary>(Ct))!.State);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Remove_KeepingData_ForgetsTheTorrentButLeavesItsFiles()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        using var response = await web.Http.DeleteAsync($"/api/torrents/{web.InfoHash}?deleteData=false", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await web.ListAsync(Ct));
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Remove_DeletingData_DeletesOnlyTheTorrentsFilesAndLedger()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);
        // Something of the user's beside the download, and inside the torrent's folder: neither is the torrent's.
        File.WriteAllText(web.Downloads.Combine("keep-me.txt"), "mine");
        File.WriteAllText(web.Downloads.Combine("webtest", "sub", "notes.txt"), "mine too");

        using var response = await web.Http.DeleteAsync($"/api/torrents/{web.InfoHash}?deleteData=true", Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(File.Exists(web.Downloads.Combine("webtest", "a.bin")));
        Assert.False(File.Exists(web.Downloads.Combine("webtest", "sub", "b.bin")));
        Assert.False(File.Exists(ResumeLedger.PathFor(web.Downloads.Path, web.Swarm.Built.Torrent.InfoHash)));
        Assert.True(File.Exists(web.Downloads.Combine("keep-me.txt")));
        Assert.True(File.Exists(web.Downloads.Combine("webtest", "sub", "notes.txt"))); // so its folder stays too
    }

    [Fact]
    public async Task Restart_CompletedAndPausedTorrents_AreListedAgainWithTheirProgress()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.State == "completed", Ct);

        await web.RestartAsync(Ct);

        var listed = Assert.Single(await web.ListAsync(Ct));
        Assert.Equal(web.InfoHash, listed.InfoHash);
        Assert.Equal("completed", listed.State);
        Assert.Equal(1.0, listed.Progress);
    }

    [Fact]
    public async Task Restart_WhileDownloading_ResumesFromTheLedgerAndFinishes()
    {
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 40, slowDelay: TimeSpan.FromMilliseconds(40));
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.PiecesDone >= 3, Ct);

        await web.RestartAsync(Ct);

        // Right after the restart the row shows the pieces the ledger kept, and the torrent runs again.
        var listed = Assert.Single(await web.ListAsync(Ct));
        Assert.Equal("downloading", listed.State);
        Assert.True(listed.PiecesDone >= 3, $"expected the ledger's pieces after restart, got {listed.PiecesDone}");
        await web.WaitForAsync(t => t.State == "completed", Ct);
        Assert.True(web.FilesMatch());
    }

    [Fact]
    public async Task Token_RequiredOnLoopback_RefusesCallsWithoutItAndAcceptsThemWithIt()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = "s3cret-token" });
        using var anonymous = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        using var wrong = new HttpClient { BaseAddress = new Uri(web.Server.Url) };
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", "s3cret-tokeX");

        using var none = await anonymous.GetAsync("/api/torrents", Ct);
        using var bad = await wrong.GetAsync("/api/torrents", Ct);
        using var good = await web.Http.GetAsync("/api/torrents", Ct); // sends the server's token
        using var page = await anonymous.GetAsync("/", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode); // the page holds no data and asks for the token itself
    }
}
