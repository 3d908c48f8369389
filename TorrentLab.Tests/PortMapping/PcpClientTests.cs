using System.Net;
using System.Net.Sockets;
using TorrentLab.PortMapping;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.PortMapping;

/// <summary>The PCP client and its NAT-PMP fallback against a gateway on 127.0.0.1 (<see cref="FakeNatGateway"/>).</summary>
[Collection(PortMappingCollection.Name)]
public class PcpClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Short waits: a request the gateway does not answer fails after three tries.</summary>
    private static readonly GatewayTiming Quick = new(TimeSpan.FromMilliseconds(100), 3);

    /// <summary>A client on <paramref name="clock"/>; by default a manual clock nobody moves, so an answer a loaded
    /// machine delivers late is waited for and the request never sent twice (a test counts the requests).</summary>
    private static PcpClient Client(FakeNatGateway gateway, bool pcp = true, bool natPmp = true, TimeProvider? clock = null) =>
        new(new IPEndPoint(IPAddress.Loopback, gateway.Port), IPAddress.Loopback, pcp, natPmp, clock ?? new ManualClock()) { Timing = Quick };

    [Fact]
    public async Task Pcp_MapsWithANonceAndOurAddress_AndGivesThePortLifetimeAndAddressGranted()
    {
        using var gateway = new FakeNatGateway { GrantPort = 7000, Lifetime = 600 };
        await using var client = Client(gateway);

        var mapping = await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        Assert.Equal(new GrantedMapping(IpProtocol.Tcp, 6881, 7000, TimeSpan.FromSeconds(600), "PCP", IPAddress.Parse("1.2.3.4")), mapping);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal(PcpMessages.MapRequestSize, request.Length);
        Assert.Equal(IPAddress.Loopback, PcpMessages.ReadAddress(request.AsSpan(8, 16))); // the client's own address
        Assert.Equal((IpProtocol.Tcp, 6881, 6881, 3600u), (gateway.PcpMaps[0].Protocol, gateway.PcpMaps[0].Internal, gateway.PcpMaps[0].Suggested, gateway.PcpMaps[0].Lifetime));
        Assert.Equal(IPAddress.Parse("1.2.3.4"), await client.ExternalAddressAsync(Ct)); // named by the MAP answer: nothing more sent
        Assert.Single(gateway.Requests);
    }

    [Fact]
    public async Task Pcp_RenewalAndDeletion_UseTheMappingsNonce()
    {
        using var gateway = new FakeNatGateway();
        await using var client = Client(gateway);
        var mapping = await client.MapAsync(IpProtocol.Udp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        await client.MapAsync(IpProtocol.Udp, 6881, mapping.ExternalPort, TimeSpan.FromHours(1), Ct);
        await client.UnmapAsync(mapping, Ct);

        var maps = gateway.PcpMaps;
        Assert.Equal(3, maps.Count);
        Assert.All(maps, m => Assert.Equal(maps[0].Nonce, m.Nonce));
        Assert.Equal(0u, maps[2].Lifetime); // RFC 6887: a lifetime of 0 deletes
    }

    [Fact]
    public async Task AGatewayThatSpeaksOnlyNatPmp_AnswersPcpWithUnsupportedVersion_AndTheRequestIsMadeAgainInNatPmp()
    {
        using var gateway = new FakeNatGateway { SpeaksPcp = false, GrantPort = 7001 };
        await using var client = Client(gateway);

        var mapping = await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);
        var address = await client.ExternalAddressAsync(Ct);

        Assert.Equal(("NAT-PMP", 7001), (mapping.Via, mapping.ExternalPort));
        Assert.Equal(IPAddress.Parse("1.2.3.4"), address);
        Assert.Equal([2, 0, 0], gateway.Requests.Select(r => (int)r[0])); // PCP first, then NAT-PMP's map and address requests
        Assert.Equal((IpProtocol.Tcp, 6881, 6881, 3600u), gateway.NatPmpMaps[0]);
    }

    [Fact]
    public async Task PcpOnly_ToAGatewayThatSpeaksOnlyNatPmp_IsRefused()
    {
        using var gateway = new FakeNatGateway { SpeaksPcp = false };
        await using var client = Client(gateway, natPmp: false);

        var e = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct));

        Assert.True(e.Refused);
        Assert.Contains("speaks NAT-PMP only", e.Message, StringComparison.Ordinal);
        Assert.Single(gateway.Requests);
    }

    [Fact]
    public async Task NatPmpOnly_NeverSendsPcp_AndDeletesWithLifetimeZero()
    {
        using var gateway = new FakeNatGateway();
        await using var client = Client(gateway, pcp: false);

        var mapping = await client.MapAsync(IpProtocol.Udp, 6881, 6881, TimeSpan.FromHours(1), Ct);
        await client.UnmapAsync(mapping, Ct);

        Assert.Equal("NAT-PMP", mapping.Via);
        Assert.All(gateway.Requests, r => Assert.Equal(0, r[0]));
        Assert.Equal([(IpProtocol.Udp, 6881, 6881, 3600u), (IpProtocol.Udp, 6881, 0, 0u)], gateway.NatPmpMaps);
    }

    [Theory]
    [InlineData(true, PcpMessages.NotAuthorized, "PCP refused TCP 6881: NOT_AUTHORIZED")]
    [InlineData(false, NatPmpMessages.NotAuthorized, "NAT-PMP refused TCP 6881: not authorized/refused")]
    [InlineData(false, 42, "NAT-PMP refused TCP 6881: result code 42")]
    public async Task ARefusal_IsAnErrorNamingTheResult(bool pcp, int result, string message)
    {
        using var gateway = new FakeNatGateway { ResultCode = (byte)result };
        await using var client = Client(gateway, pcp, natPmp: !pcp);

        var e = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct));

        Assert.Equal(message, e.Message);
        Assert.True(e.Refused);
    }

    [Fact]
    public async Task ASilentGateway_IsAskedAsOftenAsTheTimingSays_ThenGivenUp_OnTheSystemClock()
    {
        using var gateway = new FakeNatGateway { Silent = true };
        await using var client = Client(gateway, clock: TimeProvider.System);

        var e = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct));

        Assert.Equal($"no answer from 127.0.0.1:{gateway.Port} after 3 tries", e.Message);
        Assert.Equal(3, gateway.Requests.Count);
        Assert.False(e.Refused);
    }

    [Fact]
    public async Task TheTestGateway_KeepsOnlyPcpAndNatPmpRequests_NotWhatAnotherTestStillSendsToItsPort()
    {
        // On 127.0.0.1 the gateway's port may be one another test just freed; what that test still sends there is not
        // its client's (here: a DHT ping, a UDP tracker's connect and a uTP SYN before one NAT-PMP request).
        using var gateway = new FakeNatGateway { Silent = true };
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var to = new IPEndPoint(IPAddress.Loopback, gateway.Port);
        byte[][] strays = [
            "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe"u8.ToArray(),
            Convert.FromHexString("0000041727101980000000000000002A"),
            Convert.FromHexString("410000010000000000000000000100000000000000000000")];
        foreach (var stray in strays) await stranger.SendToAsync(stray, SocketFlags.None, to, Ct);
        await stranger.SendToAsync(NatPmpMessages.ExternalAddressRequest(), SocketFlags.None, to, Ct);

        await Wait.UntilAsync(() => !gateway.Requests.IsEmpty, TimeSpan.FromSeconds(30), "the NAT-PMP request", Ct);
        Assert.Equal([NatPmpMessages.ExternalAddressRequest()], gateway.Requests); // loopback keeps the order sent
    }

    [Fact]
    public async Task ASilentGateway_IsAskedAgainOnlyWhenTheClientsClockHasMovedByEachWait_EachTwiceTheLast_ThenGivenUp()
    {
        // RFC 6886 3.1: wait, send again, "with the interval between attempts doubling each time". On a manual clock
        // nothing but the test's moves may bring a resend, however long the machine takes.
        using var gateway = new FakeNatGateway { Silent = true };
        var clock = new ManualClock();
        await using var client = new PcpClient(new IPEndPoint(IPAddress.Loopback, gateway.Port), IPAddress.Loopback, true, true, clock)
            { Timing = new GatewayTiming(TimeSpan.FromSeconds(1), 4) };

        var mapping = client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        var wait = TimeSpan.FromSeconds(1);
        for (var sent = 1; sent <= 4; sent++, wait *= 2)
        {
            await Wait.UntilAsync(() => gateway.Requests.Count == sent && clock.PendingTimers.SequenceEqual([wait]), TimeSpan.FromSeconds(30),
                $"request {sent}, and a wait of {wait} on the clock", Ct);
            clock.Advance(wait - TimeSpan.FromTicks(1)); // short of the wait: still waiting for this answer
            Assert.Equal([TimeSpan.FromTicks(1)], clock.PendingTimers);
            Assert.Equal(sent, gateway.Requests.Count);
            Assert.False(mapping.IsCompleted);
            clock.Advance(TimeSpan.FromTicks(1));
        }

        var e = await Assert.ThrowsAsync<PortMappingException>(() => mapping);
        Assert.Equal($"no answer from 127.0.0.1:{gateway.Port} after 4 tries", e.Message);
        Assert.Equal(4, gateway.Requests.Count);
        Assert.Empty(clock.PendingTimers);
    }

    [Fact]
    public async Task AClosedPort_FailsAtOnce_OnTheGatewaysPortUnreachable()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        await using var client = new PcpClient(new IPEndPoint(IPAddress.Loopback, port), IPAddress.Loopback, true, true)
            { Timing = new GatewayTiming(TimeSpan.FromSeconds(30), 9) }; // a wait the test would notice: the ICMP ends it first

        var e = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct))
            .WaitAsync(TimeSpan.FromSeconds(25), Ct);

        Assert.Contains("ICMP port unreachable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnswerFromAnotherPort_IsDiscarded()
    {
        // RFC 6886 3.3: "the client MUST check the source IP address, and silently discard the packet if the address is
        // not the address of the gateway to which the request was sent" (and RFC 6887 its port too).
        using var gateway = new FakeNatGateway { Silent = true };
        var clock = new ManualClock();
        await using var client = Client(gateway, clock: clock);
        var mapping = client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);
        await Wait.UntilAsync(() => gateway.LastSender is not null, TimeSpan.FromSeconds(30), Ct);
        var request = gateway.Requests.First();
        var answer = new byte[PcpMessages.MapAnswerSize]; // a success with the right nonce, protocol and port...
        answer[0] = 2;
        answer[1] = 0x81;
        request.AsSpan(24, 20).CopyTo(answer.AsSpan(24));
        using (var impostor = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            impostor.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // ...from another port than the gateway's
            await impostor.SendToAsync(answer, SocketFlags.None, gateway.LastSender!, Ct);
        }

        // The client has the answer in its socket and waits on the manual clock: however slow the machine, it is read
        // before the tries run out (each try's wait ends only when the test moves the clock).
        var wait = Quick.FirstWait;
        for (var sent = 1; sent <= Quick.Attempts; sent++, wait *= 2)
        {
            await Wait.UntilAsync(() => gateway.Requests.Count == sent && clock.PendingTimers.SequenceEqual([wait]), TimeSpan.FromSeconds(30),
                $"request {sent}, and a wait of {wait} on the clock", Ct);
            Assert.False(mapping.IsCompleted);
            clock.Advance(wait);
        }
        var e = await Assert.ThrowsAsync<PortMappingException>(() => mapping);
        Assert.StartsWith("no answer from", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEpochThatWentBack_SaysTheGatewayLostItsMappings()
    {
        // RFC 6886 3.6: an epoch more than 2 s below 7/8 of the time passed since the last one means a reboot.
        using var gateway = new FakeNatGateway { Epoch = 1000 };
        var clock = new ManualClock();
        await using var client = Client(gateway, clock: clock);
        await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);
        Assert.False(client.TakeReset());

        clock.Advance(TimeSpan.FromMinutes(10));
        gateway.Epoch = 1000 + 600 * 7 / 8; // a gateway that kept counting, slowly: no reset
        await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);
        Assert.False(client.TakeReset());

        clock.Advance(TimeSpan.FromMinutes(10));
        gateway.Epoch = 30; // restarted
        await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);
        Assert.True(client.TakeReset());
        Assert.False(client.TakeReset()); // reading clears it
    }
}
