using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

/// <summary>The short timeout after which a lookup counts a query as slow (<c>DhtNode.ShortTimeout</c>): derived from
/// the round trips of the answers the node got, RFC 6298's way, between a floor and libtorrent's fixed second.</summary>
public class DhtNodeShortTimeoutTests
{
    private static DhtNode NewNode() => new(new DhtNodeOptions { Bootstrap = [], LoopbackOnly = true }, new NoSender());

    [Fact]
    public void ShortTimeout_BeforeAnyAnswerWasTimed_IsOneSecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), NewNode().ShortTimeout);
    }

    [Fact]
    public void ShortTimeout_AfterOneAnswer_IsItsRoundTripPlusFourTimesHalfOfIt()
    {
        var node = NewNode();
        node.NoteRoundTrip(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(300), node.ShortTimeout); // 100 + 4 * 50
    }

    [Fact]
    public void ShortTimeout_AfterSteadyRoundTrips_ShrinksTowardsThem()
    {
        var node = NewNode();
        for (var i = 0; i < 30; i++) node.NoteRoundTrip(TimeSpan.FromMilliseconds(200));
        Assert.InRange(node.ShortTimeout, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(210));
    }

    [Fact]
    public void ShortTimeout_AfterVaryingRoundTrips_LiesAboveNearlyAllOfThem()
    {
        var node = NewNode();
        // 80 ms mostly, every fifth 400 ms: a query slower than 400 ms is rare.
        for (var i = 0; i < 100; i++) node.NoteRoundTrip(TimeSpan.FromMilliseconds(i % 5 == 4 ? 400 : 80));
        Assert.InRange(node.ShortTimeout, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void ShortTimeout_OnLoopbackRoundTrips_StopsAtItsFloor()
    {
        var node = NewNode();
        for (var i = 0; i < 30; i++) node.NoteRoundTrip(TimeSpan.FromMilliseconds(1));
        Assert.Equal(DhtNode.MinShortTimeout, node.ShortTimeout);
    }

    [Fact]
    public void ShortTimeout_AfterRoundTripsOfSeconds_StaysAtOneSecond()
    {
        var node = NewNode();
        for (var i = 0; i < 10; i++) node.NoteRoundTrip(TimeSpan.FromSeconds(2.5));
        Assert.Equal(TimeSpan.FromSeconds(1), node.ShortTimeout);
    }

    private sealed class NoSender : IDatagramSender
    {
        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct) => ValueTask.CompletedTask;
    }
}
