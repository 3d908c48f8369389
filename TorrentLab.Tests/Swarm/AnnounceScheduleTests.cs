using TorrentLab.Swarm;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Swarm;

public class AnnounceScheduleTests
{
    private static AnnounceResponse Answer(int interval, int? minInterval) =>
        new([], TimeSpan.FromSeconds(interval), minInterval is { } m ? TimeSpan.FromSeconds(m) : null, null, null, null, null);

    [Theory]
    [InlineData(1800, null, 50, 1800)]   // the tracker's interval
    [InlineData(0, null, 50, 60)]        // interval=0 (the announce storm): the 60 s floor
    [InlineData(0, 0, 50, 60)]           // and a min interval of 0 does not lower it
    [InlineData(30, 120, 50, 120)]       // min interval above the interval wins
    [InlineData(1800, null, 1, 60)]      // few peers: sooner, at the floor
    [InlineData(1800, 300, 1, 300)]      // few peers: never sooner than the tracker's min interval
    [InlineData(5, null, 1, 60)]
    public void Next_NeverSoonerThanTheFloorOrTheMinInterval(int interval, int? minInterval, int connected, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), AnnounceSchedule.Next(Answer(interval, minInterval), connected));
    }
}
