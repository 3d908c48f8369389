using System.Text;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>BEP 20 peer id prefixes to client names.</summary>
public class PeerClientsTests
{
    [Theory]
    [InlineData("-LT2080-abcdefghijkl", "libtorrent 2.0.8.0")]
    [InlineData("-TL0100-abcdefghijkl", "TorrentLab 0.1.0.0")]
    [InlineData("-TR3000-abcdefghijkl", "Transmission 3.0.0.0")]
    [InlineData("-qB4650-abcdefghijkl", "qBittorrent 4.6.5.0")]
    [InlineData("A2-1-37-0-abcdefghij", "aria2 1.37.0")]
    [InlineData("M7-2-0--abcdefghijkl", "Mainline 7.2.0")]
    [InlineData("-ZZ1234-abcdefghijkl", "unknown (-ZZ1234-)")] // Azureus style, a client we do not list
    [InlineData("abcdefghijklmnopqrst", "unknown")]
    public void Describe_PeerId_NamesTheClient(string peerId, string expected) =>
        Assert.Equal(expected, PeerClients.Describe(Encoding.Latin1.GetBytes(peerId)));

    [Fact]
    public void DescribeHex_TraceHex_DecodesLikeTheBytes() =>
        Assert.Equal("libtorrent 2.0.8.0", PeerClients.DescribeHex(Convert.ToHexStringLower(Encoding.ASCII.GetBytes("-LT2080-abcdefghijkl"))));

    [Fact]
    public void DescribeHex_NotHex_IsUnknown() => Assert.Equal("unknown", PeerClients.DescribeHex("zz"));
}
