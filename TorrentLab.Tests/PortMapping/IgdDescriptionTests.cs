using TorrentLab.PortMapping;

namespace TorrentLab.Tests.PortMapping;

/// <summary>Finding the port-mapping service and its control URL in a UPnP device description.</summary>
public class IgdDescriptionTests
{
    /// <summary>miniupnpd 2.3.1's description (IGD 2), as served in the namespace tests, less its friendly names.</summary>
    private const string Miniupnpd = """
        <?xml version="1.0"?>
        <root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337"><specVersion><major>1</major><minor>1</minor></specVersion>
        <device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><UDN>uuid:3f1c6a1e</UDN>
        <serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId>
        <SCPDURL>/L3F.xml</SCPDURL><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service></serviceList>
        <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType>
        <serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>
        <SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL></service></serviceList>
        <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>
        <serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
        <SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service>
        <service><serviceType>urn:schemas-upnp-org:service:WANIPv6FirewallControl:1</serviceType><serviceId>urn:upnp-org:serviceId:WANIPv6Firewall1</serviceId>
        <SCPDURL>/WANIP6FC.xml</SCPDURL><controlURL>/ctl/IP6FCtl</controlURL><eventSubURL>/evt/IP6FCtl</eventSubURL></service></serviceList>
        </device></deviceList></device></deviceList></device></root>
        """;

    private static readonly Uri Location = new("http://10.71.1.1:43829/rootDesc.xml");

    [Fact]
    public void Miniupnpds_Description_HasWanIpConnection2_AtItsControlUrl()
    {
        var service = IgdDescription.FindService(Miniupnpd, Location)!;

        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", service.ServiceType);
        Assert.Equal(new Uri("http://10.71.1.1:43829/ctl/IPConn"), service.ControlUrl);
        Assert.True(service.HasAddAny);
    }

    [Fact]
    public void AnIgd1_WithAUrlBase_ResolvesARelativeControlUrlAgainstIt()
    {
        var xml = """
            <root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://192.168.1.1:5000/</URLBase><device><deviceList><device>
            <deviceList><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
            <controlURL>upnp/control/WANIPConn1</controlURL></service></serviceList></device></deviceList></device></deviceList></device></root>
            """;

        var service = IgdDescription.FindService(xml, new Uri("http://192.168.1.1:49152/desc.xml"))!;

        Assert.Equal(new Uri("http://192.168.1.1:5000/upnp/control/WANIPConn1"), service.ControlUrl);
        Assert.False(service.HasAddAny); // IGD 1 has no AddAnyPortMapping
    }

    [Fact]
    public void APppLink_HasWanPppConnection_AndAWanIpOneIsPreferredWhenBothAre()
    {
        var ppp = """<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service></serviceList></device></root>""";
        Assert.Equal("urn:schemas-upnp-org:service:WANPPPConnection:1", IgdDescription.FindService(ppp, Location)!.ServiceType);

        var both = ppp.Replace("</serviceList>", "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ip</controlURL></service></serviceList>",
            StringComparison.Ordinal);
        Assert.Equal(new Uri("http://10.71.1.1:43829/ip"), IgdDescription.FindService(both, Location)!.ControlUrl);
    }

    [Fact]
    public void ADeviceWithoutAPortMappingService_HasNone() =>
        Assert.Null(IgdDescription.FindService(Miniupnpd.Replace("WANIPConnection:2", "WANIPConnectionX:2", StringComparison.Ordinal), Location));

    [Fact]
    public void ADocumentType_IsRefused_NoEntityIsExpanded() =>
        Assert.Throws<PortMappingException>(() => IgdDescription.FindService(
            """<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x "WANIPConnection">]><root/>""", Location));

    [Theory]
    [InlineData("<root><device>")]                                                          // not well-formed
    [InlineData("<root><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>ftp://10.71.1.1/x</controlURL></service></root>")]
    public void ABrokenDocumentOrANonHttpControlUrl_IsRefusedInOneLine(string xml)
    {
        var e = Assert.Throws<PortMappingException>(() => IgdDescription.FindService(xml, Location));
        Assert.DoesNotContain('\n', e.Message);
    }
}
