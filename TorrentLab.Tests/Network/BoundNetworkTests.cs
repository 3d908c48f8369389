using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using TorrentLab.Downloads;
using TorrentLab.Network;
using TorrentLab.Tests.Infrastructure;
using static TorrentLab.Tests.Network.InterfaceWatchTests;

namespace TorrentLab.Tests.Network;

/// <summary>A network bound to one interface (<see cref="BoundNetwork"/>) over the kernel's loopback, the interface's
/// state and addresses faked (it is "lo", at 127.0.0.2 or 127.0.0.3): connections go out from its address, nothing
/// goes out while it is down, listeners and UDP ports close and come back on the same port.</summary>
public class BoundNetworkTests
{
    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;
    private static readonly INetwork Kernel = SystemNetwork.Instance;

    private static (BoundNetwork Bound, FakeInterface Nic, List<string> Lines) Bind(string address = "127.0.0.2")
    {
        var nic = new FakeInterface(FakeInterface.Up(address));
        var lines = new List<string>();
        var bound = new BoundNetwork(Kernel, "lo", line => { lock (lines) lines.Add(line); }, nic.Read);
        bound.Start(new ManualClock());
        return (bound, nic, lines);
    }

    [Fact]
    public async Task ConnectAsync_InterfaceUp_GoesOutFromItsAddress()
    {
        var ct = Bounded();
        var (bound, _, _) = Bind("127.0.0.2");
        using var _b = bound;
        using var server = Kernel.Listen(new IPEndPoint(IPAddress.Loopback, 0), 4);
        var accepting = server.AcceptAsync(ct);
        await using var stream = await bound.ConnectAsync(server.LocalEndPoint, ct);
        var accepted = (await accepting)!.Value;
        await using var _s = accepted.Stream;
        Assert.Equal(IPAddress.Parse("127.0.0.2"), accepted.Remote.Address); // unbound, the kernel would pick 127.0.0.1
    }

    [Fact]
    public async Task ConnectAsync_InterfaceDown_RefusedWithALine_NothingReachesTheListener()
    {
        var ct = Bounded();
        var (bound, nic, lines) = Bind();
        using var _b = bound;
        using var server = Kernel.Listen(new IPEndPoint(IPAddress.Loopback, 0), 4);
        nic.State = FakeInterface.Down("127.0.0.2");
        bound.Watch.Check();

        var refused = await Assert.ThrowsAsync<SocketException>(() => bound.ConnectAsync(server.LocalEndPoint, ct));
        Assert.Equal(SocketError.NetworkDown, refused.SocketErrorCode);
        Assert.Equal(1, bound.Refused);
        Assert.Contains(lines, l => l.StartsWith("interface lo down: sending nothing: connection to 127.0.0.1:", StringComparison.Ordinal));
        await Assert.ThrowsAsync<SocketException>(() => bound.ResolveAsync("localhost", ct)); // a lookup is a packet too
        Assert.Empty(bound.Interfaces());

        // Back up: the first connection the listener ever sees is the one made now.
        nic.State = FakeInterface.Up("127.0.0.2");
        bound.Watch.Check();
        await using var stream = await bound.ConnectAsync(server.LocalEndPoint, ct);
        var ours = (IPEndPoint)((NetworkStream)stream).Socket.LocalEndPoint!;
        var accepted = (await server.AcceptAsync(ct))!.Value;
        await using var _s = accepted.Stream;
        Assert.Equal(ours, accepted.Remote);
    }

    [Fact]
    public async Task Listen_FollowsTheInterface_ClosedWhileDown_SamePortAtTheNewAddress()
    {
        var ct = Bounded();
        var (bound, nic, _) = Bind("127.0.0.2");
        using var _b = bound;
        using var listener = bound.Listen(new IPEndPoint(IPAddress.IPv6Any, 0), 4);
        var port = listener.LocalEndPoint.Port;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), listener.LocalEndPoint);
        await ConnectAndAcceptAsync(listener, new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), ct);

        nic.State = FakeInterface.Down("127.0.0.2");
        bound.Watch.Check();
        var closed = await Assert.ThrowsAsync<SocketException>(() => Kernel.ConnectAsync(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), ct));
        Assert.Equal(SocketError.ConnectionRefused, closed.SocketErrorCode);

        nic.State = FakeInterface.Up("127.0.0.3");
        bound.Watch.Check();
        await ConnectAndAcceptAsync(listener, new IPEndPoint(IPAddress.Parse("127.0.0.3"), port), ct);
        await Assert.ThrowsAsync<SocketException>(() => Kernel.ConnectAsync(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), ct));
    }

    private static async Task ConnectAndAcceptAsync(ITcpListener listener, IPEndPoint at, CancellationToken ct)
    {
        await using var client = await Kernel.ConnectAsync(at, ct);
        var accepted = (await listener.AcceptAsync(ct))!.Value;
        await using var _ = accepted.Stream;
        Assert.Equal(IPAddress.Loopback, accepted.Remote.Address);
    }

    [Fact]
    public async Task BindUdp_DropsWhileDown_ThenTheSamePortReceivesAgain()
    {
        var ct = Bounded();
        var (bound, nic, lines) = Bind("127.0.0.2");
        using var _b = bound;
        var received = Channel.CreateUnbounded<IPEndPoint>();
        using var port = (BoundUdpPort)bound.BindUdp(new IPEndPoint(IPAddress.Any, 0), new UdpPortOptions());
        port.Start((_, from) => received.Writer.TryWrite(from));
        var at = port.LocalEndPoint;
        Assert.Equal(IPAddress.Parse("127.0.0.2"), at.Address);

        nic.State = FakeInterface.Down("127.0.0.2");
        bound.Watch.Check();
        Assert.False(port.IsBound);
        port.Send([1, 2, 3], new IPEndPoint(IPAddress.Loopback, 9)); // never leaves
        port.Send([1, 2, 3], new IPEndPoint(IPAddress.Loopback, 9));
        Assert.Equal(2, bound.Dropped);
        Assert.Single(lines, l => l.Contains("UDP datagrams dropped", StringComparison.Ordinal)); // one line per outage

        nic.State = FakeInterface.Up("127.0.0.2");
        bound.Watch.Check();
        Assert.Equal(at, port.LocalEndPoint);
        using var sender = Kernel.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), new UdpPortOptions());
        sender.Send([7], at);
        Assert.Equal(sender.LocalEndPoint, await received.Reader.ReadAsync(ct));
    }

    [Theory]
    [InlineData("bind")]        // the interface's addresses are the ones listened on
    [InlineData("port-mapping")] // the router is on the default route
    [InlineData("name")]         // not an interface name
    public async Task SessionStart_BindInterfaceWithWhatContradictsIt_IsRefused(string what)
    {
        var settings = new SessionSettings { BindInterface = what == "name" ? "tun 0" : "tun0", ListenPort = 0 };
        settings = what switch
        {
            "bind" => settings with { BindAddresses = [IPAddress.Loopback] },
            "port-mapping" => settings with { PortMapping = TorrentLab.PortMapping.PortMappingProtocols.All },
            _ => settings,
        };
        var refused = Assert.Throws<ArgumentException>(() => TorrentLab.Client.TorrentSession.Start(settings));
        Assert.Contains(what == "bind" ? "BindAddresses" : what == "name" ? "BindInterface" : "PortMapping", refused.Message);
        await Task.CompletedTask;
    }
}
