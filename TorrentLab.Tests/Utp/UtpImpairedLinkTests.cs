using System.Net;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

/// <summary>Two of our uTP endpoints talking through <see cref="ImpairedLink"/>: whatever the link does, the bytes
/// arrive whole and in order.</summary>
[Trait("Tier", "Slow")]
public class UtpImpairedLinkTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task OneMebibyte_ThroughFivePercentLossReorderingDuplicatesAndDelay_ArrivesByteIdentical(int seed)
    {
        await using var server = UtpSocket.Bind(Loopback);
        await using var client = UtpSocket.Bind(Loopback);
        server.Listen();
        await using var link = new ImpairedLink(server.LocalEndPoint,
            new Impairment(Drop: 0.05, Duplicate: 0.02, Reorder: 0.05, Delay: 0.05, MaxDelayMs: 30), seed);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var up = TestTorrents.Payload(1 << 20, seed);
        var down = TestTorrents.Payload(128 * 1024, seed + 100);

        var accepting = server.AcceptAsync(ct).AsTask();
        var dialled = await client.ConnectAsync(link.EndPoint, ct);
        await using var accepted = await accepting;
        var receivingUp = ReadToEnd(accepted, ct);               // until the FIN
        var sending = Task.Run(async () => await dialled.WriteAsync(up, ct), ct);
        await accepted.WriteAsync(down, ct);
        var receivedDown = await UtpSocketTests.ReadExactly(dialled, down.Length, ct);
        await sending;
        // Closed only once both directions are read: a stream is not read after it is disposed (a close that lingered
        // past a slow reverse direction ended its reads early, on a fast machine where the 1 MiB was through first).
        await dialled.DisposeAsync();                            // FIN, through the same bad link
        var receivedUp = await receivingUp;

        Assert.Equal(up, receivedUp);
        Assert.Equal(down, receivedDown);
        Assert.True(link.Dropped > 10 && link.Reordered > 10 && link.Duplicated > 0 && link.Delayed > 0,
            $"the link was not bad enough: dropped {link.Dropped}, reordered {link.Reordered}, duplicated {link.Duplicated}, delayed {link.Delayed}");
    }

    private static async Task<byte[]> ReadToEnd(Stream stream, CancellationToken ct)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, ct);
        return all.ToArray();
    }
}
