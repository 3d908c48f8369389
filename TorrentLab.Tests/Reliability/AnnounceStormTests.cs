using System.Collections.Concurrent;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>A tracker answering <c>interval=0</c> and <c>min interval=0</c> against the swarm engine's announcer: it
/// got tens of thousands of announces a second before; now the next announce waits the 60 s floor. Time is a
/// <see cref="ManualClock"/>: the test reads the pending wait and moves the clock, it never sleeps.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class AnnounceStormTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task TrackerAnsweringIntervalZero_NextAnnounceWaitsTheSixtySecondFloor(string transport)
    {
        var lines = new ConcurrentQueue<string>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions
            { Port = 0, Interval = TimeSpan.Zero, MinInterval = TimeSpan.Zero, Log = lines.Enqueue }, Ct);
        var url = transport == "http" ? tracker.HttpAnnounceUrl : tracker.UdpAnnounceUrl;
        var built = TestTorrents.SingleFile(length: 1000);
        var clock = new ManualClock();
        using var announcer = new Announcer([[url]], built.Torrent.InfoHash, PeerId.CreateOurs(), () => new AnnounceTotals(0, 0, 1000), () => 0,
            _ => { }, log: null, clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = announcer.RunAsync(6881, stop.Token);
        int Announces() => lines.Count(l => l.Contains("announce", StringComparison.OrdinalIgnoreCase));

        await WaitUntil(() => Announces() == 1 && clock.NextTimerIn is not null);
        var firstWait = clock.NextTimerIn!.Value;
        clock.Advance(TimeSpan.FromSeconds(59));
        var afterFiftyNine = Announces();
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => Announces() == 2);

        Assert.Equal(TimeSpan.FromSeconds(60), firstWait);
        Assert.Equal(1, afterFiftyNine);
        await stop.CancelAsync();
        await run;
        ReliabilityReport.Add(new ReliabilityRow("hostile tracker", $"{transport}: interval=0, min interval=0", 1, 1, "none",
            $"next announce after {firstWait.TotalSeconds:0} s (the floor), not at once"));
    }

    private static Task WaitUntil(Func<bool> condition) => Wait.UntilAsync(condition, TimeSpan.FromSeconds(20), "timed out waiting", Ct);
}
