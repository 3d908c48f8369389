using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The idle seeding limit (<see cref="DownloadOptions.SeedIdleTime"/>, <c>SeedingTorrent</c>'s limit timer):
/// seeding ends once nothing was uploaded for that long, and an upload starts the count again. On the simulated
/// network and clock, so minutes pass without waiting.</summary>
[Trait("Tier", "Slow")]
public class SeedingTorrentIdleTests
{
    [Fact]
    public void IdleLimit_AnUploadStartsItAgain_ThenItEndsTheSeedingThatLongAfterTheLastUpload() => Simulated.Passes(UploadResetsIdle, seed: 71);

    private static SessionSettings OnPort(SimRun sim, SimHost host) => sim.SessionOn(host, new SessionSettings
    {
        ListenPort = 6881, Transport = PeerTransport.Tcp, Dht = false,
    });

    /// <summary>A seed with a 10-minute idle limit; a leecher downloads from it 7 minutes in. At 12 minutes (past the
    /// limit counted from the start of seeding, 5 minutes after the upload) it still seeds; it ends about 10 minutes
    /// after the last upload.</summary>
    internal static async Task UploadResetsIdle(SimRun sim)
    {
        var idle = TimeSpan.FromMinutes(10);
        var built = TestTorrents.SingleFile(length: 200_000, name: "idle.bin", announce: null, seed: 71);
        var seedHost = sim.Network.AddHost("seed", LinkSpec.Fast);
        var leechHost = sim.Network.AddHost("leech", LinkSpec.Fast);
        var seedFolder = sim.FolderOf(seedHost);
        built.WritePayload(seedFolder);
        await using var seeds = TorrentSession.Start(OnPort(sim, seedHost));
        var seeder = seeds.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = seedFolder, Trackers = [], SeedAfterDownload = true, SeedIdleTime = idle, Log = seedHost.LogLine,
        });
        Assert.True(await sim.WaitUntil(() => seeder.State == TorrentState.Seeding, TimeSpan.FromMinutes(1)), $"never seeding: {seeder.State}");
        var seedingAt = sim.Clock.GetUtcNow();

        await sim.Delay(TimeSpan.FromMinutes(7));
        var afterSeven = seeder.State;
        await using var leeches = TorrentSession.Start(OnPort(sim, leechHost));
        var leecher = leeches.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = sim.FolderOf(leechHost), Trackers = [], ExtraPeers = [new IPEndPoint(seedHost.Address, 6881)],
        });
        Assert.True(await sim.WaitUntil(() => leecher.State == TorrentState.Completed, TimeSpan.FromMinutes(2)), $"never downloaded: {leecher.State}");
        var downloadedAt = sim.Clock.GetUtcNow();
        await sim.Delay(seedingAt + TimeSpan.FromMinutes(12) - downloadedAt);
        var afterTwelve = seeder.State;
        Assert.True(await sim.WaitUntil(() => seeder.State == TorrentState.Completed, TimeSpan.FromMinutes(10)), $"never ended: {seeder.State}");
        var endedAt = sim.Clock.GetUtcNow();

        Assert.Equal(TorrentState.Seeding, afterSeven);
        Assert.Equal(TorrentState.Seeding, afterTwelve); // the upload started the idle time again
        Assert.InRange(endedAt - downloadedAt, idle - TimeSpan.FromMinutes(1), idle + TimeSpan.FromSeconds(1));
        Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(leechHost), "idle.bin")));
    }
}
