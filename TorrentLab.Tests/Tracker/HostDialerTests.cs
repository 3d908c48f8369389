using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Tracker;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

/// <summary>A tracker on loopback redirects by host name; the names resolve (through the dialer's resolver seam, no
/// DNS) to chosen addresses, and every connect is recorded, so a test proves a refused address is never dialled.</summary>
public class HostDialerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Answers each request on loopback: a request for host <c>good.test</c> gets an empty announce answer,
    /// any other a 302 to <c>http://{redirectTo}:{port}/announce</c>.</summary>
    private static (TcpListener Listener, Task Serving) Serve(string redirectTo)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++) // bounded: a test makes two or three requests
            {
                using var client = await listener.AcceptTcpClientAsync(Ct);
                var stream = client.GetStream();
                var request = new StringBuilder();
                var buffer = new byte[4096];
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer, Ct);
                    if (n == 0) break;
                    request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                var body = "d8:intervali60e5:peers0:e";
                var answer = request.ToString().Contains("Host: good.test", StringComparison.OrdinalIgnoreCase)
                    ? $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"
                    : $"HTTP/1.1 302 Found\r\nLocation: http://{redirectTo}:{port}/announce\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), Ct);
            }
        }, Ct);
        return (listener, serving);
    }

    /// <summary>Names resolve as the table says; every connect is recorded, and only loopback is ever really dialled.</summary>
    private static HostDialer Dialer(ConcurrentQueue<IPEndPoint> connects, Dictionary<string, IPAddress[]> names) => new()
    {
        Resolve = (host, _) => Task.FromResult(names.TryGetValue(host, out var a) ? a : throw new SocketException((int)SocketError.HostNotFound)),
        Connect = async (to, ct) =>
        {
            connects.Enqueue(to);
            if (!IPAddress.IsLoopback(to.Address)) throw new InvalidOperationException($"the test would have dialled {to}");
            var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(to, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    private static AnnounceRequest Request() => new(BinaryHash, Peer('a'), 7001, 0, 0, 1000, AnnounceEvent.Started);

    [Theory]
    [InlineData("169.254.169.254")]  // link-local (cloud metadata)
    [InlineData("224.0.0.1")]        // multicast
    [InlineData("0.0.0.0")]          // unspecified
    [InlineData("255.255.255.255")]  // broadcast
    [InlineData("fe80::1")]          // IPv6 link-local
    public async Task Announce_RedirectToANameResolvingToAnAddressNoClientMayContact_IsRefusedAndNeverDialled(string resolvesTo)
    {
        var (listener, _) = Serve("evil.test");
        using var _listener = listener.Server;
        var connects = new ConcurrentQueue<IPEndPoint>();
        var dialer = Dialer(connects, new() { ["tracker.test"] = [IPAddress.Loopback], ["evil.test"] = [IPAddress.Parse(resolvesTo)] });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var client = new TrackerClient([[$"http://tracker.test:{port}/announce"]], TrackerClientTests.Fast with { Dialer = dialer });

        var e = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request(), Ct));

        Assert.Contains("refusing host 'evil.test'", e.Message, StringComparison.Ordinal);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, port)], connects.ToArray());
    }

    [Fact]
    public async Task Announce_RedirectToANameResolvingToLoopback_IsFollowed()
    {
        var (listener, _) = Serve("good.test");
        using var _listener = listener.Server;
        var connects = new ConcurrentQueue<IPEndPoint>();
        var dialer = Dialer(connects, new() { ["tracker.test"] = [IPAddress.Loopback], ["good.test"] = [IPAddress.Parse("127.0.0.1")] });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var client = new TrackerClient([[$"http://tracker.test:{port}/announce"]], TrackerClientTests.Fast with { Dialer = dialer });

        var answer = await client.AnnounceAsync(Request(), Ct);

        Assert.Empty(answer.Peers);
        Assert.Equal(2, connects.Count);
    }

    [Fact]
    public async Task ConnectAsync_NameWithOneAllowedAddressAmongRefusedOnes_DialsOnlyTheAllowedOne()
    {
        var connects = new ConcurrentQueue<IPEndPoint>();
        var dialer = new HostDialer
        {
            Resolve = (_, _) => Task.FromResult(new[] { IPAddress.Parse("169.254.169.254"), IPAddress.Parse("127.0.0.1") }),
            Connect = (to, _) => { connects.Enqueue(to); return ValueTask.FromResult<Stream>(new MemoryStream()); },
        };

        await using var stream = await dialer.ConnectAsync("mixed.test", 80, PeerScope.Any, Ct);

        Assert.Equal([IPEndPoint.Parse("127.0.0.1:80")], connects.ToArray());
    }
}
