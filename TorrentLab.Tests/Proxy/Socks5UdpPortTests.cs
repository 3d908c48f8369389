using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Network;
using TorrentLab.Proxy;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Proxy;

/// <summary>The UDP port through a proxy against a fake SOCKS5 server in process that answers UDP ASSOCIATE with
/// whatever relay a row names; the proxy is made to seem elsewhere (every connection beneath goes to the fake on
/// loopback) and no datagram leaves (the ports beneath record what they are given to send).</summary>
public sealed class Socks5UdpPortTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IPEndPoint Tracker = IPEndPoint.Parse("198.51.100.20:6969");

    [Theory]
    [InlineData("203.0.113.7", "127.0.0.1", "loopback")]          // a proxy elsewhere aiming at this machine
    [InlineData("203.0.113.7", "::1", "loopback")]
    [InlineData("203.0.113.7", "::ffff:127.0.0.1", "loopback")]   // IPv4-mapped
    [InlineData("203.0.113.7", "64:ff9b::7f00:1", "loopback")]    // NAT64 of 127.0.0.1
    [InlineData("203.0.113.7", "10.0.0.1", "private (LAN)")]      // ... or at our network
    [InlineData("203.0.113.7", "172.16.5.4", "private (LAN)")]
    [InlineData("203.0.113.7", "192.168.1.1", "private (LAN)")]
    [InlineData("203.0.113.7", "fd00::1", "private (LAN)")]
    [InlineData("203.0.113.7", "169.254.169.254", "link-local")]
    [InlineData("203.0.113.7", "fe80::1", "link-local")]
    [InlineData("203.0.113.7", "224.0.0.1", "multicast")]
    [InlineData("203.0.113.7", "ff02::1", "multicast")]
    [InlineData("203.0.113.7", "255.255.255.255", "reserved or broadcast")]
    [InlineData("203.0.113.7", "0.1.2.3", "unspecified")]
    [InlineData("10.1.1.1", "10.1.1.2", "private (LAN)")]        // a proxy on the LAN: its own address, not another
    [InlineData("10.1.1.1", "127.0.0.1", "loopback")]
    public async Task ProxyOnly_ARelayOutsideTheProxysScope_IsRefusedInOneLine_AndNothingIsSent(string proxyAt, string relayAt, string kind)
    {
        await using var fake = new FakeSocks5Server(new IPEndPoint(IPAddress.Parse(relayAt), 5000));
        var beneath = new RecordingNetwork(connectTo: fake.EndPoint, recordUdp: true);
        var lines = new ConcurrentQueue<string>();
        var network = new Socks5Network(beneath, new Socks5Proxy(proxyAt, 1080) { Only = true }, lines.Enqueue);
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Any, 0), new UdpPortOptions());
        port.Start((_, _) => { });

        port.Send("before"u8, Tracker);
        await port.Associated.WaitAsync(TimeSpan.FromSeconds(60), Ct); // the association loop ends: no relay to keep
        port.Send("after"u8, Tracker);
        port.Send("named"u8, "tracker.example", 6969);

        Assert.Null(port.Relay);
        Assert.Empty(beneath.Sent);
        var line = Assert.Single(lines);
        var named = IPAddress.Parse(relayAt) is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : IPAddress.Parse(relayAt);
        Assert.Contains($"names {new IPEndPoint(named, 5000)} as its UDP relay, an address that is {kind}: refused", line, StringComparison.Ordinal);
        Assert.Contains("no UDP is sent", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotProxyOnly_ARelayOutsideTheProxysScope_IsRefused_AndDatagramsGoDirect_ANameResolvedBeneath()
    {
        await using var fake = new FakeSocks5Server(IPEndPoint.Parse("127.0.0.1:5000"));
        var beneath = new RecordingNetwork(connectTo: fake.EndPoint, recordUdp: true,
            names: new Dictionary<string, IPAddress[]> { ["tracker.example"] = [IPAddress.Parse("ff02::1"), Tracker.Address] });
        var lines = new ConcurrentQueue<string>();
        var network = new Socks5Network(beneath, new Socks5Proxy("203.0.113.7", 1080), lines.Enqueue);
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Any, 0), new UdpPortOptions());
        port.Start((_, _) => { });

        port.Send("before"u8, Tracker);
        await port.Associated.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        port.Send("after"u8, Tracker);
        port.Send("named"u8, "tracker.example", Tracker.Port); // no relay, not proxy only: resolved beneath, sent direct

        await Wait.UntilAsync(() => beneath.Sent.Count == 3, TimeSpan.FromSeconds(60), string.Join("\n", lines), Ct);
        Assert.Null(port.Relay);
        Assert.Equal([Tracker, Tracker, Tracker], beneath.Sent.Select(s => s.To));
        Assert.Equal(["tracker.example"], beneath.Resolved);
        Assert.Contains("goes direct", Assert.Single(lines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("203.0.113.7", "0.0.0.0", "203.0.113.7")]  // all zeros: the proxy's own address, as proxies commonly answer
    [InlineData("203.0.113.7", "198.51.100.9", "198.51.100.9")] // a public relay of a public proxy
    [InlineData("10.1.1.1", "10.1.1.1", "10.1.1.1")]       // a proxy on the LAN naming itself
    [InlineData("10.1.1.1", "198.51.100.9", "198.51.100.9")]
    [InlineData("127.0.0.1", "127.0.0.1", "127.0.0.1")]   // a proxy on this machine: a loopback relay is its own scope
    [InlineData("127.0.0.1", "10.1.1.1", "10.1.1.1")]     // ... and it is trusted with any unicast relay
    public async Task ARelayInTheProxysScope_CarriesTheDatagrams(string proxyAt, string relayAt, string used)
    {
        await using var fake = new FakeSocks5Server(new IPEndPoint(IPAddress.Parse(relayAt), 5000));
        var beneath = new RecordingNetwork(connectTo: fake.EndPoint, recordUdp: true);
        var lines = new ConcurrentQueue<string>();
        var network = new Socks5Network(beneath, new Socks5Proxy(proxyAt, 1080) { Only = true }, lines.Enqueue);
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Any, 0), new UdpPortOptions());
        port.Start((_, _) => { });

        port.Send("hello"u8, Tracker);

        await Wait.UntilAsync(() => !beneath.Sent.IsEmpty, TimeSpan.FromSeconds(60), string.Join("\n", lines), Ct);
        var relay = new IPEndPoint(IPAddress.Parse(used), 5000);
        Assert.Equal(relay, port.Relay);
        var (data, to) = Assert.Single(beneath.Sent);
        Assert.Equal(relay, to);
        var relayed = Socks5Messages.ReadUdpDatagram(data);
        Assert.NotNull(relayed);
        Assert.Equal((Tracker, "hello"), (relayed.Value.Remote, System.Text.Encoding.ASCII.GetString(relayed.Value.Data.Span)));
        Assert.Empty(lines);
    }

    [Fact]
    public async Task Send_ToAHostName_PutsTheNameInTheRelaysHeader_AndAsksNoResolver()
    {
        await using var fake = new FakeSocks5Server(IPEndPoint.Parse("0.0.0.0:5000"));
        var beneath = new RecordingNetwork(connectTo: fake.EndPoint, recordUdp: true);
        var network = new Socks5Network(beneath, new Socks5Proxy("203.0.113.7", 1080) { Only = true });
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Any, 0), new UdpPortOptions());
        port.Start((_, _) => { });

        port.Send("hello"u8, "tracker.example", 6969); // before the association holds: it waits, then goes

        await Wait.UntilAsync(() => !beneath.Sent.IsEmpty, TimeSpan.FromSeconds(60), "nothing was sent", Ct);
        var (data, to) = Assert.Single(beneath.Sent);
        Assert.Equal(IPEndPoint.Parse("203.0.113.7:5000"), to);
        // RSV RSV FRAG, ATYP 3, the name's length and the name, the port, the data.
        Assert.Equal("00000003" + "0F" + Convert.ToHexString("tracker.example"u8) + "1B39" + Convert.ToHexString("hello"u8), Convert.ToHexString(data));
        Assert.Empty(beneath.Resolved);
    }
}
