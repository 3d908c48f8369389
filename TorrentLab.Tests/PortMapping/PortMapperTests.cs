using System.Collections.Concurrent;
using System.Net;
using TorrentLab.PortMapping;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.PortMapping;

/// <summary>The mapper's life on a manual clock against routers on 127.0.0.1: TCP and UDP mapped on one port number,
/// renewed half way through the lease, another port or a vanished router handled in one line, everything deleted at
/// stop.</summary>
[Collection(PortMappingCollection.Name)]
public class PortMapperTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Events
    {
        public ConcurrentQueue<string> Log { get; } = new();
        public ConcurrentQueue<int?> Ports { get; } = new();
        public ConcurrentQueue<IPAddress> Addresses { get; } = new();
        public int Lines(string text) => Log.Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    private static PortMapper Start(ManualClock clock, Events events, PortMappingProtocols protocols, int natPmpPort = 0,
        IPEndPoint? ssdp = null) =>
        PortMapper.Start(new PortMapperOptions
        {
            InternalPort = 6881,
            Protocols = protocols,
            Lease = TimeSpan.FromMinutes(10),
            NatPmpPort = natPmpPort,
            SsdpTarget = ssdp ?? new IPEndPoint(IPAddress.Loopback, 9),
            SearchWindow = TimeSpan.FromSeconds(10),
            Timing = new GatewayTiming(TimeSpan.FromMilliseconds(100), 3), // on the manual clock: resent only when a test moves it
            Time = clock,
            Log = events.Log.Enqueue,
            ExternalPortChanged = events.Ports.Enqueue,
            ExternalAddressChanged = events.Addresses.Enqueue,
        }, new Gateway(IPAddress.Loopback, IPAddress.Loopback, "lo"));

    private static Task WaitForAsync(Func<bool> condition, string what) =>
        Wait.UntilAsync(condition, TimeSpan.FromSeconds(30), $"timed out waiting for {what}", Ct);

    /// <summary>A round that waits for an answer lost on the way would wait for the manual clock: a failure, not a hang.</summary>
    private static Task FirstRoundAsync(PortMapper mapper) => mapper.FirstRound.WaitAsync(TimeSpan.FromSeconds(60), Ct);

    /// <summary>Moves the clock to the mapper's next wake-up, once it has armed one of <paramref name="due"/>.</summary>
    private static async Task AdvanceToAsync(ManualClock clock, TimeSpan due)
    {
        await WaitForAsync(() => clock.PendingTimers.Contains(due), $"a timer in {due}");
        clock.Advance(due);
    }

    [Fact]
    public async Task MapsTcpThenUdpOnTheSamePort_TellsPortAndAddress_AndRenewsHalfWayThroughTheLease()
    {
        using var gateway = new FakeNatGateway { GrantPort = 7000, Lifetime = 600 };
        var (clock, events) = (new ManualClock(), new Events());
        gateway.EpochClock = clock;
        await using var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);

        await FirstRoundAsync(mapper);

        Assert.Equal([(IpProtocol.Tcp, 6881, 6881, 600u), (IpProtocol.Udp, 6881, 7000, 600u)],
            gateway.PcpMaps.Select(m => (m.Protocol, m.Internal, m.Suggested, m.Lifetime)));
        Assert.Equal([7000], events.Ports);
        Assert.Equal([IPAddress.Parse("1.2.3.4")], events.Addresses);
        Assert.Equal(7000, mapper.ExternalPort);
        Assert.Equal(1, events.Lines("PCP (127.0.0.1) mapped TCP external port 7000 to our 6881 for 10 min (asked for 6881, which the router gave to another)"));

        await AdvanceToAsync(clock, TimeSpan.FromMinutes(5));
        await WaitForAsync(() => gateway.PcpMaps.Count == 4, "the renewals");

        // A renewal asks for the port granted (RFC 6886 3.3), and a renewal that changes nothing says nothing.
        Assert.Equal([7000, 7000], gateway.PcpMaps.Skip(2).Select(m => m.Suggested));
        Assert.Single(events.Ports);
        Assert.Equal(2, events.Lines("mapped"));
    }

    [Fact]
    public async Task ARenewalOnAnotherPort_IsOneLine_AndTheNewPortIsTold()
    {
        using var gateway = new FakeNatGateway { Lifetime = 600 };
        var (clock, events) = (new ManualClock(), new Events());
        gateway.EpochClock = clock;
        await using var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);
        await FirstRoundAsync(mapper);

        gateway.GrantPort = 7100; // the router restarted and gave our port away
        await AdvanceToAsync(clock, TimeSpan.FromMinutes(5));
        await WaitForAsync(() => events.Ports.Count == 2, "the new port");

        Assert.Equal([6881, 7100], events.Ports);
        Assert.Equal(1, events.Lines("renewed TCP on another external port: 7100 (was 6881)"));
        Assert.Equal(1, events.Lines("renewed UDP on another external port: 7100 (was 6881)"));
    }

    [Fact]
    public async Task ARouterThatDisappears_IsOneLine_ThePortIsNoLongerTold_AndItIsMappedAgainWhenTheRouterIsBack()
    {
        var gateway = new FakeNatGateway { Lifetime = 600 };
        var port = gateway.Port;
        var (clock, events) = (new ManualClock(), new Events());
        await using var mapper = Start(clock, events, PortMappingProtocols.Pcp | PortMappingProtocols.NatPmp, port);
        await FirstRoundAsync(mapper);

        gateway.Dispose(); // its port now answers with ICMP port unreachable
        await AdvanceToAsync(clock, TimeSpan.FromMinutes(5));
        await WaitForAsync(() => events.Ports.Count == 2, "the lost port");

        Assert.Equal([6881, null], events.Ports);
        var failure = Assert.Single(events.Log, l => l.Contains("trying again", StringComparison.Ordinal));
        Assert.Equal($"port mapping: PCP/NAT-PMP (127.0.0.1): 127.0.0.1:{port} is closed (ICMP port unreachable): the gateway does not speak NAT-PMP or PCP; trying again in 1 min", failure);
        Assert.Empty(mapper.Mappings);

        using var back = new FakeNatGateway(port) { Lifetime = 600 };
        await AdvanceToAsync(clock, TimeSpan.FromMinutes(1));
        await WaitForAsync(() => events.Ports.Count == 3, "the port mapped again");
        Assert.Equal(6881, events.Ports.Last());
        Assert.Equal(2, mapper.Mappings.Count);
    }

    [Fact]
    public async Task ARouterWhoseEpochWentBack_HasEveryMappingMadeAgainAtOnce()
    {
        // RFC 6886 3.6: "the client MUST immediately renew all its active port mapping leases".
        using var gateway = new FakeNatGateway { Lifetime = 600 };
        var (clock, events) = (new ManualClock(), new Events());
        gateway.EpochClock = clock;
        await using var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);
        await FirstRoundAsync(mapper);
        await WaitForAsync(() => clock.PendingTimers.SequenceEqual([TimeSpan.FromMinutes(5)]), "the renewal's timer");

        clock.Advance(TimeSpan.FromMinutes(1)); // no timer of the mapper is due yet
        gateway.Epoch = 0;                      // the router restarted
        gateway.EpochClock = clock;
        await AdvanceToAsync(clock, TimeSpan.FromMinutes(4));

        // The renewal's answers show the reset: a second round follows at once, without a timer.
        await WaitForAsync(() => gateway.PcpMaps.Count == 6, "the mappings made again");
        Assert.Equal([IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Tcp, IpProtocol.Udp], gateway.PcpMaps.Select(m => m.Protocol));
    }

    [Fact]
    public async Task ASilentRouter_IsAskedAgainOnlyAsTheMappersClockMoves_ThenIsOneLine_AndATryAgainLater()
    {
        using var gateway = new FakeNatGateway { Silent = true };
        var (clock, events) = (new ManualClock(), new Events());
        await using var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);

        // RFC 6886 3.1's schedule, shortened: 100 ms, then 200 and 400, each wait on the clock the renewals use.
        var wait = TimeSpan.FromMilliseconds(100);
        for (var sent = 1; sent <= 3; sent++, wait *= 2)
        {
            await WaitForAsync(() => gateway.Requests.Count == sent && clock.PendingTimers.SequenceEqual([wait]), $"request {sent} and its wait");
            Assert.False(mapper.FirstRound.IsCompleted);
            clock.Advance(wait);
        }
        await FirstRoundAsync(mapper);

        Assert.Equal(3, gateway.Requests.Count);
        Assert.Equal([$"port mapping: PCP (127.0.0.1): no answer from 127.0.0.1:{gateway.Port} after 3 tries; trying again in 1 min"], events.Log);
        Assert.Empty(events.Ports);
    }

    [Fact]
    public async Task Stop_DeletesEveryMapping_EachInOneLine()
    {
        using var gateway = new FakeNatGateway();
        var (clock, events) = (new ManualClock(), new Events());
        var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);
        await FirstRoundAsync(mapper);

        await mapper.DisposeAsync();

        Assert.Equal([(IpProtocol.Tcp, 0u), (IpProtocol.Udp, 0u)], gateway.PcpMaps.Skip(2).Select(m => (m.Protocol, m.Lifetime)));
        Assert.Equal(1, events.Lines("removed TCP external port 6881"));
        Assert.Equal(1, events.Lines("removed UDP external port 6881"));
    }

    [Fact]
    public async Task Stop_WhileAMappingIsAsked_DeletesWhatTheRouterMayHaveMadeOfIt()
    {
        // The router made the mapping but its answer was lost; the stop comes while the request waits to be sent again.
        using var gateway = new FakeNatGateway { Silent = true };
        var (clock, events) = (new ManualClock(), new Events());
        var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);
        await WaitForAsync(() => gateway.Requests.Count == 1 && clock.PendingTimers.Contains(TimeSpan.FromMilliseconds(100)), "the first request and its wait");
        gateway.Silent = false;

        await mapper.DisposeAsync();

        // Asked, then deleted (lifetime 0, the same nonce): UDP was never asked for, the stop came first.
        var maps = gateway.PcpMaps;
        Assert.Equal([(IpProtocol.Tcp, 600u), (IpProtocol.Tcp, 0u)], maps.Select(m => (m.Protocol, m.Lifetime)));
        Assert.Equal(maps[0].Nonce, maps[1].Nonce);
        Assert.Equal(["port mapping: PCP (127.0.0.1) removed TCP external port 6881 (asked for before the stop, which came before the answer)"], events.Log);
    }

    [Fact]
    public async Task ARoundThatFailsAfterItsMappings_LeavesThemToBeDeletedAtStop()
    {
        // TCP and UDP mapped, then the router's answer to GetExternalIPAddress is unreadable: the round fails, and the
        // router still forwards both ports.
        using var device = new FakeUpnpDevice { ExternalAddress = "not an address" };
        var (clock, events) = (new ManualClock(), new Events());
        var mapper = Start(clock, events, PortMappingProtocols.Upnp, ssdp: device.SsdpEndPoint);
        await FirstRoundAsync(mapper);
        Assert.Equal(1, events.Lines("not an IPv4 address: 'not an address'; trying again in 1 min"));
        Assert.Equal(2, device.Mappings.Count);
        Assert.Empty(mapper.Mappings); // not announced any more

        await mapper.DisposeAsync();

        Assert.Empty(device.Mappings);
        Assert.Equal(1, events.Lines("removed TCP external port 6881"));
        Assert.Equal(1, events.Lines("removed UDP external port 6881"));
    }

    [Fact]
    public async Task Stop_WhileAUpnpAnswerIsOnItsWay_DeletesTheMappingTheRouterShowsAsOurs()
    {
        using var device = new FakeUpnpDevice { HoldAddAnswers = new TaskCompletionSource() };
        var (clock, events) = (new ManualClock(), new Events());
        var mapper = Start(clock, events, PortMappingProtocols.Upnp, ssdp: device.SsdpEndPoint);
        await WaitForAsync(() => device.Mappings.ContainsKey(("TCP", 6881)), "the TCP mapping made, its answer held");

        await mapper.DisposeAsync();

        Assert.Empty(device.Mappings);
        Assert.Equal(["AddPortMapping", "GetSpecificPortMappingEntry", "DeletePortMapping"], device.Requests.Select(r => r.Action).Where(a => !a.StartsWith('/')));
        Assert.Equal(1, events.Lines("removed TCP external port 6881 (asked for before the stop, which came before the answer)"));
    }

    [Fact]
    public async Task Stop_WhileAUpnpAnswerIsOnItsWay_LeavesAnotherHostsMappingOnThatPort()
    {
        // Another host holds 6881: the router refuses ours (ConflictInMappingEntry), and that answer is on its way.
        using var device = new FakeUpnpDevice { HoldAddAnswers = new TaskCompletionSource() };
        device.Taken.Add(6881);
        device.Mappings[("TCP", 6881)] = ("192.168.1.9", 6881, 0);
        var (clock, events) = (new ManualClock(), new Events());
        var mapper = Start(clock, events, PortMappingProtocols.Upnp, ssdp: device.SsdpEndPoint);
        await WaitForAsync(() => device.Requests.Any(r => r.Action == "AddPortMapping"), "the request refused, its answer held");

        await mapper.DisposeAsync();

        Assert.Equal(("192.168.1.9", 6881, 0), device.Mappings[("TCP", 6881)]);
        Assert.DoesNotContain(device.Requests, r => r.Action == "DeletePortMapping");
        Assert.Equal(1, events.Lines("no TCP external port 6881 of ours to remove"));
    }

    [Fact]
    public async Task APrivateExternalAddress_IsNotTold_AndSaysSoOnce()
    {
        using var gateway = new FakeNatGateway { External = IPAddress.Parse("192.168.0.1") };
        var (clock, events) = (new ManualClock(), new Events());
        await using var mapper = Start(clock, events, PortMappingProtocols.Pcp, gateway.Port);
        await FirstRoundAsync(mapper);

        Assert.Empty(events.Addresses);
        Assert.Null(mapper.ExternalAddress);
        Assert.Contains(events.Log, l => l.Contains("says our external address is 192.168.0.1, which is not public (another NAT in front?): not used", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upnp_MapsAndDeletesThroughTheDeviceItFinds()
    {
        using var device = new FakeUpnpDevice();
        var (clock, events) = (new ManualClock(), new Events());
        var mapper = Start(clock, events, PortMappingProtocols.Upnp, ssdp: device.SsdpEndPoint);
        await FirstRoundAsync(mapper);

        Assert.Equal(["TCP", "UDP"], device.Mappings.Keys.Select(k => k.Protocol).Order());
        Assert.Equal([6881], events.Ports);
        Assert.Equal([IPAddress.Parse("1.2.3.4")], events.Addresses);

        await mapper.DisposeAsync();
        Assert.Empty(device.Mappings);
    }

    [Fact]
    public async Task NoDeviceAnsweringTheSearch_IsOneLine_AndATryAgainLater()
    {
        var (clock, events) = (new ManualClock(), new Events());
        await using var mapper = Start(clock, events, PortMappingProtocols.Upnp); // nobody listens where the search goes

        // The search window (10 s) runs on the mapper's clock: the search is sent again half way, then given up.
        await AdvanceToAsync(clock, TimeSpan.FromSeconds(5));
        await AdvanceToAsync(clock, TimeSpan.FromSeconds(5));
        await FirstRoundAsync(mapper);

        Assert.Equal(["port mapping: UPnP: no UPnP device with a port-mapping service answered the search; trying again in 1 min"], events.Log);
        Assert.Empty(events.Ports);
    }
}
