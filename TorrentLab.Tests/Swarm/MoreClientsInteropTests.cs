using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>Our swarm engine against three more clients, both directions, through our tracker on 127.0.0.1: rtorrent
/// (libtorrent-rakshasa, an implementation of its own; on 127.0.0.3), qbittorrent-nox (libtorrent-rasterbar inside a
/// daemon, driven through its WebUI API) and webtorrent (Node).</summary>
[Trait("Tier", "Slow")]
public class MoreClientsInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // One file (rtorrent puts a single file's data straight into its folder), several pieces, a short last one.
    private static TestTorrents.Built Payload(string announce) =>
        TestTorrents.SingleFile(length: (3 << 20) + 12_345, pieceLength: 64 * 1024, name: "daemon.bin", announce: announce, seed: 11);

    private static void AssertSameData(TestTorrents.Built built, string folder)
    {
        var path = Path.Combine(folder, "daemon.bin");
        Assert.True(File.Exists(path), $"{path} was not written");
        Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(built.Payload), "the downloaded data differs from the original");
    }

    private static async Task<Seeder> SeedAsync(TestTorrents.Built built, string folder, TrackerServer tracker)
    {
        built.WritePayload(folder);
        var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder,
            ListenPort = 0,
            BindAddress = IPAddress.Loopback,
        }, ct: Ct);
        await WaitForSeederAsync(tracker, built, "our seeder");
        return seeder;
    }

    /// <summary>Until the tracker lists a seeder of the torrent (each announces after checking its data).</summary>
    private static async Task WaitForSeederAsync(TrackerServer tracker, TestTorrents.Built built, string who)
    {
        for (var i = 0; i < 300 && tracker.GetSwarm(built.Torrent.InfoHash).Seeders == 0; i++) await Task.Delay(100, Ct);
        Assert.True(tracker.GetSwarm(built.Torrent.InfoHash).Seeders > 0, $"{who} never announced as a seeder");
    }

    private static Task<DownloadResult> DownloadAsync(TestTorrents.Built built, string output) =>
        SwarmDownload.RunAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = output,
            ListenPort = 0,
            BindAddress = IPAddress.Loopback,
            StallTimeout = TimeSpan.FromSeconds(20),
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(40), Ct);

    [Fact]
    public async Task Seeder_AnRtorrentDownloader_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("rtorrent");
        using var folder = new TempFolder("torrentlab-rtorrent-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrent = built.WriteTorrent(folder.Path);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"), tracker);

        using var rtorrent = Rtorrent.Start(exe, torrent, folder.Combine("rt"), folder.Path);
        for (var i = 0; i < 400 && !rtorrent.Finished; i++) await Task.Delay(100, Ct);

        Assert.True(rtorrent.Finished, "rtorrent did not finish: " + LogOf(folder));
        AssertSameData(built, folder.Combine("rt"));
        Assert.True(seeder.Uploaded >= built.Torrent.TotalLength, $"uploaded {seeder.Uploaded}");
        Assert.Empty(seeder.BadPeers);
    }

    [Fact]
    public async Task Download_FromAnRtorrentSeeder_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("rtorrent");
        using var folder = new TempFolder("torrentlab-rtorrent-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("rt"));
        using var rtorrent = Rtorrent.Start(exe, torrent, folder.Combine("rt"), folder.Path);
        await WaitForSeederAsync(tracker, built, "rtorrent");

        var result = await DownloadAsync(built, folder.Combine("out"));

        AssertSameData(built, folder.Combine("out"));
        Assert.Contains($"{Rtorrent.Address}:{rtorrent.Port}", result.PeersUsed);
        Assert.Empty(result.BadPeers);
    }

    [Fact]
    public async Task Seeder_AQBittorrentDownloader_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("qbittorrent-nox");
        using var folder = new TempFolder("torrentlab-qbittorrent-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrent = built.WriteTorrent(folder.Path);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"), tracker);

        using var qbittorrent = await QBittorrentNox.StartAsync(exe, folder.Path, Ct);
        await qbittorrent.AddAsync(torrent, folder.Combine("qb"), Ct);
        (string State, double Progress)? state = null;
        for (var i = 0; i < 400 && state is not { Progress: 1 }; i++)
        {
            await Task.Delay(100, Ct);
            state = await qbittorrent.StateAsync(built.Torrent.InfoHash.Hex, Ct);
        }

        Assert.True(state is { Progress: 1 }, $"qBittorrent did not finish: {state}");
        AssertSameData(built, folder.Combine("qb"));
        Assert.True(seeder.Uploaded >= built.Torrent.TotalLength, $"uploaded {seeder.Uploaded}");
        Assert.Empty(seeder.BadPeers);
    }

    [Fact]
    public async Task Download_FromAQBittorrentSeeder_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("qbittorrent-nox");
        using var folder = new TempFolder("torrentlab-qbittorrent-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("qb"));
        using var qbittorrent = await QBittorrentNox.StartAsync(exe, folder.Path, Ct);
        await qbittorrent.AddAsync(torrent, folder.Combine("qb"), Ct);
        await WaitForSeederAsync(tracker, built, "qBittorrent");

        var result = await DownloadAsync(built, folder.Combine("out"));

        AssertSameData(built, folder.Combine("out"));
        Assert.Contains($"127.0.0.1:{qbittorrent.PeerPort}", result.PeersUsed);
        Assert.Empty(result.BadPeers);
    }

    [Fact]
    public async Task Seeder_AWebtorrentDownloader_GetsTheRightData()
    {
        var script = Interop.RequireWebtorrent();
        using var folder = new TempFolder("torrentlab-webtorrent-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrent = built.WriteTorrent(folder.Path);
        await using var seeder = await SeedAsync(built, folder.Combine("seed"), tracker);

        using var webtorrent = WebtorrentPeer.Start(script, seed: false, torrent, folder.Combine("wt"));

        Assert.True(await webtorrent.WaitForAsync("done", TimeSpan.FromSeconds(40), Ct), "webtorrent did not finish: " + webtorrent.Output);
        AssertSameData(built, folder.Combine("wt"));
        Assert.True(seeder.Uploaded >= built.Torrent.TotalLength, $"uploaded {seeder.Uploaded}");
        Assert.Empty(seeder.BadPeers);
    }

    [Fact]
    public async Task Download_FromAWebtorrentSeeder_GetsTheRightData()
    {
        var script = Interop.RequireWebtorrent();
        using var folder = new TempFolder("torrentlab-webtorrent-interop");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = Payload(tracker.HttpAnnounceUrl);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("wt"));
        using var webtorrent = WebtorrentPeer.Start(script, seed: true, torrent, folder.Combine("wt"));
        await WaitForSeederAsync(tracker, built, "webtorrent");

        var result = await DownloadAsync(built, folder.Combine("out"));

        AssertSameData(built, folder.Combine("out"));
        Assert.Contains($"127.0.0.1:{webtorrent.Port}", result.PeersUsed);
        Assert.Empty(result.BadPeers);
    }

    private static string LogOf(TempFolder folder)
    {
        var log = folder.Combine("rtorrent.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }
}
