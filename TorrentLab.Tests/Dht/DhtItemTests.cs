using System.Text;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

public class DhtItemTests
{
    // BEP 44's test vectors: one key pair (libtorrent's 64-byte expanded secret), the value "Hello World!", seq 1.
    private static readonly byte[] Key = Convert.FromHexString("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");
    private static readonly byte[] Secret = Convert.FromHexString(
        "e06d3183d14159228433ed599221b80bd0a5ce8352e4bdf0262f76786ef1c74db7e7a9fea2c0eb269d61e3b38e450a22e754941ac78479d6c54e1faf6037881d");
    private static readonly byte[] HelloWorld = Encoding.ASCII.GetBytes("12:Hello World!");

    [Theory]
    [InlineData("", "3:seqi1e1:v12:Hello World!",
        "4a533d47ec9c7d95b1ad75f576cffc641853b750",
        "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01")]
    [InlineData("foobar", "4:salt6:foobar3:seqi1e1:v12:Hello World!",
        "411eba73b6f087ca51a3795d9c8c938d365e32c1",
        "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08")]
    public void MutableItem_MatchesBep44TestVectors(string salt, string signedBytes, string target, string signature)
    {
        var saltBytes = Encoding.ASCII.GetBytes(salt);

        Assert.Equal(signedBytes, Encoding.ASCII.GetString(DhtItem.SignedBytes(saltBytes, 1, HelloWorld)));
        Assert.Equal(target, DhtItem.MutableTarget(Key, saltBytes).Hex);
        Assert.Equal(signature, Convert.ToHexStringLower(Ed25519.SignExpanded(Secret, DhtItem.SignedBytes(saltBytes, 1, HelloWorld))));
        var item = new DhtItem { Value = HelloWorld, PublicKey = Key, Salt = saltBytes, Sequence = 1, Signature = Convert.FromHexString(signature) };
        Assert.True(item.IsValidFor(new NodeId(Convert.FromHexString(target))));
    }

    [Fact]
    public void ImmutableItem_MatchesBep44TestVector() =>
        Assert.Equal("e5f96f6f38320f0f33959cb4d3d656452117aadb", DhtItem.Immutable(HelloWorld).Target.Hex);

    [Fact]
    public void SignMutable_IsValidForItsTarget_AndNotOnceAnyFieldChanges()
    {
        var seed = new byte[32];
        seed[0] = 7;
        var item = DhtItem.SignMutable(seed, "i42e"u8.ToArray(), 5, "salt"u8.ToArray());

        Assert.True(item.IsValidFor(item.Target));
        Assert.False((item with { Sequence = 6 }).IsValidFor(item.Target));              // a replayed signature at another seq
        Assert.False((item with { Value = "i43e"u8.ToArray() }).IsValidFor(item.Target));
        Assert.False((item with { Salt = "other"u8.ToArray() }).IsValidFor(item.Target)); // another target altogether
        Assert.False(item.IsValidFor(DhtItem.ImmutableTarget("i42e"u8)));
    }

    [Fact]
    public void Immutable_ValueOver1000Bytes_OrNotBencode_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => DhtItem.Immutable(Encoding.ASCII.GetBytes("1000:" + new string('x', 1000))));
        Assert.Throws<ArgumentException>(() => DhtItem.Immutable("12:short"u8.ToArray()));
        Assert.Equal(1000, DhtItem.Immutable(Encoding.ASCII.GetBytes("996:" + new string('x', 996))).Value.Length); // exactly the limit
    }

    [Fact]
    public void SignMutable_SaltOver64Bytes_IsRefused() =>
        Assert.Throws<ArgumentException>(() => DhtItem.SignMutable(new byte[32], "i1e"u8.ToArray(), 1, new byte[65]));
}
