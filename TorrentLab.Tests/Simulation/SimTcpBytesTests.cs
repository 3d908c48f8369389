using TorrentLab.Simulation;

namespace TorrentLab.Tests.Simulation;

/// <summary>The bytes of one direction of a simulated TCP connection: first in, first out, across chunk boundaries, in
/// chunks given back to the network's pool once read.</summary>
public class SimTcpBytesTests
{
    [Fact]
    public void Take_ReturnsTheBytesInTheOrderAppended_AcrossChunks()
    {
        var bytes = new SimTcpBytes(new SimTcpBytes.Chunks());
        var written = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        bytes.Append(written.AsSpan(0, 9));          // a have
        bytes.Append(written.AsSpan(9, 16_397));     // a block message, over five chunks
        bytes.Append(written.AsSpan(9 + 16_397));
        var read = new byte[written.Length];
        var at = 0;
        foreach (var piece in new[] { 9, 1_600, 4_800, 5_000, 4_997, read.Length - 16_406 })
        {
            bytes.Take(read.AsSpan(at, piece));
            at += piece;
        }
        Assert.Equal(written, read);
        Assert.Equal(0, bytes.Count);
    }

    [Fact]
    public void Drop_SkipsBytes_AndTheNextTakeReadsWhatFollows()
    {
        var bytes = new SimTcpBytes(new SimTcpBytes.Chunks());
        bytes.Append(Enumerable.Repeat((byte)1, 5_000).ToArray());
        bytes.Append([2, 3, 4]);
        bytes.Drop(5_000);
        var read = new byte[3];
        bytes.Take(read);
        Assert.Equal([2, 3, 4], read);
    }

    [Fact]
    public void ChunksReadOut_AreReused_AndThePoolKeepsAtMostItsLimit()
    {
        var pool = new SimTcpBytes.Chunks();
        var first = new SimTcpBytes(pool);
        first.Append(new byte[SimTcpBytes.ChunkSize]);
        first.Drop(SimTcpBytes.ChunkSize);
        Assert.Equal(1, pool.Free);
        new SimTcpBytes(pool).Append([42]);
        Assert.Equal(0, pool.Free); // the first connection's chunk holds the second's byte

        var many = new SimTcpBytes(pool);
        var size = (SimTcpBytes.Chunks.MostKept + 10) * SimTcpBytes.ChunkSize;
        many.Append(new byte[size]);
        many.Drop(size);
        Assert.Equal(SimTcpBytes.Chunks.MostKept, pool.Free);
    }
}
