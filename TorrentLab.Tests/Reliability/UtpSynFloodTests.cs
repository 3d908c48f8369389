using System.Net;
using System.Net.Sockets;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Reliability;

/// <summary>A flood of ST_SYN from thousands of connection ids at our uTP socket: it keeps at most its accept backlog of
/// half-open connections, refuses the rest with ST_RESET, the heap stays bounded, and it serves again once the
/// backlog is drained.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class UtpSynFloodTests
{
    /// <summary>16 MiB: a connection that has only seen a SYN holds well under 4 KiB, its buffers grow on use.</summary>
    private const long HeapBound = 16L << 20;

    [Fact]
    public async Task SynFloodFromManyIds_StaysWithinTheBacklogAndHeapBound_ThenAcceptsAnHonestConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new UtpOptions { AcceptBacklog = 64 };
        await using var server = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);
        server.Listen();
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var syns = ReliabilityMode.Count(20_000, 200_000);
        await using var memory = MemoryWatch.Start();

        var datagram = new byte[UtpHeader.Length];
        for (var i = 0; i < syns; i++)
        {
            new UtpHeader(UtpPacketType.Syn, (ushort)i, (uint)i, 0, 0, (ushort)(i * 7), 0).WriteTo(datagram);
            flooder.SendTo(datagram, server.LocalEndPoint);
            if (i % 500 == 499) await Task.Delay(1, ct);   // let the receive thread keep up; dropped SYNs prove nothing
        }
        for (var i = 0; i < 200 && server.PendingAccepts < options.AcceptBacklog; i++) await Task.Delay(25, ct);

        var peak = memory.PeakGrowth;
        ReliabilityReport.Add(new ReliabilityRow("flood", $"uTP: {syns} SYNs from distinct connection ids", syns, syns, "none",
            $"{server.ConnectionCount} connections kept (backlog {options.AcceptBacklog}); heap peak +{ReliabilityReport.Mib(peak)}"));
        Assert.Equal(options.AcceptBacklog, server.PendingAccepts);
        Assert.Equal(options.AcceptBacklog, server.ConnectionCount);
        Assert.True(peak < HeapBound, $"heap grew by {ReliabilityReport.Mib(peak)}");
        Assert.True(flooder.Available > 0, "the refused SYNs were answered (ST_RESET)");

        // Drain: reset what waits until the socket has read the whole flood (no new connection for half a second).
        for (var drained = 0; drained < syns; drained++)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(TimeSpan.FromMilliseconds(500));
            try { (await server.AcceptAsync(quiet.Token)).Reset(); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { break; }
        }
        await using var honest = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = server.AcceptAsync(ct).AsTask();
        await using var dialled = await honest.ConnectAsync(server.LocalEndPoint, ct);
        await dialled.WriteAsync("hello"u8.ToArray(), ct);
        await using var accepted = await accepting;
        var buffer = new byte[5];
        await accepted.ReadExactlyAsync(buffer, ct);
        Assert.Equal("hello"u8.ToArray(), buffer);
    }
}
