using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

public class SecureNodeIdTests
{
    // BEP 42's test vectors: the address, "rand", and the example id (its bytes 3-18 and the low 3 bits of byte 2 random).
    public static TheoryData<string, byte, string> Vectors => new()
    {
        { "124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401" },
        { "21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256" },
        { "65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616" },
        { "84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41" },
        { "43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void For_BepVector_GivesTheVectorsFirst21BitsAndRand(string address, byte rand, string example)
    {
        var random = new byte[NodeId.Length];
        random[19] = rand;

        var id = SecureNodeId.For(IPAddress.Parse(address), random).Bytes;
        var expected = Convert.FromHexString(example);

        Assert.Equal(expected[0], id[0]);
        Assert.Equal(expected[1], id[1]);
        Assert.Equal(expected[2] & 0xf8, id[2] & 0xf8);
        Assert.Equal(rand, id[19]);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Matches_BepExampleId_AtItsAddressOnly(string address, byte rand, string example)
    {
        var id = NodeId.FromHex(example);
        Assert.Equal(rand, id.Bytes[19]);

        Assert.True(SecureNodeId.Matches(id, IPAddress.Parse(address)));
        Assert.False(SecureNodeId.Matches(id, IPAddress.Parse("198.51.100.7")));
    }

    [Fact]
    public void For_FreshIds_AreDifferentAndEachMatchesItsAddress()
    {
        var v4 = IPAddress.Parse("203.0.113.9");
        var v6 = IPAddress.Parse("2001:db8:1234:5678::1");

        var a = SecureNodeId.For(v4);
        var b = SecureNodeId.For(v4);
        var c = SecureNodeId.For(v6);

        Assert.NotEqual(a, b);
        Assert.True(SecureNodeId.Matches(a, v4) && SecureNodeId.Matches(b, v4) && SecureNodeId.Matches(c, v6));
        Assert.True(SecureNodeId.Matches(a, IPAddress.Parse("::ffff:203.0.113.9"))); // the same address, mapped
        Assert.False(SecureNodeId.Matches(c, IPAddress.Parse("2001:db9:1234:5678::1")));
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.3.4", true)]
    [InlineData("127.0.0.2", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::5", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:db8::1", false)]
    public void IsExempt_LocalNetworksOnly(string address, bool exempt)
    {
        Assert.Equal(exempt, SecureNodeId.IsExempt(IPAddress.Parse(address)));
        // An exempt address accepts any id; another needs one made for it.
        Assert.Equal(exempt, SecureNodeId.Matches(NodeId.FromHex(new string('0', 40)), IPAddress.Parse(address)));
    }
}
