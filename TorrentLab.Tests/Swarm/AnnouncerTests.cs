using System.Net;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm engine's announcer asks for 200 peers (<c>numwant</c>, <see cref="AnnounceRequest.DefaultNumWant"/>),
/// as libtorrent does: a tracker still lists peers that vanished without a <c>stopped</c> announce, and a random 50 of
/// them can hold no live one.</summary>
public class AnnouncerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATrackerListingOneHundredAndTwentyPeers_GivesTheAnnouncerAllOfThemInOneAnswer()
    {
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = TestTorrents.SingleFile(length: 1000);
        using (var others = new TrackerClient([[tracker.HttpAnnounceUrl]]))
        {
            for (var i = 0; i < 120; i++)
                await others.AnnounceAsync(new AnnounceRequest(built.Torrent.InfoHash, PeerId.CreateOurs(), 20000 + i, 0, 0, Left: 0,
                    AnnounceEvent.Started), Ct);
        }
        var answered = new TaskCompletionSource<IReadOnlyList<IPEndPoint>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var announcer = new Announcer([[tracker.HttpAnnounceUrl]], built.Torrent.InfoHash, PeerId.CreateOurs(),
            () => new AnnounceTotals(0, 0, 1000), () => 0, peers => answered.TrySetResult([.. peers]), log: null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = announcer.RunAsync(6881, stop.Token);

        var peers = await answered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(120, peers.Count);
        Assert.Equal(Enumerable.Range(20000, 120), peers.Select(p => p.Port).Order());
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task APartialSeed_AnnouncesEventPaused_AfterStarted()
    {
        // BEP 21: "it MUST send an event=paused parameter in every announce while it is a partial seed".
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions
            { Port = 0, Interval = TimeSpan.FromSeconds(60), MinInterval = TimeSpan.Zero, Log = lines.Enqueue }, Ct);
        var built = TestTorrents.SingleFile(length: 1000);
        var clock = new ManualClock();
        using var announcer = new Announcer([[tracker.HttpAnnounceUrl]], built.Torrent.InfoHash, PeerId.CreateOurs(),
            () => new AnnounceTotals(0, 0, 400, PartialSeed: true), () => 0, _ => { }, log: null, clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = announcer.RunAsync(6881, stop.Token);
        int Announces() => lines.Count(l => l.StartsWith("announce", StringComparison.Ordinal));

        await Wait.UntilAsync(() => Announces() >= 1 && clock.NextTimerIn is not null, TimeSpan.FromSeconds(20), Ct);
        clock.Advance(clock.NextTimerIn ?? TimeSpan.Zero);
        await Wait.UntilAsync(() => Announces() >= 2, TimeSpan.FromSeconds(20), Ct);
        await stop.CancelAsync();
        await run;

        var announces = lines.Where(l => l.StartsWith("announce", StringComparison.Ordinal)).ToList();
        Assert.Contains("event=started left=400", announces[0]);
        Assert.Contains("event=paused left=400", announces[1]);
    }
}
