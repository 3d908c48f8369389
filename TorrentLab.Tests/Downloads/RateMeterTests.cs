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
        Assert.Equal(8000, meter.Total);
    }

    [Fact]
    public void AfterAWindowOfSilence_TheRateCountsFromTheFirstByte_NotFromTheSilence()
    {
        // A peer that unchoked us after six seconds, then sent 100 kB in its first second: 100 kB/s, not 20.
        var clock = new ManualClock();
        var meter = new RateMeter(clock);
        clock.Advance(TimeSpan.FromSeconds(6));
        meter.Add(100_000);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(100_000, meter.BytesPerSecond, precision: 6);

        clock.Advance(TimeSpan.FromSeconds(1)); // then nothing: the window fills with the quiet seconds again
        Assert.Equal(50_000, meter.BytesPerSecond, precision: 6);
    }

    [Fact]
    public void AFirstBurst_IsCountedOverAtLeastASecond()
    {
        var clock = new ManualClock();
        var meter = new RateMeter(clock);
        meter.Add(16_384);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(16_384, meter.BytesPerSecond, precision: 6); // not 1.6 MB/s from 10 ms
    }
}
