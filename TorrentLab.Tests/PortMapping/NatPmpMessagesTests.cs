using System.Net;
using TorrentLab.PortMapping;

namespace TorrentLab.Tests.PortMapping;

/// <summary>NAT-PMP's datagrams byte for byte (RFC 6886, sections 3.2 to 3.5).</summary>
public class NatPmpMessagesTests
{
    [Fact]
    public void ExternalAddressRequest_IsVersionZeroOpcodeZero() =>
        Assert.Equal([0x00, 0x00], NatPmpMessages.ExternalAddressRequest());

    [Fact]
    public void MapRequest_ForTcp_IsOpcodeTwoWithPortsAndLifetimeInNetworkOrder() =>
        // | 0 | 2 | reserved 0 | internal 6881 | suggested 6881 | lifetime 3600 |
        Assert.Equal(Convert.FromHexString("000200001AE11AE100000E10"),
            NatPmpMessages.MapRequest(IpProtocol.Tcp, 6881, 6881, 3600));

    [Fact]
    public void MapRequest_ForUdp_IsOpcodeOne() =>
        Assert.Equal(Convert.FromHexString("000100001AE11B5800001C20"), NatPmpMessages.MapRequest(IpProtocol.Udp, 6881, 7000, 7200));

    [Fact]
    public void MapRequest_WithLifetimeZero_DeletesAndZeroesTheSuggestedPort() =>
        // RFC 6886 3.4: "The Suggested External Port MUST be set to zero by the client on sending".
        Assert.Equal(Convert.FromHexString("000100001AE1000000000000"), NatPmpMessages.MapRequest(IpProtocol.Udp, 6881, 7000, 0));

    [Fact]
    public void ExternalAddressAnswer_GivesTheResultEpochAndAddress()
    {
        var answer = NatPmpMessages.ReadAnswer(Convert.FromHexString("008000000000002A01020304"));

        Assert.Equal(new NatPmpAnswer(128, 0, 42, IPAddress.Parse("1.2.3.4")), answer);
    }

    [Fact]
    public void ExternalAddressAnswer_WithAnError_IgnoresTheAddressField() =>
        // "If the result code is non-zero, the value of the External IPv4 Address field is undefined (... MUST be ignored
        // on reception)."
        Assert.Null(NatPmpMessages.ReadAnswer(Convert.FromHexString("008000030000002A09090909"))!.Value.ExternalAddress);

    [Fact]
    public void MapAnswer_GivesInternalAndExternalPortAndLifetime()
    {
        var answer = NatPmpMessages.ReadAnswer(Convert.FromHexString("008200000000002A1AE11B5800000E10"))!.Value;

        Assert.Equal((130, 0, 42u, (ushort)6881, (ushort)7000, 3600u),
            ((int)answer.Opcode, (int)answer.ResultCode, answer.Epoch, answer.InternalPort, answer.ExternalPort, answer.Lifetime));
    }

    [Fact]
    public void UnsupportedVersionAnswer_IsRecognised_AsWhatAnOldGatewaySaysToPcp()
    {
        var datagram = Convert.FromHexString("0000000100000007");

        Assert.True(NatPmpMessages.IsUnsupportedVersion(datagram));
        Assert.Equal(NatPmpMessages.UnsupportedVersion, NatPmpMessages.ReadAnswer(datagram)!.Value.ResultCode);
        Assert.False(NatPmpMessages.IsUnsupportedVersion(Convert.FromHexString("008200000000002A1AE11B5800000E10")));
    }

    [Theory]
    [InlineData("018000000000002A01020304")]         // not version 0
    [InlineData("008000000000")]                      // too short for any answer
    [InlineData("008200000000002A1AE11B58")]         // a mapping answer cut short
    [InlineData("008300000000002A1AE11B5800000E10")] // opcode 131: no request has opcode 3
    [InlineData("000200001AE11AE100000E10")]         // a request, not an answer
    public void ReadAnswer_RefusesWhatIsNotAnAnswer(string hex) =>
        Assert.Null(NatPmpMessages.ReadAnswer(Convert.FromHexString(hex)));

    [Theory]
    [InlineData(2, "not authorized/refused")]
    [InlineData(4, "out of resources")]
    [InlineData(99, "result code 99")] // "Clients MUST be able to properly handle result codes not defined in this document."
    public void Describe_NamesEachResultCode(int code, string words) => Assert.Equal(words, NatPmpMessages.Describe((ushort)code));
}
