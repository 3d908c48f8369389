using System.Collections.Concurrent;
using System.Net;
using System.Text;
using TorrentLab.PortMapping;
using TorrentLab.Tests.Infrastructure;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace TorrentLab.Tests.PortMapping;

/// <summary>The UPnP IGD client against a device on 127.0.0.1 (<see cref="FakeUpnpDevice"/>): discovery by SSDP and the
/// description, then the WANIPConnection actions.</summary>
public class UpnpClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<UpnpClient> DiscoverAsync(FakeUpnpDevice device, ConcurrentQueue<string>? log = null) =>
        await UpnpClient.DiscoverAsync(device.SsdpEndPoint, IPAddress.Loopback, IPAddress.Loopback, TimeSpan.FromSeconds(10), log is null ? null : log.Enqueue, Ct)
        ?? throw new InvalidOperationException("no device found: " + string.Join("\n", log ?? []));

    [Fact]
    public async Task Discovery_SendsAnMSearch_AndFindsTheServiceInTheDescription()
    {
        using var device = new FakeUpnpDevice();

        await using var client = await DiscoverAsync(device);

        Assert.Equal(Encoding.ASCII.GetString(SsdpMessages.Search()), device.Searches.First());
        Assert.Equal(device.ServiceType, client.Service.ServiceType);
        Assert.Equal(new Uri($"http://127.0.0.1:{device.HttpPort}/ctl/IPConn"), client.Service.ControlUrl);
        Assert.Equal($"UPnP (http://127.0.0.1:{device.HttpPort}/rootDesc.xml)", client.Name);
    }

    [Fact]
    public async Task AnAnswerWhoseDescriptionIsOnAnotherHost_IsIgnored_AndThatHostNeverAsked()
    {
        using var device = new FakeUpnpDevice { LocationHost = "127.0.0.2" };
        var log = new ConcurrentQueue<string>();

        var client = await UpnpClient.DiscoverAsync(device.SsdpEndPoint, IPAddress.Loopback, IPAddress.Loopback, TimeSpan.FromSeconds(1), log.Enqueue, Ct);

        Assert.Null(client);
        Assert.Contains(log, l => l.Contains("ignored an SSDP answer from 127.0.0.1 whose description is elsewhere", StringComparison.Ordinal));
        Assert.Empty(device.Requests);
    }

    [Fact]
    public async Task Map_PostsAddPortMappingForOurAddress_WithTheLeaseAsked()
    {
        using var device = new FakeUpnpDevice();
        await using var client = await DiscoverAsync(device);

        var mapping = await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        Assert.Equal(new GrantedMapping(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), "UPnP"), mapping);
        Assert.Equal(("127.0.0.1", 6881, 3600), device.Mappings[("TCP", 6881)]);
        var add = device.Requests.Single(r => r.Action == "AddPortMapping");
        Assert.Equal($"\"{device.ServiceType}#AddPortMapping\"", add.SoapAction);
        Assert.Equal(UpnpSoap.AddPortMapping(device.ServiceType, IpProtocol.Tcp, 6881, 6881, "127.0.0.1", "TorrentLab", 3600), add.Body);
    }

    [Fact]
    public async Task APortTakenByAnother_OnAnIgd2_IsAskedOfAddAnyPortMapping_AndThePortItReservesIsTheMapping()
    {
        using var device = new FakeUpnpDevice { Taken = { 6881, 6882 } };
        await using var client = await DiscoverAsync(device);

        var mapping = await client.MapAsync(IpProtocol.Udp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        Assert.Equal(6883, mapping.ExternalPort);
        Assert.Equal(["/rootDesc.xml", "AddPortMapping", "AddAnyPortMapping"], device.Requests.Select(r => r.Action));
        Assert.True(device.Mappings.ContainsKey(("UDP", 6883)));
    }

    [Fact]
    public async Task APortTakenByAnother_OnAnIgd1_IsTriedElsewhere()
    {
        using var device = new FakeUpnpDevice(igdVersion: 1) { Taken = { 6881 } };
        await using var client = await DiscoverAsync(device);

        var mapping = await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        Assert.NotEqual(6881, mapping.ExternalPort);
        Assert.True(device.Mappings.ContainsKey(("TCP", mapping.ExternalPort)));
        Assert.DoesNotContain(device.Requests, r => r.Action == "AddAnyPortMapping");
    }

    [Fact]
    public async Task ARouterWithPermanentLeasesOnly_GetsLeaseZero_AndTheMappingIsNotRenewed()
    {
        using var device = new FakeUpnpDevice(igdVersion: 1) { PermanentOnly = true };
        await using var client = await DiscoverAsync(device);

        var mapping = await client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        Assert.Equal(TimeSpan.Zero, mapping.Lifetime);
        Assert.Equal(0, device.Mappings[("TCP", 6881)].Lease);
    }

    [Fact]
    public async Task ARefusal_IsAnErrorNamingTheUpnpError()
    {
        using var device = new FakeUpnpDevice { RefuseWith = 606 };
        await using var client = await DiscoverAsync(device);

        var e = await Assert.ThrowsAsync<PortMappingException>(() => client.MapAsync(IpProtocol.Tcp, 6881, 6881, TimeSpan.FromHours(1), Ct));

        Assert.Equal("UPnP refused TCP 6881 -> 127.0.0.1:6881: ActionNotAuthorized (606: error 606)", e.Message);
        Assert.True(e.Refused);
    }

    [Fact]
    public async Task ExternalAddress_IsGetExternalIPAddresss_AndAnEmptyOneIsNone()
    {
        using var device = new FakeUpnpDevice();
        await using var client = await DiscoverAsync(device);

        Assert.Equal(IPAddress.Parse("1.2.3.4"), await client.ExternalAddressAsync(Ct));
        device.ExternalAddress = "";
        Assert.Null(await client.ExternalAddressAsync(Ct));
        device.ExternalAddress = "not-an-address";
        await Assert.ThrowsAsync<PortMappingException>(() => client.ExternalAddressAsync(Ct));
    }

    [Fact]
    public async Task Unmap_DeletesTheMapping_AndOneAlreadyGoneIsNoError()
    {
        using var device = new FakeUpnpDevice();
        await using var client = await DiscoverAsync(device);
        var mapping = await client.MapAsync(IpProtocol.Udp, 6881, 6881, TimeSpan.FromHours(1), Ct);

        await client.UnmapAsync(mapping, Ct);
        Assert.Empty(device.Mappings);
        await client.UnmapAsync(mapping, Ct); // 714 NoSuchEntryInArray: gone, as wanted

        Assert.Equal(2, device.Requests.Count(r => r.Action == "DeletePortMapping"));
    }

    // A gateway's description that lists only a WAN common-interface service: nothing to map ports with.
    private const string DescriptionWithoutPortMapping =
        "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device>" +
        "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><serviceList><service>" +
        "<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>" +
        "<controlURL>/ctl/CmnIfCfg</controlURL></service></serviceList></device></root>";

    /// <summary>The device description served by a stub HTTP server (WireMock.Net), the way a broken gateway serves it.</summary>
    private static IResponseBuilder Description(string answer) => answer switch
    {
        "no port-mapping service" => Response.Create().WithHeader("Content-Type", "text/xml").WithBody(DescriptionWithoutPortMapping),
        "not found" => Response.Create().WithStatusCode(404),
        // WireMock's MALFORMED_RESPONSE_CHUNK: the first half of the description, then random bytes.
        "half a description and random bytes" => Response.Create().WithBody(DescriptionWithoutPortMapping).WithFault(FaultType.MALFORMED_RESPONSE_CHUNK),
        _ => throw new ArgumentOutOfRangeException(nameof(answer), answer, "no such description"),
    };

    [Theory]
    [InlineData("no port-mapping service", "has no WANIPConnection or WANPPPConnection service")]
    [InlineData("not found", "answered HTTP 404")]
    [InlineData("half a description and random bytes", "the device description at")]
    public async Task Discovery_DeviceWhoseDescriptionIsUnusable_IsSkippedWithItsReason(string answer, string reason)
    {
        using var stub = StubHttp.Start();
        stub.Given(Request.Create().WithPath("/rootDesc.xml").UsingGet()).RespondWith(Description(answer));
        using var device = new FakeUpnpDevice { LocationPort = stub.Ports[0] };
        var log = new ConcurrentQueue<string>();

        var client = await UpnpClient.DiscoverAsync(device.SsdpEndPoint, IPAddress.Loopback, IPAddress.Loopback, TimeSpan.FromSeconds(10), log.Enqueue, Ct);

        Assert.Null(client);
        Assert.Contains(log, l => l.StartsWith("port mapping: ", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal));
        Assert.Single(stub.LogEntries);   // asked once, at the address that answered the search
        Assert.Empty(device.Requests);    // no action posted anywhere
    }
}
