using System.Net;
using System.Net.Sockets;
using TorrentLab.Proxy;

namespace TorrentLab.Tests.Proxy;

/// <summary>SOCKS5's messages byte for byte (RFC 1928, RFC 1929).</summary>
public class Socks5MessagesTests
{
    [Fact]
    public void Greeting_OffersNoAuthentication_AndTheUserNameAndPasswordWhenWeHaveOne()
    {
        Assert.Equal([0x05, 0x01, 0x00], Socks5Messages.Greeting(withPassword: false));
        Assert.Equal([0x05, 0x02, 0x00, 0x02], Socks5Messages.Greeting(withPassword: true));
    }

    [Fact]
    public void MethodSelection_GivesTheMethod_AndRefusesAnotherVersion()
    {
        Assert.Equal(Socks5Messages.UsernamePassword, Socks5Messages.ReadMethod([0x05, 0x02]));
        Assert.Equal(Socks5Messages.NoAcceptableMethods, Socks5Messages.ReadMethod([0x05, 0xFF]));
        Assert.Throws<Socks5Exception>(() => Socks5Messages.ReadMethod([0x04, 0x00]));
        Assert.Throws<Socks5Exception>(() => Socks5Messages.ReadMethod([0x05]));
    }

    [Fact]
    public void PasswordRequest_IsVersionOneWithLengthPrefixedNameAndPassword() =>
        Assert.Equal([0x01, 0x04, (byte)'u', (byte)'s', (byte)'e', (byte)'r', 0x02, (byte)'p', (byte)'w'], Socks5Messages.PasswordRequest("user", "pw"));

    [Theory]
    [InlineData("", "pw")]
    [InlineData("user", "")]
    public void PasswordRequest_RefusesAnEmptyNameOrPassword(string user, string password) =>
        Assert.Throws<ArgumentException>(() => Socks5Messages.PasswordRequest(user, password));

    [Fact]
    public void PasswordRequest_RefusesANameOfMoreThan255Bytes() =>
        Assert.Throws<ArgumentException>(() => Socks5Messages.PasswordRequest(new string('u', 256), "pw"));

    [Fact]
    public void PasswordReply_ZeroIsSuccess_AnythingElseAFailure()
    {
        Assert.True(Socks5Messages.ReadPasswordReply([0x01, 0x00]));
        Assert.False(Socks5Messages.ReadPasswordReply([0x01, 0x01]));
        Assert.Throws<Socks5Exception>(() => Socks5Messages.ReadPasswordReply([0x05, 0x00]));
    }

    [Fact]
    public void ConnectRequest_ToAnIPv4Address()
    {
        // | VER 5 | CMD CONNECT | RSV | ATYP IPv4 | 10.0.0.2 | 6881 |
        Assert.Equal(Convert.FromHexString("050100010A0000021AE1"), Socks5Messages.Request(Socks5Messages.Connect, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 6881)));
        // An IPv4-mapped address is sent as the IPv4 address it is.
        Assert.Equal(Convert.FromHexString("050100010A0000021AE1"), Socks5Messages.Request(Socks5Messages.Connect, new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.2"), 6881)));
    }

    [Fact]
    public void ConnectRequest_ToAnIPv6Address() =>
        Assert.Equal(Convert.FromHexString("05010004" + "20010DB8000000000000000000000001" + "1AE1"),
            Socks5Messages.Request(Socks5Messages.Connect, new IPEndPoint(IPAddress.Parse("2001:db8::1"), 6881)));

    [Fact]
    public void ConnectRequest_ToADomainName_LetsTheProxyResolveIt() =>
        Assert.Equal([0x05, 0x01, 0x00, 0x03, 9, .. "t.example"u8.ToArray(), 0x00, 0x50], Socks5Messages.Request(Socks5Messages.Connect, "t.example", 80));

    [Fact]
    public void UdpAssociateRequest_WithAnUnknownSource_IsAllZeros() =>
        Assert.Equal(Convert.FromHexString("05030001000000000000"), Socks5Messages.Request(Socks5Messages.UdpAssociate, new IPEndPoint(IPAddress.Any, 0)));

    [Fact]
    public void Reply_GivesTheCodeAndTheBoundAddress()
    {
        var reply = Socks5Messages.ReadReply(Convert.FromHexString("050000017F0000011F90"));

        Assert.True(reply.Succeeded);
        Assert.Equal((IPAddress.Parse("127.0.0.1"), 8080), (reply.BoundAddress, reply.BoundPort));
        Assert.Equal(10, Socks5Messages.ReplyLength(Convert.FromHexString("050000017F")));
        Assert.Equal(22, Socks5Messages.ReplyLength(Convert.FromHexString("0500000420")));
        Assert.Equal(4 + 1 + 9 + 2, Socks5Messages.ReplyLength(Convert.FromHexString("0500000309")));
    }

    [Fact]
    public void Reply_WithADomainName_GivesTheName()
    {
        var reply = Socks5Messages.ReadReply([0x05, 0x00, 0x00, 0x03, 5, .. "proxy"u8.ToArray(), 0x04, 0x38]);

        Assert.Equal(("proxy", 1080), (reply.BoundHost, reply.BoundPort));
    }

    [Theory]
    [InlineData(0x02, "connection not allowed by ruleset", SocketError.AccessDenied)]
    [InlineData(0x05, "connection refused", SocketError.ConnectionRefused)]
    [InlineData(0x07, "command not supported", SocketError.SocketError)]
    [InlineData(0x42, "reply code 66", SocketError.SocketError)]
    public void AFailedReply_IsNamedAndGivenTheSocketErrorOfADirectDial(int code, string words, SocketError error)
    {
        var reply = Socks5Messages.ReadReply([0x05, (byte)code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);

        Assert.False(reply.Succeeded);
        Assert.Equal(words, Socks5Messages.Describe(reply.Code));
        Assert.Equal(error, Socks5Messages.ErrorOf(reply.Code));
    }

    [Theory]
    [InlineData("040000017F0000011F90")] // SOCKS4
    [InlineData("050000057F0000011F90")] // an unknown address type
    [InlineData("050000017F0000011F")]   // cut short
    [InlineData("050000017F0000011F9000")] // a byte too many
    public void AReplyOutOfShape_IsRefused(string hex) =>
        Assert.Throws<Socks5Exception>(() => Socks5Messages.ReadReply(Convert.FromHexString(hex)));

    [Fact]
    public void UdpDatagram_IsTheHeaderThenTheData_AndReadsBack()
    {
        var to = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 6881);

        var datagram = Socks5Messages.UdpDatagram(to, "d1:ad2:id20"u8);
        var read = Socks5Messages.ReadUdpDatagram(datagram)!.Value;

        Assert.Equal(Convert.FromHexString("000000010A0000021AE1"), datagram[..10]);
        Assert.Equal(to, read.Remote);
        Assert.Equal("d1:ad2:id20"u8.ToArray(), read.Data.ToArray());
    }

    [Theory]
    [InlineData("000001010A0000021AE1AA")] // FRAG 1: "MUST drop any datagram whose FRAG field is other than X'00'"
    [InlineData("000100010A0000021AE1AA")] // RSV not zero
    [InlineData("000000010A00")]           // cut short
    [InlineData("000000090A0000021AE1AA")] // an unknown address type
    public void ARelayedDatagramOutOfShapeOrFragmented_IsDropped(string hex) =>
        Assert.Null(Socks5Messages.ReadUdpDatagram(Convert.FromHexString(hex)));
}
