using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Downloads;

public class RateMeterTests
{
    [Fact]
    public void BytesPerSecond_SteadyTraffic_IsTheRateOverTheLastFiveSeconds()
    {
        var clock = new ManualClock();
        var meter = new RateMeter(clock);
        for (var second = 0; second < 8; second++)
        {
            if (second > 0) clock.Advance(TimeSpan.FromSeconds(1));
            meter.Add(1000); // seconds 3 to 7 are in the window at the last one
        }
        Assert.Equal(1000, meter.BytesPerSecond, precision: 6);
        Assert.Equal(1000, meter.BestSecond, precision: 6);
        Assert.Equal(8000, meter.Total);
    }

    [Fact]
    public void AfterAnIdleWait_TheAverageCountsTheIdleSeconds_AndBestSecondIsWhatTheSenderDelivered()
    {
        // A peer that unchoked us after six seconds, then sent 100 kB in its first second.
        var clock = new ManualClock();
        var meter = new RateMeter(clock);
        clock.Advance(TimeSpan.FromSeconds(6));
        meter.Add(100_000);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(20_000, meter.BytesPerSecond, precision: 6);
        Assert.Equal(100_000, meter.BestSecond, precision: 6);
    }

    [Fact]
    public void BestSecond_ForgetsSecondsThatLeftTheWindow()
    {
        var clock = new ManualClock();
        var meter = new RateMeter(clock);
        meter.Add(100_000);
        clock.Advance(TimeSpan.FromSeconds(2));
        meter.Add(10_000);
        Assert.Equal(100_000, meter.BestSecond, precision: 6);
        clock.Advance(TimeSpan.FromSeconds(4)); // the 100 kB second is now six seconds old
        Assert.Equal(10_000, meter.BestSecond, precision: 6);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, meter.BestSecond);
    }
}
