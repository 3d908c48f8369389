using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class DelayHistoryTests
{
    private const long Second = 1_000_000;

    [Fact]
    public void Add_ReturnsTheSampleOverTheLowestSeen()
    {
        var history = new DelayHistory();

        Assert.Equal(0u, history.Add(5_000, 0));
        Assert.Equal(3_000u, history.Add(8_000, Second));
        Assert.Equal(0u, history.Add(4_000, 2 * Second));     // a new minimum
        Assert.Equal(4_000u, history.BaseDelay);
    }

    [Fact]
    public void BaseDelay_ForgetsMinimaOlderThanTwoMinutes()
    {
        var history = new DelayHistory();
        history.Add(1_000, 0);
        history.Add(9_000, 60 * Second);
        Assert.Equal(1_000u, history.BaseDelay);

        history.Add(9_500, 125 * Second);                     // the bucket holding 1,000 is now over 2 minutes old

        Assert.Equal(9_000u, history.BaseDelay);
    }

    [Fact]
    public void Add_ClockDifferenceThatWraps_ComparesModulo2To32()
    {
        var history = new DelayHistory();
        history.Add(0xffff_ff00, 0);

        var delay = history.Add(0x0000_0100, Second);          // 512 µs after 0xffffff00, across the wrap

        Assert.Equal(512u, delay);
        Assert.Equal(0xffff_ff00u, history.BaseDelay);
    }

    [Fact]
    public void Add_ManySamplesOverHours_KeepsAFixedNumberOfBuckets()
    {
        var history = new DelayHistory();
        for (long t = 0; t < 3600; t++) history.Add((uint)(10_000 + t % 7), t * Second);

        Assert.Equal(10_000u, history.BaseDelay);               // still the true minimum of the last two minutes
    }
}
