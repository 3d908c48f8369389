using System.Net;
using TorrentLab.Extensions;

namespace TorrentLab.Tests.Extensions;

/// <summary>The ut_holepunch codec (BEP 55): byte-exact encodings, round trips and hostile payloads.</summary>
public class HolepunchMessageTests
{
    private static IPEndPoint Ep(string text) => IPEndPoint.Parse(text);

    [Fact]
    public void Encode_RendezvousIPv4_IsByteExact()
    {
        var bytes = HolepunchMessage.Rendezvous(Ep("10.0.2.2:6881")).Encode();

        Assert.Equal("00" + "00" + "0A000202" + "1AE1", Convert.ToHexString(bytes)); // rendezvous, IPv4, 10.0.2.2, port 6881
    }

    [Fact]
    public void Encode_ConnectIPv6_IsByteExact()
    {
        var bytes = HolepunchMessage.Connect(Ep("[2001:db8::1]:51413")).Encode();

        Assert.Equal("01" + "01" + "20010DB8000000000000000000000001" + "C8D5", Convert.ToHexString(bytes));
    }

    [Fact]
    public void Encode_Error_AppendsTheFourByteCode()
    {
        var bytes = HolepunchMessage.Failed(Ep("10.0.0.9:80"), HolepunchError.NoSelf).Encode();

        Assert.Equal("02" + "00" + "0A000009" + "0050" + "00000004", Convert.ToHexString(bytes));
    }

    [Fact]
    public void Encode_IPv4MappedAddress_IsSentAsIPv4()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("10.1.2.3").MapToIPv6(), 7);

        Assert.Equal("0100" + "0A010203" + "0007", Convert.ToHexString(HolepunchMessage.Connect(mapped).Encode()));
    }

    [Theory]
    [InlineData(nameof(HolepunchMessageType.Rendezvous), "127.0.0.1:1", nameof(HolepunchError.None))]
    [InlineData(nameof(HolepunchMessageType.Connect), "[::1]:65535", nameof(HolepunchError.None))]
    [InlineData(nameof(HolepunchMessageType.Error), "10.0.0.1:6881", nameof(HolepunchError.NoSuchPeer))]
    [InlineData(nameof(HolepunchMessageType.Error), "[fe80::1]:2", nameof(HolepunchError.NotConnected))]
    [InlineData(nameof(HolepunchMessageType.Error), "192.168.1.1:3", nameof(HolepunchError.NoSupport))]
    public void Encode_ThenDecode_RoundTrips(string type, string endpoint, string error) // enum names: the types are internal
    {
        var message = new HolepunchMessage(Enum.Parse<HolepunchMessageType>(type), Ep(endpoint), Enum.Parse<HolepunchError>(error));

        Assert.Equal(message, HolepunchMessage.Decode(message.Encode()));
    }

    [Fact]
    public void Decode_TrailingBytes_AreIgnored()
    {
        // A connect message with a zero error code after it, as a peer that always writes err_code would send.
        var message = HolepunchMessage.Decode(Convert.FromHexString("0100" + "0A000202" + "1AE1" + "00000000"));

        Assert.Equal(HolepunchMessage.Connect(Ep("10.0.2.2:6881")), message);
    }

    [Theory]
    [InlineData("")]                                // nothing at all
    [InlineData("00")]                              // no addr_type
    [InlineData("0300" + "0A000202" + "1AE1")]      // msg_type 3 is not defined
    [InlineData("FF00" + "0A000202" + "1AE1")]      // nor is 0xff
    [InlineData("0002" + "0A000202" + "1AE1")]      // addr_type 2 is not defined
    [InlineData("0000" + "0A0002")]                 // IPv4 address cut short
    [InlineData("0000" + "0A000202" + "1A")]        // port cut short
    [InlineData("0101" + "20010DB8000000000000000000000001")] // IPv6 without its port
    [InlineData("0200" + "0A000202" + "1AE1")]      // error without err_code
    [InlineData("0200" + "0A000202" + "1AE1" + "000000")]     // err_code cut short
    [InlineData("0200" + "0A000202" + "1AE1" + "00000000")]   // err_code 0 is no error
    [InlineData("0200" + "0A000202" + "1AE1" + "00000005")]   // err_code 5 is not defined
    [InlineData("0200" + "0A000202" + "1AE1" + "FFFFFFFF")]   // nor is 2^32-1
    public void Decode_Malformed_ThrowsExtensionException(string hex)
    {
        Assert.Throws<ExtensionException>(() => HolepunchMessage.Decode(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Decode_UnknownAddressType_NamesTheByteAndTheValue()
    {
        var e = Assert.Throws<ExtensionException>(() => HolepunchMessage.Decode(Convert.FromHexString("0107" + "0A000202" + "1AE1")));

        Assert.Contains("addr_type 0x07 at byte 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_ErrorWithoutCode_IsMisuse()
    {
        Assert.Throws<InvalidOperationException>(() => new HolepunchMessage(HolepunchMessageType.Error, Ep("10.0.0.1:1")).Encode());
        Assert.Throws<InvalidOperationException>(() => new HolepunchMessage(HolepunchMessageType.Connect, Ep("10.0.0.1:1"), HolepunchError.NoSelf).Encode());
    }
}
