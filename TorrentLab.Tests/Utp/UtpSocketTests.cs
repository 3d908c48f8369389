using System.Net;
using System.Security.Cryptography;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;

namespace TorrentLab.Tests.Utp;

public class UtpSocketTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private static CancellationToken Timeout(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task ConnectAndAccept_TransferOneMebibyteEachWay_ArrivesByteIdentical()
    {
        await using var server = UtpSocket.Bind(Loopback);
        await using var client = UtpSocket.Bind(Loopback);
        server.Listen();
        var ct = Timeout();
        var up = RandomNumberGenerator.GetBytes(1 << 20);
        var down = RandomNumberGenerator.GetBytes(1 << 20);

        var accepting = server.AcceptAsync(ct).AsTask();
        await using var dialled = await client.ConnectAsync(server.LocalEndPoint, ct);
        await using var accepted = await accepting;

        var sendUp = dialled.WriteAsync(up, ct).AsTask();
        var sendDown = accepted.WriteAsync(down, ct).AsTask();
        var receivedUp = await ReadExactly(accepted, up.Length, ct);
        var receivedDown = await ReadExactly(dialled, down.Length, ct);
        await Task.WhenAll(sendUp, sendDown);

        Assert.Equal(up, receivedUp);
        Assert.Equal(down, receivedDown);
        Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task TickTimer_RunsOnlyWhileTheSocketHasConnections()
    {
        var timers = new CountingTimeProvider();
        var options = new UtpOptions { Timers = timers, Linger = TimeSpan.FromMilliseconds(100) };
        await using var server = UtpSocket.Bind(Loopback, options);
        await using var client = UtpSocket.Bind(Loopback, options);
        server.Listen();
        var ct = Timeout();

        // Idle sockets hold no timer at all: a periodic one would fire on the timer thread whether or not anyone waits.
        Assert.Equal(0, timers.LiveTimers);

        var accepting = server.AcceptAsync(ct).AsTask();
        var dialled = await client.ConnectAsync(server.LocalEndPoint, ct);
        var accepted = await accepting;
        // The tick loop starts its timer on the thread pool once woken by the first connection: soon, not at once.
        Assert.True(await Wait.UntilAsync(() => timers.LiveTimers > 0, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken),
            "a connection needs its socket's clock for timeouts and resends");

        await dialled.DisposeAsync();
        await accepted.DisposeAsync();
        Assert.True(await Wait.UntilAsync(() => server.ConnectionCount == 0 && client.ConnectionCount == 0, TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken),
            "both connections end after their FINs");
        Assert.True(await Wait.UntilAsync(() => timers.LiveTimers == 0, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken),
            $"{timers.LiveTimers} timer(s) still alive with no connection left");
    }

    [Fact]
    public async Task ThreeConnectionsBetweenTheSameTwoSockets_AreKeptApartByConnectionId()
    {
        await using var server = UtpSocket.Bind(Loopback);
        await using var client = UtpSocket.Bind(Loopback);
        server.Listen();
        var ct = Timeout();
        var payloads = Enumerable.Range(0, 3).Select(i => TorrentLab.Tests.Infrastructure.TestTorrents.Payload(100_000 + i, i)).ToArray();

        var dialled = new List<UtpStream>();
        var accepted = new List<UtpStream>();
        foreach (var payload in payloads)
        {
            var accepting = server.AcceptAsync(ct).AsTask();
            var stream = await client.ConnectAsync(server.LocalEndPoint, ct);
            dialled.Add(stream);
            accepted.Add(await accepting);
        }
        await Task.WhenAll(dialled.Select((s, i) => s.WriteAsync(payloads[i], ct).AsTask()));
        var received = await Task.WhenAll(accepted.Select((s, i) => ReadExactly(s, payloads[i].Length, ct)));

        Assert.Equal(payloads, received);
        Assert.Equal(3, dialled.Select(s => s.Connection.ReceiveId).Distinct().Count());
        Assert.All(accepted.Zip(dialled), p => Assert.Equal(p.Second.Connection.SendId, p.First.Connection.ReceiveId));
        foreach (var stream in dialled.Concat(accepted)) await stream.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_AfterWriting_DeliversEverythingThenEndOfStream()
    {
        await using var server = UtpSocket.Bind(Loopback);
        await using var client = UtpSocket.Bind(Loopback);
        server.Listen();
        var ct = Timeout();
        var data = RandomNumberGenerator.GetBytes(200_000);

        var accepting = server.AcceptAsync(ct).AsTask();
        var dialled = await client.ConnectAsync(server.LocalEndPoint, ct);
        await using var accepted = await accepting;
        await dialled.WriteAsync(data, ct);
        await dialled.DisposeAsync();                       // graceful: FIN after the data

        var received = await ReadExactly(accepted, data.Length, ct);
        Assert.Equal(data, received);
        Assert.Equal(0, await accepted.ReadAsync(new byte[16], ct));   // the FIN: end of stream
    }

    [Fact]
    public async Task Connect_ToSocketThatDoesNotListen_FailsWithReset()
    {
        await using var server = UtpSocket.Bind(Loopback);   // bound, not listening: answers SYN with ST_RESET
        await using var client = UtpSocket.Bind(Loopback);

        var error = await Assert.ThrowsAsync<UtpException>(() => client.ConnectAsync(server.LocalEndPoint, Timeout()));
        Assert.Contains("ST_RESET", error.Message);
    }

    [Fact]
    public async Task Reset_OnOneSide_FailsTheOtherSidesRead()
    {
        await using var server = UtpSocket.Bind(Loopback);
        await using var client = UtpSocket.Bind(Loopback);
        server.Listen();
        var ct = Timeout();
        var accepting = server.AcceptAsync(ct).AsTask();
        var dialled = await client.ConnectAsync(server.LocalEndPoint, ct);
        await dialled.WriteAsync(new byte[] { 1, 2, 3 }, ct);
        await using var accepted = await accepting;
        Assert.Equal(3, (await ReadExactly(accepted, 3, ct)).Length);

        dialled.Reset();

        var error = await Assert.ThrowsAsync<IOException>(async () => await accepted.ReadExactlyAsync(new byte[8], ct));
        Assert.IsType<UtpException>(error.InnerException);
    }

    [Fact]
    public async Task Dispatch_KrpcDatagram_GoesToOtherDatagramsNotUtp()
    {
        await using var socket = UtpSocket.Bind(Loopback);
        var seen = new List<string>();
        socket.OtherDatagrams = (datagram, _) => seen.Add(System.Text.Encoding.ASCII.GetString(datagram.Span));

        var krpc = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"u8.ToArray();
        var handled = socket.Dispatch(krpc, new IPEndPoint(IPAddress.Loopback, 6881));

        Assert.False(handled);
        Assert.Equal([System.Text.Encoding.ASCII.GetString(krpc)], seen);
        Assert.Equal(0, socket.ConnectionCount);
    }

    internal static async Task<byte[]> ReadExactly(Stream stream, int length, CancellationToken ct)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }
}
