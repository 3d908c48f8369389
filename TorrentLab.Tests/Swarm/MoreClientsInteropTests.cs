using TorrentLab.Client;
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

    /// <summary>A folder, our tracker, and a torrent of one file (rtorrent puts a single file's data straight into its
    /// folder) of several pieces and a short last one, announced there.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private Rig(TempFolder folder, TrackerServer tracker)
        {
            Folder = folder;
            Tracker = tracker;
            Built = TestTorrents.SingleFile(length: (3 << 20) + 12_345, pieceLength: 64 * 1024, name: "client.bin",
                announce: tracker.HttpAnnounceUrl, seed: 11);
            TorrentPath = Built.WriteTorrent(folder.Path);
        }

        public TempFolder Folder { get; }
        public TrackerServer Tracker { get; }
        public TestTorrents.Built Built { get; }
        public string TorrentPath { get; }

        public static async Task<Rig> StartAsync(string name) =>
            new(new TempFolder($"torrentlab-{name}-interop"), await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct));

        /// <summary>Our seeder of the data in <c>seed/</c>, once the tracker lists it.</summary>
        public async Task<Seeder> SeedAsync()
        {
            Built.WritePayload(Folder.Combine("seed"));
            var seeder = await Seeder.StartAsync(Built.Torrent, new DownloadOptions
            {
                Session = new SessionSettings
                {
                    ListenPort = 0,
                    BindAddresses = [IPAddress.Loopback],
                },
                OutputDirectory = Folder.Combine("seed"),
            }, ct: Ct);
            await WaitForSeederAsync("our seeder");
            return seeder;
        }

        /// <summary>Until the tracker lists a seeder of the torrent (each announces after checking its data).</summary>
        public async Task WaitForSeederAsync(string who)
        {
            await Wait.UntilAsync(() => Tracker.GetSwarm(Built.Torrent.InfoHash).Seeders > 0, TimeSpan.FromSeconds(30), Ct);
            Assert.True(Tracker.GetSwarm(Built.Torrent.InfoHash).Seeders > 0, $"{who} never announced as a seeder");
        }

        /// <summary>Our swarm engine downloads into <c>out/</c> from whoever the tracker names.</summary>
        public async Task<DownloadResult> DownloadAsync()
        {
            var result = await TorrentClient.DownloadAsync(Built.Torrent, new DownloadOptions
            {
                Session = new SessionSettings
                {
                    ListenPort = 0,
                    BindAddresses = [IPAddress.Loopback],
                },
                OutputDirectory = Folder.Combine("out"),
                StallTimeout = TimeSpan.FromSeconds(20),
            }, null, Ct).WaitAsync(TimeSpan.FromSeconds(40), Ct);
            AssertSameData("out");
            Assert.Empty(result.BadPeers);
            return result;
        }

        public void AssertSameData(string folder)
        {
            var path = Path.Combine(Folder.Combine(folder), "client.bin");
            Assert.True(File.Exists(path), $"{path} was not written");
            Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(Built.Payload), "the downloaded data differs from the original");
        }

        /// <summary>The seeder was the only source: all of it left the seeder, from no peer it had to drop.</summary>
        public void AssertSeededWhole(Seeder seeder)
        {
            Assert.True(seeder.Uploaded >= Built.Torrent.TotalLength, $"uploaded {seeder.Uploaded}");
            Assert.Empty(seeder.BadPeers);
        }

        public async ValueTask DisposeAsync()
        {
            await Tracker.DisposeAsync();
            Folder.Dispose();
        }
    }

    [Fact]
    public async Task Seeder_AnRtorrentDownloader_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("rtorrent");
        await using var rig = await Rig.StartAsync("rtorrent");
        await using var seeder = await rig.SeedAsync();

        using var rtorrent = Rtorrent.Start(exe, rig.TorrentPath, rig.Folder.Combine("rt"), rig.Folder.Path);
        await Wait.UntilAsync(() => rtorrent.Finished, TimeSpan.FromSeconds(40), Ct);

        Assert.True(rtorrent.Finished, "rtorrent did not finish: " + rtorrent.Log);
        rig.AssertSameData("rt");
        rig.AssertSeededWhole(seeder);
    }

    [Fact]
    public async Task Download_FromAnRtorrentSeeder_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("rtorrent");
        await using var rig = await Rig.StartAsync("rtorrent");
        rig.Built.WritePayload(rig.Folder.Combine("rt"));
        using var rtorrent = Rtorrent.Start(exe, rig.TorrentPath, rig.Folder.Combine("rt"), rig.Folder.Path);
        await rig.WaitForSeederAsync("rtorrent");

        var result = await rig.DownloadAsync();

        Assert.Contains($"{Rtorrent.Address}:{rtorrent.Port}", result.PeersUsed);
    }

    [Fact]
    public async Task Seeder_AQBittorrentDownloader_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("qbittorrent-nox");
        await using var rig = await Rig.StartAsync("qbittorrent");
        await using var seeder = await rig.SeedAsync();

        using var qbittorrent = await QBittorrentNox.StartAsync(exe, rig.Folder.Path, Ct);
        await qbittorrent.AddAsync(rig.TorrentPath, rig.Folder.Combine("qb"), Ct);
        (string State, double Progress)? state = null;
        await Wait.UntilAsync(async () => (state = await qbittorrent.StateAsync(rig.Built.Torrent.InfoHash.Hex, Ct)) is { Progress: 1 },
            TimeSpan.FromSeconds(40), Ct);

        Assert.True(state is { Progress: 1 }, $"qBittorrent did not finish: {state}");
        rig.AssertSameData("qb");
        rig.AssertSeededWhole(seeder);
    }

    [Fact]
    public async Task Download_FromAQBittorrentSeeder_GetsTheRightData()
    {
        var exe = Interop.RequireExecutable("qbittorrent-nox");
        await using var rig = await Rig.StartAsync("qbittorrent");
        rig.Built.WritePayload(rig.Folder.Combine("qb"));
        using var qbittorrent = await QBittorrentNox.StartAsync(exe, rig.Folder.Path, Ct);
        await qbittorrent.AddAsync(rig.TorrentPath, rig.Folder.Combine("qb"), Ct);
        await rig.WaitForSeederAsync("qBittorrent");

        var result = await rig.DownloadAsync();

        Assert.Contains($"127.0.0.1:{qbittorrent.PeerPort}", result.PeersUsed);
    }

    [Fact]
    public async Task Seeder_AWebtorrentDownloader_GetsTheRightData()
    {
        var script = Interop.RequireWebtorrent();
        await using var rig = await Rig.StartAsync("webtorrent");
        await using var seeder = await rig.SeedAsync();

        using var webtorrent = WebtorrentPeer.Start(script, seed: false, rig.TorrentPath, rig.Folder.Combine("wt"));

        Assert.True(await webtorrent.WaitForAsync("done", TimeSpan.FromSeconds(40), Ct), "webtorrent did not finish: " + webtorrent.Output);
        rig.AssertSameData("wt");
        rig.AssertSeededWhole(seeder);
    }

    [Fact]
    public async Task Download_FromAWebtorrentSeeder_GetsTheRightData()
    {
        var script = Interop.RequireWebtorrent();
        await using var rig = await Rig.StartAsync("webtorrent");
        rig.Built.WritePayload(rig.Folder.Combine("wt"));
        using var webtorrent = WebtorrentPeer.Start(script, seed: true, rig.TorrentPath, rig.Folder.Combine("wt"));
        await rig.WaitForSeederAsync("webtorrent");

        var result = await rig.DownloadAsync();

        Assert.Contains($"127.0.0.1:{webtorrent.Port}", result.PeersUsed);
    }
}
