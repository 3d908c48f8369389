using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

/// <summary>The short timeout after which a lookup counts a query as slow (<see cref="RoundTripEstimator.ShortTimeout"/>):
/// derived from the round trips of the answers the node got, RFC 6298's way, between a floor and libtorrent's fixed
/// second.</summary>
public class RoundTripEstimatorTests
{
    [Fact]
    public void ShortTimeout_BeforeAnyAnswerWasTimed_IsOneSecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), new RoundTripEstimator().ShortTimeout);
    }

    [Fact]
    public void ShortTimeout_AfterOneAnswer_IsItsRoundTripPlusFourTimesHalfOfIt()
    {
        var roundTrips = new RoundTripEstimator();
        roundTrips.Note(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(300), roundTrips.ShortTimeout); // 100 + 4 * 50
    }

    [Fact]
    public void ShortTimeout_AfterSteadyRoundTrips_ShrinksTowardsThem()
    {
        var roundTrips = new RoundTripEstimator();
        for (var i = 0; i < 30; i++) roundTrips.Note(TimeSpan.FromMilliseconds(200));
        Assert.InRange(roundTrips.ShortTimeout, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(210));
    }

    [Fact]
    public void ShortTimeout_AfterVaryingRoundTrips_LiesAboveNearlyAllOfThem()
    {
        var roundTrips = new RoundTripEstimator();
        // 80 ms mostly, every fifth 400 ms: a query slower than 400 ms is rare.
        for (var i = 0; i < 100; i++) roundTrips.Note(TimeSpan.FromMilliseconds(i % 5 == 4 ? 400 : 80));
        Assert.InRange(roundTrips.ShortTimeout, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void ShortTimeout_OnLoopbackRoundTrips_StopsAtItsFloor()
    {
        var roundTrips = new RoundTripEstimator();
        for (var i = 0; i < 30; i++) roundTrips.Note(TimeSpan.FromMilliseconds(1));
        Assert.Equal(RoundTripEstimator.MinShortTimeout, roundTrips.ShortTimeout);
    }

    [Fact]
    public void ShortTimeout_AfterRoundTripsOfSeconds_StaysAtOneSecond()
    {
        var roundTrips = new RoundTripEstimator();
        for (var i = 0; i < 10; i++) roundTrips.Note(TimeSpan.FromSeconds(2.5));
        Assert.Equal(TimeSpan.FromSeconds(1), roundTrips.ShortTimeout);
    }
}
