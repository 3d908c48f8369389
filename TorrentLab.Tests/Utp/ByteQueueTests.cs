using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

/// <summary>The byte queue behind a uTP connection's send and receive buffers: first in, first out across wrap-arounds
/// and growth, bounded by its capacity, and holding no storage once drained.</summary>
public class ByteQueueTests
{
    [Fact]
    public void AFullWindow_OnceRead_LeavesNothingRented()
    {
        var queue = new ByteQueue(2 * 1024 * 1024);
        var block = new byte[16 * 1024];
        while (queue.Free > 0) queue.Enqueue(block);
        Assert.True(queue.Rented >= 2 * 1024 * 1024);

        var sink = new byte[100_000];
        while (queue.Count > 0) queue.Dequeue(sink);

        Assert.Equal(0, queue.Rented);
    }

    [Fact]
    public void BytesComeOutInTheOrderTheyWentIn_AcrossWrapAroundsAndGrowth()
    {
        var random = new Random(51);
        var queue = new ByteQueue(70_000);
        var expected = new Queue<byte>();
        byte next = 0;
        for (var round = 0; round < 2_000; round++)
        {
            var incoming = new byte[random.Next(0, 9_000)];
            foreach (ref var b in incoming.AsSpan()) b = next++;
            var taken = queue.Enqueue(incoming);
            Assert.Equal(Math.Min(incoming.Length, 70_000 - expected.Count), taken);
            foreach (var b in incoming.AsSpan(0, taken)) expected.Enqueue(b);
            next = (byte)(next - (incoming.Length - taken));   // what did not fit is offered again next round

            var outgoing = new byte[random.Next(0, 9_000)];
            var moved = queue.Dequeue(outgoing);
            Assert.Equal(Math.Min(outgoing.Length, expected.Count), moved);
            foreach (var b in outgoing.AsSpan(0, moved)) Assert.Equal(expected.Dequeue(), b);
            Assert.Equal(expected.Count, queue.Count);
            Assert.True(queue.Count > 0 || queue.Rented == 0);
        }
    }
}
