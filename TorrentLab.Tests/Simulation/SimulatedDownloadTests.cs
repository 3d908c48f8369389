using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Simulation;

/// <summary>The unchanged session on the simulated network: a download between simulated hosts, and the proof that a
/// run is a function of its seed.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class SimulatedDownloadTests
{
    [Fact]
    public void TwoPublicHosts_OverTcp_DownloadTheTorrent_AndTheSameSeedGivesTheSameEventLog()
    {
        var run = Simulated.Deterministic(TwoHostsOverTcp, seed: 1);
        Assert.True(run.Events > 100, $"only {run.Events} events");
    }

    internal static async Task TwoHostsOverTcp(SimRun sim)
    {
        var link = new LinkSpec(TimeSpan.FromMilliseconds(20), UpBytesPerSecond: 1 << 20, DownBytesPerSecond: 4 << 20);
        var seedHost = sim.Network.AddHost("seed", link);
        var leechHost = sim.Network.AddHost("leech", link);
        var built = TestTorrents.SingleFile(length: 2 << 20, pieceLength: 64 * 1024, announce: null, seed: 5);
        built.WritePayload(sim.FolderOf(seedHost));

        var settings = new SessionSettings { ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false };
        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, settings));
        await using var seeder = await Seeder.StartAsync(seedSession, built.Torrent,
            new DownloadOptions { OutputDirectory = sim.FolderOf(seedHost), Log = seedHost.LogLine }, allowPartial: false);
        await using var leechSession = TorrentClient.StartSession(sim.SessionOn(leechHost, settings));
        var result = await TorrentClient.DownloadAsync(leechSession, built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(leechHost),
            Log = leechHost.LogLine,
            ExtraPeers = [new System.Net.IPEndPoint(seedHost.Address, 6881)],
        });

        Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(leechHost), built.Torrent.Name)));
        // 2 MiB at the seed's 1 MiB/s upload: about two simulated seconds, and not less than the link allows.
        Assert.InRange(sim.Clock.Now, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        sim.Log.Line("scenario", $"done at {sim.Clock.Now}, {result}");
    }
}
