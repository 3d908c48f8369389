using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using TorrentLab.Network;

namespace TorrentLab.Tests.Network;

/// <summary>The kernel's side of the network seam (<see cref="SystemNetwork"/>), on loopback: TCP both ways, failures
/// in the kernel's words, UDP datagrams in and out with the end of each burst signalled.</summary>
public class SystemNetworkTests
{
    private static readonly INetwork Net = SystemNetwork.Instance;
    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task ConnectAsync_ToAListener_GivesOneStreamEachSide_NamingEachOther()
    {
        var ct = Bounded();
        using var listener = Net.Listen(new IPEndPoint(IPAddress.Loopback, 0), 4);
        var accepting = listener.AcceptAsync(ct);
        await using var dialled = await Net.ConnectAsync(listener.LocalEndPoint, ct);
        var accepted = await accepting;
        Assert.NotNull(accepted);
        await using var server = accepted.Value.Stream;

        await dialled.WriteAsync("ping"u8.ToArray(), ct);
        var buffer = new byte[4];
        await server.ReadExactlyAsync(buffer, ct);
        Assert.Equal("ping"u8.ToArray(), buffer);
        await server.WriteAsync("pong"u8.ToArray(), ct);
        await dialled.ReadExactlyAsync(buffer, ct);
        Assert.Equal("pong"u8.ToArray(), buffer);
        Assert.Equal(IPAddress.Loopback, accepted.Value.Remote.Address);
    }

    [Fact]
    public async Task ConnectAsync_NobodyListening_FailsWithConnectionRefused()
    {
        using var taken = Net.Listen(new IPEndPoint(IPAddress.Loopback, 0), 1);
        var port = taken.LocalEndPoint.Port;
        taken.Dispose(); // the port is free again and nobody listens on it

        var error = await Assert.ThrowsAsync<SocketException>(() => Net.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Bounded()));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public void Listen_OnAPortAlreadyListenedOn_FailsWithAddressInUse()
    {
        using var first = Net.Listen(new IPEndPoint(IPAddress.Loopback, 0), 1);
        var error = Assert.Throws<SocketException>(() => Net.Listen(first.LocalEndPoint, 1));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public async Task Listener_DisposedWhileAnAcceptWaits_EndsThatAcceptAsDisposed()
    {
        var listener = Net.Listen(new IPEndPoint(IPAddress.Loopback, 0), 4);
        var accepting = listener.AcceptAsync(Bounded());
        listener.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => accepting);
    }

    [Fact]
    public async Task Listen_OnTheDualStackAny_NamesAnIPv4PeerByItsIPv4Address()
    {
        Assert.SkipUnless(Net.SupportsIPv6, "this machine has no IPv6");
        var ct = Bounded();
        using var listener = Net.Listen(new IPEndPoint(IPAddress.IPv6Any, 0), 4);
        var accepting = listener.AcceptAsync(ct);
        await using var dialled = await Net.ConnectAsync(new IPEndPoint(IPAddress.Loopback, listener.LocalEndPoint.Port), ct);
        var accepted = await accepting;
        await using var _ = accepted!.Value.Stream;
        Assert.Equal(IPAddress.Loopback, accepted.Value.Remote.Address);
    }

    [Theory]
    [InlineData(false)] // asynchronous reads (the DHT, trackers)
    [InlineData(true)]  // a receive thread with gathered sends (uTP)
    public async Task BindUdp_DatagramsArriveWithTheirSender_AndEachBurstEnds(bool receiveThread)
    {
        var ct = Bounded();
        var options = new UdpPortOptions { ReceiveThread = receiveThread, GatherSends = receiveThread };
        using var a = Net.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), options);
        using var b = Net.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), options);
        var received = Channel.CreateUnbounded<(byte[] Datagram, IPEndPoint From)>();
        var bursts = Channel.CreateUnbounded<bool>();
        b.Start((datagram, from) => received.Writer.TryWrite((datagram.ToArray(), from)), () => bursts.Writer.TryWrite(true));
        // a answers every datagram it hears, from its handler (on uTP's path: gathered, sent at the burst's end)
        a.Start((datagram, from) => a.Send(datagram.Span, from));

        b.Send([1, 2, 3], a.LocalEndPoint);
        var echoed = await received.Reader.ReadAsync(ct);
        Assert.Equal([1, 2, 3], echoed.Datagram);
        Assert.Equal(a.LocalEndPoint, echoed.From);
        Assert.True(await bursts.Reader.ReadAsync(ct), "the burst of one datagram ended");
    }

    [Fact]
    public void UdpPort_SendAfterDispose_IsALostDatagramNotAnException()
    {
        var port = Net.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), new UdpPortOptions());
        var to = port.LocalEndPoint;
        port.Dispose();
        port.Send([1], to);
    }

    [Fact]
    public void UdpPort_StartedTwice_IsRefused()
    {
        using var port = Net.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), new UdpPortOptions());
        port.Start((_, _) => { });
        Assert.Throws<InvalidOperationException>(() => port.Start((_, _) => { }));
    }
}
