using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class LedbatTests
{
    private const long Second = 1_000_000;

    /// <summary>A controller whose base delay is 50 ms (the first sample), with a 10,000-byte window.</summary>
    private static Ledbat Started()
    {
        var ledbat = new Ledbat(initialWindow: 10_000, ceiling: 1 << 22);
        ledbat.OnAck(1, 50_000, 0);   // sets base_delay; one byte acked moves the window by a third of a byte
        return ledbat;
    }

    [Theory]
    [InlineData(50_000, 10_000, 13_000)]     // our_delay 0: a whole window acked grows it by 3000 bytes (one RTT's worth)
    [InlineData(50_000, 5_000, 11_500)]      // half a window acked: half the gain
    [InlineData(100_000, 10_000, 11_500)]    // our_delay 50 ms: off_target is half the target, half the gain
    [InlineData(150_000, 10_000, 10_000)]    // our_delay 100 ms: on target, no change
    [InlineData(250_000, 10_000, 7_000)]     // our_delay 200 ms: off_target = -100 ms, shrinks by 3000
    [InlineData(350_000, 10_000, 4_000)]     // our_delay 300 ms: off_target = -200 ms, shrinks by 2 * 3000
    public void OnAck_ScalesTheGainByDelayAndByTheShareOfTheWindowAcked(uint sample, int acked, double expected)
    {
        var ledbat = Started();
        var before = ledbat.MaxWindow;

        ledbat.OnAck(acked, sample, Second);

        Assert.Equal(expected, ledbat.MaxWindow, precision: 0);
        Assert.True(before > 9_999 && before < 10_001);
    }

    [Fact]
    public void OnAck_WithoutADelaySample_ChangesNothing()
    {
        var ledbat = Started();

        ledbat.OnAck(10_000, 0, Second);   // timestamp_difference 0: "no delay samples yet"

        Assert.Equal(10_000, ledbat.MaxWindow, precision: 0);
    }

    [Fact]
    public void SyntheticTrace_QueueBuildsUpThenDrains_WindowGrowsShrinksAndGrowsAgain()
    {
        var ledbat = new Ledbat(3_000, 1 << 22);
        var windows = new List<double>();
        // 40 round trips: delay at the base, then a queue of 300 ms, then the queue gone again.
        for (var rtt = 0; rtt < 40; rtt++)
        {
            uint sample = rtt is >= 10 and < 25 ? 20_000u + 300_000u : 20_000u;
            ledbat.OnAck((int)ledbat.MaxWindow, sample, rtt * 100_000L);
            windows.Add(ledbat.MaxWindow);
        }

        Assert.True(windows[9] > windows[0], "grows while the delay is at its base");
        Assert.True(windows[24] < windows[9], "shrinks while the queue is above the 100 ms target");
        Assert.Equal(Ledbat.MinPacketSize, windows[24]);           // never below one smallest packet
        Assert.True(windows[39] > windows[24], "grows again once the queue drains");
        Assert.Equal(20_000u, ledbat.BaseDelay);
    }

    [Fact]
    public void OnAck_NeverGrowsPastTheCeiling()
    {
        var ledbat = new Ledbat(10_000, ceiling: 12_000);
        for (var i = 0; i < 100; i++) ledbat.OnAck(10_000, 1_000, i);

        Assert.Equal(12_000, ledbat.MaxWindow);
    }

    [Fact]
    public void OnLoss_HalvesTheWindow()
    {
        var ledbat = new Ledbat(10_000, 1 << 22);

        ledbat.OnLoss();

        Assert.Equal(5_000, ledbat.MaxWindow);
    }

    [Fact]
    public void OnTimeout_DropsWindowAndPacketSizeTo150Bytes()
    {
        var ledbat = new Ledbat(100_000, 1 << 22);
        Assert.Equal(1400, ledbat.PacketSize(1400));

        ledbat.OnTimeout();

        Assert.Equal(150, ledbat.MaxWindow);
        Assert.Equal(150, ledbat.PacketSize(1400));
    }
}
