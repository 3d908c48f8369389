using System.Collections.Concurrent;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.Transmission;
using static TorrentLab.Tests.Web.QBittorrent.QBittorrentApiTests;

namespace TorrentLab.Tests.Web;

/// <summary>What the remote tools change on a running torrent reaches it live: through serve's qBittorrent API and
/// Transmission RPC, a download from a python3-libtorrent seeder takes a peer, reannounces, gains and loses trackers,
/// changes each limit, its piece order, its files' priorities, its share limits, super-seeding on and off and its peer
/// cap, completes and goes
/// on seeding, all on the one TCP connection it opened to the seeder (one "connected" line, never a second handshake).
/// Tools that drive the qBittorrent API reannounce routinely: a reannounce that dropped every peer cost their upload
/// standing each time.</summary>
[Trait("Tier", "Slow")]
public class RemoteChangesInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task EveryRemoteChange_OfADownloadFromLibtorrent_KeepsItsOneConnection_ThroughToSeeding()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-remote-live");
        var built = TestTorrents.MultiFile([("a.bin", 900_000), ("b.bin", 700_000), ("c.bin", 500_000)], pieceLength: 32 * 1024,
            name: "live", announce: null, seed: 91);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // 128 KiB/s: about 16 s for the 2 MiB, so every change below reaches a torrent still downloading.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 128 * 1024);
        var lines = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o =>
        {
            var swarm = WebTestServer.SwarmEngine(o);
            return swarm with { SeedAfterDownload = true, ConfigureDownload = d => swarm.ConfigureDownload!(d) with { Log = lines.Enqueue } };
        });
        var hash = built.Torrent.InfoHash.Hex;
        var rpc = new RpcClient(web.Http);
        async Task<JsonElement> RowAsync() =>
            JsonDocument.Parse(await web.Http.GetStringAsync($"/api/v2/torrents/info?hashes={hash}", Ct)).RootElement[0].Clone();
        using (var added = await web.UploadAsync(built.TorrentBytes, start: true, Ct)) Assert.True(added.IsSuccessStatusCode);
        var connected = $"peer 127.0.0.1:{seeder.Port}: connected";

        await PostAsync(web.Http, "torrents/addPeers", ("hashes", hash), ("peers", $"127.0.0.1:{seeder.Port}"));
        await Wait.UntilAsync(async () => (await RowAsync()).GetProperty("completed").GetInt64() > 0, Patience, "no data from the libtorrent seeder", Ct);
        // qBittorrent's API, as qbit_manage and the *arr apps call it.
        await PostAsync(web.Http, "torrents/reannounce", ("hashes", hash));
        await PostAsync(web.Http, "torrents/addTrackers", ("hash", hash), ("urls", "http://127.0.0.1:9/a/announce"));
        await PostAsync(web.Http, "torrents/removeTrackers", ("hash", hash), ("urls", "http://127.0.0.1:9/a/announce"));
        await PostAsync(web.Http, "torrents/setDownloadLimit", ("hashes", hash), ("limit", "65536"));
        await PostAsync(web.Http, "torrents/setUploadLimit", ("hashes", hash), ("limit", "65536"));
        await PostAsync(web.Http, "torrents/toggleSequentialDownload", ("hashes", hash));
        await PostAsync(web.Http, "torrents/filePrio", ("hash", hash), ("id", "2"), ("priority", "6"));
        await PostAsync(web.Http, "torrents/setShareLimits", ("hashes", hash), ("ratioLimit", "5"), ("seedingTimeLimit", "-1"));
        await PostAsync(web.Http, "torrents/setSuperSeeding", ("hashes", hash), ("value", "true"));
        var superSeeding = (await RowAsync()).GetProperty("super_seeding").GetBoolean();
        await PostAsync(web.Http, "torrents/setSuperSeeding", ("hashes", hash), ("value", "false"));
        // Transmission's RPC, as transmission-remote and its web client call it.
        await rpc.SucceedAsync("torrent-reannounce", new { ids = new[] { hash } }, Ct);
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { hash }, trackerAdd = new[] { "http://127.0.0.1:9/b/announce" } }, Ct);
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { hash }, uploadLimit = 32, uploadLimited = true, seedRatioLimit = 4.0, seedRatioMode = 1 }, Ct);
        await rpc.SucceedAsync("torrent-set", new Dictionary<string, object> { ["ids"] = new[] { hash }, ["peer-limit"] = 40 }, Ct);
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { hash }, sequentialDownload = false }, Ct);
        var stillDownloading = (await RowAsync()).GetProperty("amount_left").GetInt64() > 0;
        await rpc.SucceedAsync("torrent-set", new { ids = new[] { hash }, downloadLimited = false, uploadLimited = false }, Ct);
        await Wait.UntilAsync(async () => (await RowAsync()).GetProperty("state").GetString() is "uploading" or "stalledUP", Patience,
            "the download never completed to seed on", Ct);

        Assert.True(superSeeding);
        Assert.False((await RowAsync()).GetProperty("super_seeding").GetBoolean());
        Assert.True(stillDownloading, "the download completed before the last change: the test proves nothing; slow the seeder");
        Assert.Equal(built.Payload, Directory.GetFiles(web.Downloads.Combine("live")).Order(StringComparer.Ordinal).SelectMany(File.ReadAllBytes).ToArray());
        Assert.Equal(1, lines.Count(l => l.StartsWith(connected, StringComparison.Ordinal))); // one handshake: the connection was kept
    }

    /// <summary>A seeding torrent whose skipped file a remote tool wants after all (qBittorrent's <c>filePrio</c>) downloads
    /// it in the same swarm: the libtorrent leecher connected to it keeps its one connection (one incoming handshake),
    /// the torrent goes back to downloading, never checking, and seeds on with every file.</summary>
    [Fact]
    public async Task ASeedingTorrentMadeToWantASkippedFile_DownloadsIt_WithTheLeechersConnectionKept()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-remote-more");
        var built = TestTorrents.MultiFile([("a.bin", 600_000), ("b.bin", 500_000), ("c.bin", 400_000)], pieceLength: 32 * 1024,
            name: "more", announce: null, seed: 92);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct);
        var lines = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o =>
        {
            var swarm = WebTestServer.SwarmEngine(o);
            return swarm with { SeedAfterDownload = true, ConfigureDownload = d => swarm.ConfigureDownload!(d) with { Log = lines.Enqueue } };
        });
        var hash = built.Torrent.InfoHash.Hex;
        async Task<string> StateAsync() =>
            JsonDocument.Parse(await web.Http.GetStringAsync($"/api/v2/torrents/info?hashes={hash}", Ct)).RootElement[0].GetProperty("state").GetString()!;
        using (var added = await web.UploadAsync(built.TorrentBytes, start: false, Ct)) Assert.True(added.IsSuccessStatusCode);
        await PostAsync(web.Http, "torrents/filePrio", ("hash", hash), ("id", "2"), ("priority", "0"));
        await PostAsync(web.Http, "torrents/addPeers", ("hashes", hash), ("peers", $"127.0.0.1:{seeder.Port}"));
        await PostAsync(web.Http, "torrents/resume", ("hashes", hash));
        await Wait.UntilAsync(async () => await StateAsync() is "uploading" or "stalledUP", Patience, "never seeding the two files it wanted", Ct);
        // A libtorrent leecher of every file dials us, takes what we have and stays (64 KiB/s).
        var script = Path.Combine(folder.Path, "leecher.py");
        await File.WriteAllTextAsync(script, TorrentLab.Tests.Client.TorrentHandleInteropTests.Leecher, Ct);
        using var leecher = ProcessRunner.Start(python, [script, torrentPath, folder.Combine("leech"), ProcessRunner.FreeTcpPort().ToString(),
            web.Server.PeerPort.ToString(), (64 * 1024).ToString()]);
        try
        {
            await Wait.UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains(": connected (incoming", StringComparison.Ordinal))), Patience,
                "the libtorrent leecher never connected", Ct);

            await PostAsync(web.Http, "torrents/filePrio", ("hash", hash), ("id", "2"), ("priority", "1"));

            var after = await StateAsync();
            await Wait.UntilAsync(async () => await StateAsync() is "uploading" or "stalledUP", Patience, "never seeding every file", Ct);
            Assert.True(after is "downloading" or "stalledDL" or "uploading" or "stalledUP", after); // never checking or paused
            Assert.Equal(built.Payload, Directory.GetFiles(web.Downloads.Combine("more")).Order(StringComparer.Ordinal).SelectMany(File.ReadAllBytes).ToArray());
            Assert.Contains(lines, l => l.StartsWith("downloading again: ", StringComparison.Ordinal));
            Assert.Equal(1, lines.Count(l => l.Contains(": connected (incoming", StringComparison.Ordinal))); // the leecher's one connection
            Assert.DoesNotContain(lines, l => l.Contains("seeding stopped", StringComparison.Ordinal));
        }
        finally
        {
            ProcessRunner.Stop(leecher);
        }
    }
}
