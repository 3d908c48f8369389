using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class RttEstimatorTests
{
    [Fact]
    public void NewEstimator_TimesOutAfterOneSecond() => Assert.Equal(1000, new RttEstimator().TimeoutMs);

    [Fact]
    public void AddSample_FollowsTheBepFormulas()
    {
        var rtt = new RttEstimator();

        rtt.AddSample(200);   // first sample: rtt = 200, rtt_var = 100
        Assert.Equal((200, 100), (rtt.Rtt, rtt.RttVar));
        Assert.Equal(600, rtt.TimeoutMs);            // max(200 + 4 * 100, 500)

        rtt.AddSample(280);   // delta = -80: rtt_var += (80 - 100) / 4 = 95; rtt += (280 - 200) / 8 = 210
        Assert.Equal((210, 95), (rtt.Rtt, rtt.RttVar));
        Assert.Equal(590, rtt.TimeoutMs);            // 210 + 4 * 95
    }

    [Fact]
    public void AddSample_FastLink_NeverBelowHalfASecond()
    {
        var rtt = new RttEstimator();
        for (var i = 0; i < 20; i++) rtt.AddSample(0.2);   // loopback

        Assert.Equal(RttEstimator.MinimumTimeoutMs, rtt.TimeoutMs);
    }

    [Fact]
    public void OnTimeout_DoublesForEachConsecutiveTimeout_AndAPacketResetsIt()
    {
        var rtt = new RttEstimator();
        rtt.AddSample(200);

        rtt.OnTimeout();
        Assert.Equal(1200, rtt.TimeoutMs);
        rtt.OnTimeout();
        Assert.Equal(2400, rtt.TimeoutMs);
        rtt.OnPacketReceived();
        Assert.Equal(600, rtt.TimeoutMs);
    }

    [Fact]
    public void OnTimeout_Repeated_IsBounded()
    {
        var rtt = new RttEstimator();
        for (var i = 0; i < 40; i++) rtt.OnTimeout();

        Assert.Equal(RttEstimator.MaximumTimeoutMs, rtt.TimeoutMs);
    }
}
