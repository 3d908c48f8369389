using System.Net;
using System.Net.Sockets;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

public class CompactPeersTests
{
    [Fact]
    public void Encode_IPv4_IsAddressThenBigEndianPort()
    {
        var bytes = CompactPeers.Encode([new IPEndPoint(IPAddress.Parse("192.168.24.52"), 2001), new IPEndPoint(IPAddress.IPv6Loopback, 1)],
            AddressFamily.InterNetwork);
        Assert.Equal("C0A8183407D1", Convert.ToHexString(bytes)); // the IPv6 peer is left out
    }

    [Fact]
    public void Encode_IPv6_Is18BytesPerPeer()
    {
        var bytes = CompactPeers.Encode([new IPEndPoint(IPAddress.IPv6Loopback, 6881)], AddressFamily.InterNetworkV6);
        Assert.Equal("00000000000000000000000000000001" + "1AE1", Convert.ToHexString(bytes));
    }

    [Theory]
    [InlineData("7F0000011AE1C0A8183407D1", AddressFamily.InterNetwork, "127.0.0.1:6881,192.168.24.52:2001")]
    [InlineData("", AddressFamily.InterNetwork, "")]
    [InlineData("000000000000000000000000000000011AE1", AddressFamily.InterNetworkV6, "[::1]:6881")]
    public void Decode_ReadsEveryEntry(string hex, AddressFamily family, string expected)
    {
        var peers = CompactPeers.Decode(Convert.FromHexString(hex), family, "peers");
        Assert.Equal(expected, string.Join(',', peers));
    }

    [Theory]
    [InlineData(5, AddressFamily.InterNetwork)]
    [InlineData(7, AddressFamily.InterNetwork)]
    [InlineData(15, AddressFamily.InterNetwork)]
    [InlineData(6, AddressFamily.InterNetworkV6)]     // 6 bytes is one IPv4 peer, not a multiple of 18
    [InlineData(19, AddressFamily.InterNetworkV6)]
    public void Decode_LengthNotAMultiple_IsRejected(int length, AddressFamily family)
    {
        var error = Assert.Throws<TrackerException>(() => CompactPeers.Decode(new byte[length], family, "peers"));
        Assert.Contains($"{length} bytes, not a multiple of", error.Message);
    }

    [Fact]
    public void EncodeThenDecode_RoundTrips()
    {
        IPEndPoint[] peers = [new(IPAddress.Parse("10.0.0.1"), 1), new(IPAddress.Parse("127.0.0.1"), 65535)];
        Assert.Equal(peers, CompactPeers.Decode(CompactPeers.Encode(peers, AddressFamily.InterNetwork), AddressFamily.InterNetwork, "peers"));
    }
}
