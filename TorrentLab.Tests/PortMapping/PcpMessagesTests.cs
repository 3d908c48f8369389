using System.Net;
using TorrentLab.PortMapping;

namespace TorrentLab.Tests.PortMapping;

/// <summary>PCP's MAP request and answer byte for byte (RFC 6887, sections 7.1, 7.2 and 11.1).</summary>
public class PcpMessagesTests
{
    private static readonly byte[] Nonce = Convert.FromHexString("0102030405060708090A0B0C");

    /// <summary>A MAP answer: success, lifetime 7200, epoch 42, the nonce, TCP, 6881 mapped to 7000 on 1.2.3.4.</summary>
    private const string Answer =
        "02810000" + "00001C20" + "0000002A" + "000000000000000000000000" +
        "0102030405060708090A0B0C" + "06000000" + "1AE11B58" + "00000000000000000000FFFF01020304";

    [Fact]
    public void MapRequest_IsTheCommonHeaderThenTheMapFields_WithIPv4AsMappedIPv6()
    {
        var request = PcpMessages.MapRequest(Nonce, IpProtocol.Tcp, 6881, 6881, null, 7200, IPAddress.Parse("192.168.1.2"));

        Assert.Equal(Convert.FromHexString(
            "02010000" +                            // version 2, R=0 opcode MAP, reserved
            "00001C20" +                            // requested lifetime 7200
            "00000000000000000000FFFFC0A80102" +    // client ::ffff:192.168.1.2
            "0102030405060708090A0B0C" +            // nonce
            "06000000" +                            // TCP, reserved 24 bits
            "1AE11AE1" +                            // internal 6881, suggested external 6881
            "00000000000000000000FFFF00000000"),    // no suggested address: IPv4's all-zeros, ::ffff:0.0.0.0
            request);
    }

    [Fact]
    public void MapRequest_ForARenewal_SuggestsTheAddressAndPortGranted()
    {
        var request = PcpMessages.MapRequest(Nonce, IpProtocol.Udp, 6881, 7000, IPAddress.Parse("1.2.3.4"), 7200, IPAddress.Parse("192.168.1.2"));

        Assert.Equal(17, request[36]);
        Assert.Equal(Convert.FromHexString("1AE11B58" + "00000000000000000000FFFF01020304"), request[40..]);
    }

    [Fact]
    public void MapRequest_NeedsATwelveByteNonce() =>
        Assert.Throws<ArgumentException>(() => PcpMessages.MapRequest(Nonce[..11], IpProtocol.Tcp, 1, 1, null, 1, IPAddress.Loopback));

    [Fact]
    public void MapAnswer_GivesResultLifetimeEpochAndTheAssignedPortAndAddress()
    {
        var answer = PcpMessages.ReadMapAnswer(Convert.FromHexString(Answer))!.Value;

        Assert.Equal((0, 7200u, 42u, IpProtocol.Tcp, (ushort)6881, (ushort)7000), (answer.ResultCode, answer.Lifetime, answer.Epoch, answer.Protocol,
            answer.InternalPort, answer.ExternalPort));
        Assert.Equal(Nonce, answer.Nonce);
        Assert.Equal(IPAddress.Parse("1.2.3.4"), answer.ExternalAddress);
    }

    [Fact]
    public void MapAnswer_WithAnError_GivesItsResultCode() =>
        Assert.Equal(PcpMessages.NotAuthorized, PcpMessages.ReadMapAnswer(Convert.FromHexString("02810002" + Answer[8..]))!.Value.ResultCode);

    [Fact]
    public void MapAnswer_FollowedByOptions_IsReadAndTheOptionsIgnored() =>
        Assert.NotNull(PcpMessages.ReadMapAnswer(Convert.FromHexString(Answer + "8000000400000000")));

    [Theory]
    [InlineData("00810000")] // version 0
    [InlineData("02010000")] // R bit clear: a request
    [InlineData("02820000")] // the PEER opcode
    public void ReadMapAnswer_RefusesAnotherVersionOrOpcode(string head) =>
        Assert.Null(PcpMessages.ReadMapAnswer(Convert.FromHexString(head + Answer[8..])));

    [Fact]
    public void ReadMapAnswer_RefusesALengthNotAMultipleOfFourOrTooShort()
    {
        Assert.Null(PcpMessages.ReadMapAnswer(Convert.FromHexString(Answer + "00")));
        Assert.Null(PcpMessages.ReadMapAnswer(Convert.FromHexString(Answer[..^8])));
    }

    [Fact]
    public void ReadMapAnswer_RefusesAProtocolWeNeverAskFor() =>
        Assert.Null(PcpMessages.ReadMapAnswer(Convert.FromHexString(Answer[..72] + "00" + Answer[74..])));

    [Theory]
    [InlineData(2, "NOT_AUTHORIZED")]
    [InlineData(8, "NO_RESOURCES")]
    [InlineData(11, "CANNOT_PROVIDE_EXTERNAL")]
    [InlineData(200, "result code 200")]
    public void Describe_NamesEachResultCode(int code, string name) => Assert.Equal(name, PcpMessages.Describe((byte)code));
}
