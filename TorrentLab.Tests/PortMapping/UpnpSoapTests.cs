using TorrentLab.PortMapping;

namespace TorrentLab.Tests.PortMapping;

/// <summary>The WANIPConnection SOAP actions byte for byte, and the reading of their answers and faults.</summary>
public class UpnpSoapTests
{
    private const string Service = "urn:schemas-upnp-org:service:WANIPConnection:2";

    private const string Envelope = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" " +
        "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";

    [Fact]
    public void AddPortMapping_IsTheEnvelopeWithEveryArgumentInOrder() =>
        Assert.Equal(Envelope + "<u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewRemoteHost></NewRemoteHost>" +
            "<NewExternalPort>6881</NewExternalPort><NewProtocol>TCP</NewProtocol><NewInternalPort>6881</NewInternalPort>" +
            "<NewInternalClient>192.168.1.2</NewInternalClient><NewEnabled>1</NewEnabled>" +
            "<NewPortMappingDescription>TorrentLab</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration>" +
            "</u:AddPortMapping></s:Body></s:Envelope>\r\n",
            UpnpSoap.AddPortMapping(Service, IpProtocol.Tcp, 6881, 6881, "192.168.1.2", "TorrentLab", 3600));

    [Fact]
    public void DeletePortMapping_NamesTheExternalPortAndProtocol() =>
        Assert.Equal(Envelope + "<u:DeletePortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewRemoteHost></NewRemoteHost>" +
            "<NewExternalPort>7000</NewExternalPort><NewProtocol>UDP</NewProtocol></u:DeletePortMapping></s:Body></s:Envelope>\r\n",
            UpnpSoap.DeletePortMapping(Service, IpProtocol.Udp, 7000));

    [Fact]
    public void GetSpecificPortMappingEntry_NamesTheExternalPortAndProtocol() =>
        Assert.Equal(Envelope + "<u:GetSpecificPortMappingEntry xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"><NewRemoteHost></NewRemoteHost>" +
            "<NewExternalPort>7001</NewExternalPort><NewProtocol>TCP</NewProtocol></u:GetSpecificPortMappingEntry></s:Body></s:Envelope>\r\n",
            UpnpSoap.GetSpecificPortMappingEntry(Service, IpProtocol.Tcp, 7001));

    [Fact]
    public void GetExternalIPAddress_HasNoArgument_AndTheHeaderQuotesServiceAndAction()
    {
        Assert.Equal(Envelope + "<u:GetExternalIPAddress xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\"></u:GetExternalIPAddress></s:Body></s:Envelope>\r\n",
            UpnpSoap.GetExternalIPAddress(Service));
        Assert.Equal("\"urn:schemas-upnp-org:service:WANIPConnection:2#GetExternalIPAddress\"", UpnpSoap.ActionHeader(Service, "GetExternalIPAddress"));
    }

    [Fact]
    public void ADescription_IsEscaped() =>
        Assert.Contains("<NewPortMappingDescription>a &lt;b&gt; &amp; c</NewPortMappingDescription>",
            UpnpSoap.AddPortMapping(Service, IpProtocol.Tcp, 1, 1, "10.0.0.2", "a <b> & c", 1), StringComparison.Ordinal);

    [Fact]
    public void ASuccess_GivesTheOutArguments()
    {
        var answer = UpnpSoap.Read(200, """
            <?xml version="1.0"?>
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>
            <u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"><NewExternalIPAddress>1.2.3.4</NewExternalIPAddress>
            </u:GetExternalIPAddressResponse></s:Body></s:Envelope>
            """, "GetExternalIPAddress");

        Assert.False(answer.Failed);
        Assert.Equal("1.2.3.4", answer.Values["NewExternalIPAddress"]);
    }

    [Fact]
    public void AnEmptyResponse_IsASuccessWithoutArguments() =>
        Assert.Empty(UpnpSoap.Read(200, """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMappingResponse xmlns:u="x"/></s:Body></s:Envelope>""",
            "AddPortMapping").Values);

    [Fact]
    public void AFault_GivesTheUpnpErrorCodeAndDescription()
    {
        var answer = UpnpSoap.Read(500, """
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>
            <detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail>
            </s:Fault></s:Body></s:Envelope>
            """, "AddPortMapping");

        Assert.Equal((718, "ConflictInMappingEntry"), (answer.ErrorCode, answer.ErrorDescription));
        Assert.Equal("ConflictInMappingEntry (718: ConflictInMappingEntry)", UpnpSoap.Describe(answer.ErrorCode, answer.ErrorDescription));
    }

    [Theory]
    [InlineData(200, "<s:Envelope")]                                            // not well-formed
    [InlineData(500, "<html><body>Internal error</body></html>")]               // a failure without a UPnP error
    [InlineData(200, "<s:Envelope><s:Body/></s:Envelope>")]                     // no response element
    [InlineData(500, "<e><UPnPError><errorCode>x1</errorCode></UPnPError></e>")] // a code that is not a number
    public void AnythingElse_IsRefusedInOneLine(int status, string xml)
    {
        var e = Assert.Throws<PortMappingException>(() => UpnpSoap.Read(status, xml.Replace("s:", "", StringComparison.Ordinal), "AddPortMapping"));
        Assert.DoesNotContain('\n', e.Message);
    }
}
