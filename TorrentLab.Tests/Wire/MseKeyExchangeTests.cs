using System.Numerics;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

public class MseKeyExchangeTests
{
    [Fact]
    public void Prime_Is768BitsAndEndsAsTheSpecWritesIt()
    {
        Assert.Equal(768, (int)MseKeyExchange.Prime.GetBitLength());
        Assert.EndsWith("A63A36210000000000090563", MseKeyExchange.Prime.ToString("X"), StringComparison.Ordinal);
    }

    [Fact]
    public void PublicKey_OfPrivateKeyOne_IsTheGeneratorTwoIn96Bytes()
    {
        var key = new MseKeyExchange([0x01]).PublicKey;

        Assert.Equal(96, key.Length);
        Assert.Equal([.. new byte[95], 0x02], key);
    }

    [Fact]
    public void SharedSecret_IsTheSameOnBothSides()
    {
        var a = new MseKeyExchange();
        var b = new MseKeyExchange();

        Assert.Equal(a.SharedSecret(b.PublicKey), b.SharedSecret(a.PublicKey));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void SharedSecret_OfADegenerateKey_Throws(int y)
    {
        var bytes = new byte[96];
        bytes[95] = (byte)y;

        Assert.Throws<WireException>(() => new MseKeyExchange().SharedSecret(bytes));
    }

    [Fact]
    public void SharedSecret_OfPMinusOne_Throws()
    {
        var bytes = (MseKeyExchange.Prime - BigInteger.One).ToByteArray(isUnsigned: true, isBigEndian: true);

        Assert.Throws<WireException>(() => new MseKeyExchange().SharedSecret(bytes));
    }

    [Fact]
    public void Hash_IsSha1OfTheLabelAndParts()
    {
        // SHA-1("req1" + "abc"), computed independently: sha1sum of the 7 bytes "req1abc".
        var expected = System.Security.Cryptography.SHA1.HashData("req1abc"u8);

        Assert.Equal(expected, MseKeyExchange.Hash("req1", "abc"u8));
    }
}
