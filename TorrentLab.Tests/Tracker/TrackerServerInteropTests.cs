using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Tracker;

/// <summary>A python3-libtorrent seeder announcing to OUR tracker: it shows in scrape counts and in other peers' lists.</summary>
[Trait("Tier", "Slow")]
public class TrackerServerInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LibtorrentSeeder_AnnouncingToOurTracker_IsCountedAndListed()
    {
        var python = Interop.RequireLibtorrentPython();
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        using var folder = new TempFolder("torrentlab-ourtracker");
        var built = TestTorrents.SingleFile(length: 200_000, announce: server.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));

        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("data"), folder.Path, Ct);

        var swarm = server.GetSwarm(built.Torrent.InfoHash);
        var peer = Assert.Single(swarm.Peers);
        Assert.Equal(($"127.0.0.1:{seeder.Port}", true), (peer.EndPoint.ToString(), peer.IsSeeder));
        Assert.Equal("-LT", System.Text.Encoding.ASCII.GetString(peer.PeerId.Bytes[..3])); // BEP 20: libtorrent's own id

        using var client = new TrackerClient([[server.UdpAnnounceUrl], [server.HttpAnnounceUrl]]);
        Assert.Equal(new ScrapeResult(Seeders: 1, Leechers: 0, Completed: 0), await client.ScrapeAsync(built.Torrent.InfoHash, Ct));
        var answer = await client.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), 7401, 0, 0, built.Torrent.TotalLength, AnnounceEvent.Started), Ct);
        Assert.Contains($"127.0.0.1:{seeder.Port}", answer.Peers.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task DefaultLibtorrentSeeder_TrackerIntervalOf5s_IsStillListed25sAnd299sAfterItsAnnounce(string transport)
    {
        // Issue 56: with --interval 5, peers were forgotten after 10 s, but libtorrent announces at most every 300 s
        // (min_announce_interval) whatever the tracker sends. The tracker's clock is driven here, not waited for:
        // libtorrent announces once (wall time) and the tracker's clock then jumps past 25 s and to 299 s.
        var python = Interop.RequireLibtorrentPython();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await TrackerServer.StartAsync(
            new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromSeconds(5), Time = clock }, Ct);
        using var folder = new TempFolder("torrentlab-ourtracker");
        var url = transport == "http" ? server.HttpAnnounceUrl : server.UdpAnnounceUrl;
        var built = TestTorrents.SingleFile(length: 200_000, announce: url);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));

        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("data"), folder.Path, Ct); // ready: announced
        Assert.Equal(1, server.GetSwarm(built.Torrent.InfoHash).Seeders);

        var announced = clock.GetUtcNow();
        foreach (var seconds in (int[])[25, 299])
        {
            clock.Advance(announced + TimeSpan.FromSeconds(seconds) - clock.GetUtcNow());
            using var client = new TrackerClient([[url]]);   // a new client: a UDP connection id of the tracker's new minute
            var scrape = await client.ScrapeAsync(built.Torrent.InfoHash, Ct);
            Assert.Equal((seconds, 1, 0), (seconds, scrape.Seeders, scrape.Leechers));
        }
    }
}
