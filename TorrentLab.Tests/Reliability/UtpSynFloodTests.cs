using TorrentLab.Client;
using System.Net;
using System.Net.Sockets;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Reliability;

/// <summary>A flood of ST_SYN from thousands of connection ids at our uTP socket: each SYN is answered, at most
/// <see cref="UtpOptions.MaxHalfOpen"/> half-open connections are kept (a new SYN takes the place of the oldest), none
/// reaches the application, the heap stays bounded, and the SYN right after the flood is accepted at once.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class UtpSynFloodTests
{
    /// <summary>16 MiB: a connection that has only seen a SYN holds well under 4 KiB, its buffers grow on use. Asserted
    /// on what the socket still holds after a full collection: the peak between collections counts garbage, and how
    /// much of it piles up depends on the machine's load (it read 17.8-24.3 MiB on a busy two-core machine).</summary>
    private const long HeapBound = 16L << 20;

    [Fact]
    public async Task SynFloodFromManyIds_KeepsAtMostMaxHalfOpen_OffersNone_AndTheNextConnectionIsAcceptedWithoutDraining()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new UtpOptions { AcceptBacklog = 64, MaxHalfOpen = 256 };
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

        // The honest SYN queues behind the whole flood in the socket's buffer: it is read after every flooding one.
        await using var honest = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = server.AcceptAsync(ct).AsTask();
        await using var dialled = await honest.ConnectAsync(server.LocalEndPoint, ct);
        await dialled.WriteAsync("hello"u8.ToArray(), ct);
        await using var accepted = await accepting;
        var buffer = new byte[5];
        await accepted.ReadExactlyAsync(buffer, ct);
        Assert.Equal("hello"u8.ToArray(), buffer);

        var peak = memory.PeakGrowth;
        var retained = memory.RetainedGrowth();
        ReliabilityReport.Add(new ReliabilityRow("flood", $"uTP: {syns} SYNs from distinct connection ids", syns, syns, "none",
            $"{server.HalfOpen} half-open kept (at most {options.MaxHalfOpen}), {server.PendingAccepts} offered to the application; " +
            $"the next connection accepted without draining; heap peak +{ReliabilityReport.Mib(peak)}, retained +{ReliabilityReport.Mib(retained)}"));
        Assert.InRange(server.HalfOpen, 1, options.MaxHalfOpen);
        Assert.Equal(0, server.PendingAccepts);
        Assert.True(server.ConnectionCount <= options.MaxHalfOpen + 1, $"{server.ConnectionCount} connections kept");
        Assert.True(retained < HeapBound, $"the socket holds {ReliabilityReport.Mib(retained)} more after a full collection");
        Assert.True(flooder.Available > 0, "the SYNs were answered (ST_STATE)");
    }

    /// <summary>Issue 34: a fresh uTP SYN right after a flood of 7,000 SYNs went unanswered for seconds. Against the
    /// swarm engine: a seeder's port takes the flood (SYNs from 7,000 connection ids that never send anything else),
    /// then a downloader that speaks only uTP dials it at once and must download to the end.</summary>
    [Fact]
    public async Task SeederFloodedWithSyns_AnHonestUtpDownloaderRightAfter_IsAcceptedAndCompletes()
    {
        var ct = TestContext.Current.CancellationToken;
        var built = TestTorrents.SingleFile(length: 1 << 20, pieceLength: 16 * 1024, name: "flooded.bin", seed: 6);
        await using var rig = await SeederRig.StartAsync(built, ct, o => o.WithSession(s => s with { Transport = PeerTransport.Utp }));
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = new IPEndPoint(IPAddress.Loopback, rig.Seeder.Port);

        var datagram = new byte[UtpHeader.Length];
        for (var i = 0; i < 7_000; i++)
        {
            new UtpHeader(UtpPacketType.Syn, (ushort)(i * 3), (uint)i, 0, 0, (ushort)i, 0).WriteTo(datagram);
            flooder.SendTo(datagram, port);
            if (i % 500 == 499) await Task.Delay(1, ct);   // let the receive thread keep up; dropped SYNs prove nothing
        }

        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var result = await TorrentClient.DownloadAsync(built.Torrent, SeederRig.Options(rig.Folder.Combine("honest")).WithSession(s => s with { Transport = PeerTransport.Utp }) with
        {
            ExtraPeers = [port],
            StallTimeout = TimeSpan.FromSeconds(20),
            Log = log.Enqueue,
        }, null, ct);

        Assert.True(rig.Identical("honest"));
        Assert.Empty(result.BadPeers);
        // The first dial got in: before, it was reset (every slot of the socket's table held by the flood).
        Assert.DoesNotContain(log, line => line.Contains("cannot connect", StringComparison.Ordinal));
    }
}
