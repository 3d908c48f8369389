using System.Numerics;
using System.Security.Cryptography;

namespace TorrentLab.Wire;

/// <summary>MSE/PE's Diffie-Hellman exchange over a fixed 768-bit prime, and the SHA-1 derivations built on the
/// shared secret S.</summary>
/// <remarks>The arithmetic is <see cref="BigInteger.ModPow"/> (the platform's big integers); SHA-1 is the platform's.
/// The prime and generator are fixed by the spec, so no parameters travel on the wire: each side sends only its
/// 96-byte public key.</remarks>
internal sealed class MseKeyExchange
{
    /// <summary>Public keys and the shared secret are 96 bytes (768 bits), big-endian, zero-padded on the left.</summary>
    public const int KeyLength = 96;

    /// <summary>MSE/PE: "Prime P is a 768 bit safe prime" (the Oakley group 1 prime of RFC 2409), "Generator G is 2".</summary>
    internal static readonly BigInteger Prime = BigInteger.Parse(
        "0FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A43" +
        "1B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
        System.Globalization.NumberStyles.HexNumber);

    private static readonly BigInteger Generator = 2;

    /// <summary>MSE/PE recommends 160-bit private keys ("Minimum length is 128 bit ... The recommended length is 160
    /// bits").</summary>
    private const int PrivateKeyBytes = 20;

    private readonly BigInteger _private;

    /// <summary>A fresh random private key and its public key.</summary>
    public MseKeyExchange() : this(Randomness.Secret(PrivateKeyBytes)) { }

    /// <summary>A fixed private key (big-endian), for tests.</summary>
    internal MseKeyExchange(ReadOnlySpan<byte> privateKey)
    {
        _private = new BigInteger(privateKey, isUnsigned: true, isBigEndian: true);
        PublicKey = ToBytes(BigInteger.ModPow(Generator, _private, Prime));
    }

    /// <summary>Our public key Y = G^X mod P, as the 96 bytes sent.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The shared secret S = Y_peer^X mod P, 96 bytes.</summary>
    /// <exception cref="WireException">The peer's key is 0, 1, P-1 or not below P: such keys force a known secret.</exception>
    public byte[] SharedSecret(ReadOnlySpan<byte> peerPublicKey)
    {
        var y = new BigInteger(peerPublicKey[..KeyLength], isUnsigned: true, isBigEndian: true);
        if (y <= BigInteger.One || y >= Prime - BigInteger.One)
            throw new WireException("encryption handshake: the peer's Diffie-Hellman key is out of range (1 < Y < P-1)");
        return ToBytes(BigInteger.ModPow(y, _private, Prime));
    }

    /// <summary>SHA-1 over the concatenation of a 4-letter ASCII label and the given parts: HASH('req1', S) and
    /// HASH('keyA', S, SKEY) in the spec's notation.</summary>
    public static byte[] Hash(string label, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second = default)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(System.Text.Encoding.ASCII.GetBytes(label));
        sha.AppendData(first);
        sha.AppendData(second);
        return sha.GetHashAndReset();
    }

    /// <summary>HASH('req2', SKEY) xor HASH('req3', S): names the torrent without sending its info hash.</summary>
    public static byte[] ObfuscatedSkey(ReadOnlySpan<byte> skey, ReadOnlySpan<byte> secret)
    {
        var req2 = Hash("req2", skey);
        var req3 = Hash("req3", secret);
        for (var i = 0; i < req2.Length; i++) req2[i] ^= req3[i];
        return req2;
    }

    private static byte[] ToBytes(BigInteger value)
    {
        var bytes = new byte[KeyLength];
        value.TryWriteBytes(bytes.AsSpan(KeyLength - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }
}
