using System.Security.Cryptography;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

public class Ed25519Tests
{
    // RFC 8032 section 7.1, TEST 1 to TEST 3: secret seed, public key, message, signature.
    public static TheoryData<string, string, string, string> RfcVectors => new()
    {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
    };

    [Theory]
    [MemberData(nameof(RfcVectors))]
    public void PublicKey_MatchesRfc8032(string seed, string publicKey, string message, string signature)
    {
        _ = (message, signature);
        Assert.Equal(publicKey, Convert.ToHexStringLower(Ed25519.PublicKey(Convert.FromHexString(seed))));
    }

    [Theory]
    [MemberData(nameof(RfcVectors))]
    public void Sign_MatchesRfc8032ByteForByte(string seed, string publicKey, string message, string signature)
    {
        _ = publicKey;
        Assert.Equal(signature, Convert.ToHexStringLower(Ed25519.Sign(Convert.FromHexString(seed), Convert.FromHexString(message))));
    }

    [Theory]
    [MemberData(nameof(RfcVectors))]
    public void Verify_AcceptsRfc8032Signatures(string seed, string publicKey, string message, string signature)
    {
        _ = seed;
        Assert.True(Ed25519.Verify(Convert.FromHexString(publicKey), Convert.FromHexString(message), Convert.FromHexString(signature)));
    }

    [Fact]
    public void Verify_RejectsATamperedMessage_SignatureOrKey()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Ed25519.PublicKey(seed);
        var message = "a mutable item"u8.ToArray();
        var signature = Ed25519.Sign(seed, message);
        Assert.True(Ed25519.Verify(key, message, signature));

        Assert.False(Ed25519.Verify(key, "a mutable item!"u8, signature));
        for (var i = 0; i < 64; i += 21) // a bit flipped in R, in S, and near the end
        {
            var bad = (byte[])signature.Clone();
            bad[i] ^= 1;
            Assert.False(Ed25519.Verify(key, message, bad), $"a signature with byte {i} changed verified");
        }
        Assert.False(Ed25519.Verify(Ed25519.PublicKey(RandomNumberGenerator.GetBytes(32)), message, signature));
    }

    [Fact]
    public void Verify_WrongLengthsOrSOutOfRange_IsFalseNotAnException()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Ed25519.PublicKey(seed);
        var signature = Ed25519.Sign(seed, []);

        Assert.False(Ed25519.Verify(key[..31], [], signature));
        Assert.False(Ed25519.Verify(key, [], signature[..63]));
        var bigS = (byte[])signature.Clone();
        bigS.AsSpan(32).Fill(0xFF); // S >= L: RFC 8032 says the signature is invalid
        Assert.False(Ed25519.Verify(key, [], bigS));
        Assert.False(Ed25519.Verify(new byte[32].Select(_ => (byte)0xFF).ToArray(), [], signature)); // y >= p: no point
    }

    [Fact]
    public void Sign_SeedOfTheWrongLength_Throws() =>
        Assert.Throws<ArgumentException>(() => Ed25519.Sign(new byte[31], []));
}
