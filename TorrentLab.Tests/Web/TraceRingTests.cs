using System.Net;
using TorrentLab.Web;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Web;

public class TraceRingTests
{
    private static WireTraceEvent Event(int i) =>
        new(DateTimeOffset.UnixEpoch, new IPEndPoint(IPAddress.Loopback, 6881), WireDirection.Received, MessageKind.Have, "have", $"index={i}", 9, [0, 0, 0, 5, 4]);

    [Fact]
    public void Since_WithinCapacity_ReturnsEveryNewEventInOrder()
    {
        var ring = new TraceRing();
        for (var i = 0; i < 5; i++) ring.Add(Event(i));

        var (lines, skipped) = ring.Since(2, 100);

        Assert.Equal([2L, 3, 4], lines.Select(l => l.Seq));
        Assert.Equal("index=2", lines[0].Fields);
        Assert.Equal("received", lines[0].Dir);
        Assert.Equal(0, skipped);
    }

    [Fact]
    public void Since_OverwrittenEvents_AreCountedAsSkipped()
    {
        var ring = new TraceRing();
        for (var i = 0; i < TraceRing.Capacity + 10; i++) ring.Add(Event(i));

        var (lines, skipped) = ring.Since(0, TraceRing.Capacity);

        Assert.Equal(10, skipped); // the first 10 were overwritten
        Assert.Equal(TraceRing.Capacity, lines.Length);
        Assert.Equal(10, lines[0].Seq);
    }

    [Fact]
    public void Since_MoreThanMax_KeepsTheNewestAndCountsTheRest()
    {
        var ring = new TraceRing();
        for (var i = 0; i < 50; i++) ring.Add(Event(i));

        var (lines, skipped) = ring.Since(0, 20);

        Assert.Equal(30, skipped);
        Assert.Equal(Enumerable.Range(30, 20).Select(i => (long)i), lines.Select(l => l.Seq));
    }
}
