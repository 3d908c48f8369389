using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>Torrents the server must refuse without leaving anything behind, and a saved list it must survive.</summary>
public class TorrentManagerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> AddBytesAsync(HttpClient http, byte[] torrent)
    {
        var body = new ByteArrayContent(torrent);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
        return await http.PostAsync("/api/torrents?start=false", body, Ct);
    }

    private static string StateFolder(WebTestServer web) => web.Downloads.Combine(".torrentlab", "web");

    private static string[] SavedCopies(WebTestServer web) =>
        Directory.Exists(StateFolder(web)) ? Directory.GetFiles(StateFolder(web), "*.torrent") : [];

    [Fact]
    public async Task Add_TorrentNamedLikeTheStateFolder_Is400AndLeavesNoCopy()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var reserved = TestTorrents.SingleFile(length: 5000, name: ".torrentlab");

        using var response = await AddBytesAsync(web.Http, reserved.TorrentBytes);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("reserved", (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.Empty(await web.ListAsync(Ct));
        Assert.Empty(SavedCopies(web));
    }

    [Fact]
    public async Task Add_TorrentWhoseFolderIsASymbolicLinkOut_Is409WithoutTheLinksTargetAndLeavesNoCopy()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        using var outside = new TempFolder();
        Directory.CreateSymbolicLink(web.Downloads.Combine("webtest"), outside.Path);

        using var response = await AddBytesAsync(web.Http, web.Swarm.Built.TorrentBytes);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error;
        Assert.Contains("symbolic link", error);
        Assert.DoesNotContain(outside.Path, error);
        Assert.Empty(await web.ListAsync(Ct));
        Assert.Empty(SavedCopies(web));
        Assert.Empty(Directory.GetFileSystemEntries(outside.Path));
    }

    /// <summary>Adds the swarm's torrent and another, stops the server, lets <paramref name="damage"/> change the
    /// state folder, and starts a new server over it; returns its list and what it logged.</summary>
    private static async Task<(TorrentSummary[] Listed, string[] Log)> RestartAfterAsync(Action<WebTestServer, string> damage)
    {
        var other = TestTorrents.SingleFile(length: 5000, name: "other.bin", seed: 7);
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        using (var added = await AddBytesAsync(web.Http, other.TorrentBytes)) Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var log = new ConcurrentQueue<string>();
        await web.RestartAsync(Ct, () => damage(web, other.Torrent.InfoHash.Hex), o => o with { Log = log.Enqueue });
        var listed = await web.ListAsync(Ct);
        return (listed, [.. log]);
    }

    [Fact]
    public async Task Restart_WithOneTorrentsCopyMissing_StartsWithTheOthersAndWarns()
    {
        var (listed, log) = await RestartAfterAsync((web, other) => File.Delete(Path.Combine(StateFolder(web), other + ".torrent")));

        Assert.Equal("webtest", Assert.Single(listed).Name);
        Assert.Contains(log, line => line.StartsWith("warning: skipping saved torrent", StringComparison.Ordinal) && line.Contains("missing"));
    }

    [Theory]
    [InlineData("""{"infoHash":"../../../../etc/passwd","name":"x","addedAt":"2026-01-01T00:00:00Z","running":true}""")] // reaches no path
    [InlineData("""{"infoHash":null}""")]
    [InlineData("""{"infoHash":42}""")]
    [InlineData("""[1,2,3]""")]
    public async Task Restart_WithOneBadEntryInTheList_StartsWithTheOthersAndBringsItsTorrentBackPausedFromItsCopy(string badEntry)
    {
        var (listed, log) = await RestartAfterAsync((web, other) =>
        {
            var path = Path.Combine(StateFolder(web), "torrents.json");
            var document = JsonNode.Parse(File.ReadAllText(path))!;
            var torrents = document["torrents"]!.AsArray();
            var index = torrents.Select((t, i) => (t, i)).Single(e => e.t!["infoHash"]!.GetValue<string>() == other).i;
            torrents[index] = JsonNode.Parse(badEntry);
            File.WriteAllText(path, document.ToJsonString());
        });

        Assert.Equal(["other.bin", "webtest"], listed.Select(t => t.Name).Order());
        Assert.Equal("paused", listed.Single(t => t.Name == "other.bin").State);
        Assert.Contains(log, line => line.StartsWith("warning:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_AfterAnAddTheListDidNotRecordYet_BringsTheTorrentBackPaused()
    {
        // The list is written a moment after a change; the .torrent copy at once. A crash in between must lose nothing.
        var (listed, log) = await RestartAfterAsync((web, other) =>
        {
            var path = Path.Combine(StateFolder(web), "torrents.json");
            var document = JsonNode.Parse(File.ReadAllText(path))!;
            var torrents = document["torrents"]!.AsArray();
            torrents.Remove(torrents.Single(t => t!["infoHash"]!.GetValue<string>() == other));
            File.WriteAllText(path, document.ToJsonString());
        });

        Assert.Equal(["other.bin", "webtest"], listed.Select(t => t.Name).Order());
        Assert.Equal("paused", listed.Single(t => t.Name == "other.bin").State);
        Assert.Contains(log, line => line.Contains("not in the list", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_WithTheListCutShort_RecoversEveryTorrentPausedFromItsCopyAndKeepsTheDamagedList()
    {
        var (listed, log) = await RestartAfterAsync((web, _) =>
        {
            var path = Path.Combine(StateFolder(web), "torrents.json");
            var text = File.ReadAllText(path);
            File.WriteAllText(path, text[..(text.Length / 2)]);
        });

        Assert.Equal(["other.bin", "webtest"], listed.Select(t => t.Name).Order());
        Assert.All(listed, t => Assert.Equal("paused", t.State));
        Assert.Contains(log, line => line.Contains("torrents.json.damaged"));
    }

    [Fact]
    public async Task Start_OverAListOfAnotherFormat_RefusesWithOneLineAndLeavesTheListAlone()
    {
        using var downloads = new TempFolder();
        var list = downloads.Combine(".torrentlab", "web", "torrents.json");
        Directory.CreateDirectory(Path.GetDirectoryName(list)!);
        const string newer = """{"version":2,"torrents":[]}""";
        File.WriteAllText(list, newer);

        var error = await Assert.ThrowsAsync<IOException>(() => WebServer.StartAsync(WebTestServer.Options(downloads.Path), Ct));

        Assert.EndsWith("format 2, this server reads 1", error.Message);
        Assert.Equal(newer, File.ReadAllText(list));
    }

    [Fact]
    public async Task PrepareAdd_HoldsThePlaceUntilCommittedOrAbandoned()
    {
        using var folder = new TempFolder();
        await using var manager = TorrentManager.Open(new WebServerOptions
        {
            Downloads = folder.Path, PeerBindAddresses = [IPAddress.Loopback], PeerPort = 0, Dht = false,
        });
        var built = TestTorrents.SingleFile(length: 5000, name: "held");
        var other = TestTorrents.SingleFile(length: 5000, name: "held", seed: 2); // another torrent for the same place

        var prepared = await manager.PrepareAddAsync(built.Torrent, built.TorrentBytes, start: false, null, skipChecking: false, Ct);
        var again = await Assert.ThrowsAsync<WebApiException>(() => manager.PrepareAddAsync(built.Torrent, built.TorrentBytes, false, null, false, Ct));
        var elsewhere = await Assert.ThrowsAsync<WebApiException>(() => manager.AddAsync(other.TorrentBytes, start: false, Ct));
        manager.Abandon(prepared);
        var added = await manager.AddAsync(other.TorrentBytes, start: false, Ct);

        Assert.Equal(409, again.StatusCode);
        Assert.Equal(409, elsewhere.StatusCode);
        Assert.Equal(other.Torrent.InfoHash.Hex, added.InfoHash); // abandoned: the place was free again
        Assert.Null(manager.Find(built.Torrent.InfoHash.Hex));
    }
}
