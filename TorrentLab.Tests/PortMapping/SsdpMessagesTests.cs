using System.Text;
using TorrentLab.PortMapping;

namespace TorrentLab.Tests.PortMapping;

/// <summary>SSDP's search and its answers (UPnP Device Architecture 1.1, section 1.3).</summary>
public class SsdpMessagesTests
{
    /// <summary>What miniupnpd 2.3.1 answered in the namespace tests.</summary>
    private const string MiniupnpdAnswer = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n" +
        "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
        "USN: uuid:22d70456-5425-46fc-9992-158446871337::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nEXT:\r\n" +
        "SERVER: Debian/6.18 UPnP/1.1 MiniUPnPd/2.3.1\r\nLOCATION: http://10.71.1.1:43829/rootDesc.xml\r\n" +
        "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n01-NLS: 1795629159\r\nBOOTID.UPNP.ORG: 1795629159\r\n\r\n";

    [Fact]
    public void Search_IsAnMSearchForAnInternetGatewayDevice_ByteForByte() =>
        Assert.Equal("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n" +
            "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n", Encoding.ASCII.GetString(SsdpMessages.Search()));

    [Fact]
    public void Answer_GivesTheDescriptionsLocationAndTheSearchTarget()
    {
        var answer = SsdpMessages.ReadAnswer(Encoding.ASCII.GetBytes(MiniupnpdAnswer))!;

        Assert.Equal(new Uri("http://10.71.1.1:43829/rootDesc.xml"), answer.Location);
        Assert.Equal(SsdpMessages.InternetGatewayDevice, answer.SearchTarget);
        Assert.Equal("Debian/6.18 UPnP/1.1 MiniUPnPd/2.3.1", answer.Server);
    }

    [Fact]
    public void Answer_HeaderNamesInAnyCaseAndBareNewlines_AreRead() =>
        Assert.NotNull(SsdpMessages.ReadAnswer(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\nlocation: http://192.168.1.1:5000/desc.xml\nst: upnp:rootdevice\n\n")));

    [Theory]
    [InlineData("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nLOCATION: http://192.168.1.1:5000/d.xml\r\nNT: upnp:rootdevice\r\n\r\n")]
    [InlineData("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n")]
    [InlineData("HTTP/1.1 404 Not Found\r\nLOCATION: http://192.168.1.1:5000/d.xml\r\nST: upnp:rootdevice\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n")]                                       // no location
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://192.168.1.1:5000/d.xml\r\n\r\n")]                    // no ST
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://router.example/d.xml\r\nST: upnp:rootdevice\r\n\r\n")] // a name, never resolved
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: https://192.168.1.1/d.xml\r\nST: upnp:rootdevice\r\n\r\n")]   // not http
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: /d.xml\r\nST: upnp:rootdevice\r\n\r\n")]                      // not absolute
    [InlineData("")]
    public void ReadAnswer_RefusesWhatIsNotASearchAnswerWithAnHttpLocationOnAnAddress(string text) =>
        Assert.Null(SsdpMessages.ReadAnswer(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void ReadAnswer_RefusesInvalidUtf8AndOversizedDatagrams()
    {
        Assert.Null(SsdpMessages.ReadAnswer([0x48, 0x54, 0xFF, 0xFE]));
        Assert.Null(SsdpMessages.ReadAnswer(Encoding.ASCII.GetBytes(MiniupnpdAnswer + new string('x', SsdpMessages.MaxAnswerBytes))));
    }
}
