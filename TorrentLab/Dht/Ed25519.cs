using System.Numerics;
using System.Security.Cryptography;

namespace TorrentLab.Dht;

/// <summary>Ed25519 signatures (RFC 8032, section 5.1), as BEP 44 signs mutable DHT items: 32-byte public keys,
/// 64-byte signatures, keys derived from a 32-byte secret seed.</summary>
/// <remarks>.NET 10's <c>System.Security.Cryptography</c> has no Ed25519, so this is the RFC's math written out with
/// <see cref="BigInteger"/> and the platform's SHA-512: clear rather than fast (a signature or a check takes a few
/// milliseconds, plenty for a DHT node that signs and checks a few items) and not hardened against timing: it signs
/// only items its user chose to publish. Points are in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z,
/// x*y = T/Z (RFC 8032 5.1.4).</remarks>
public static class Ed25519
{
    /// <summary>Length of a public key, a secret seed, and each half of a signature.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of a signature: the point R and the scalar S, 32 bytes each.</summary>
    public const int SignatureLength = 64;

    // RFC 8032 5.1: p = 2^255 - 19, the group order L = 2^252 + 27742317777372353535851937790883648493, and
    // d = -121665/121666 mod p.
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);

    // RFC 8032 5.1: the base point B has y = 4/5 and a positive (even) x.
    private static readonly Point B = Decode(Encode(4 * Inverse(5) % P, 0)) ?? throw new InvalidOperationException("the base point does not decode");
    private static readonly Point Identity = new(0, 1, 1, 0);

    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);

    /// <summary>The public key of the secret <paramref name="seed"/> (RFC 8032 5.1.5).</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static byte[] PublicKey(ReadOnlySpan<byte> seed)
    {
        var (scalar, _) = Expand(seed);
        return Encode(Multiply(B, scalar));
    }

    /// <summary>Signs <paramref name="message"/> with the secret <paramref name="seed"/> (RFC 8032 5.1.6); the same
    /// seed and message always give the same 64 bytes.</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message) => SignExpanded(ExpandedSecret(seed), message);

    /// <summary>Signs with a 64-byte expanded secret (the pruned scalar, then the prefix): the form libtorrent keeps
    /// and BEP 44's test vectors give.</summary>
    internal static byte[] SignExpanded(ReadOnlySpan<byte> expanded, ReadOnlySpan<byte> message)
    {
        var s = FromLittleEndian(expanded[..KeyLength]);
        var prefix = expanded[KeyLength..];
        var publicKey = Encode(Multiply(B, s));
        // r = SHA-512(prefix || M) mod L; R = [r]B.
        var r = FromLittleEndian(SHA512.HashData([.. prefix, .. message])) % L;
        var encodedR = Encode(Multiply(B, r));
        // k = SHA-512(R || A || M) mod L; S = (r + k*s) mod L.
        var k = FromLittleEndian(SHA512.HashData([.. encodedR, .. publicKey, .. message])) % L;
        var bigS = (r + k * s) % L;
        return [.. encodedR, .. ToLittleEndian(bigS)];
    }

    /// <summary>Whether <paramref name="signature"/> is <paramref name="publicKey"/>'s signature of
    /// <paramref name="message"/> (RFC 8032 5.1.7). False for keys or signatures of the wrong length or that do not
    /// decode; never throws.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeyLength || signature.Length != SignatureLength) return false;
        if (Decode(publicKey) is not { } a || Decode(signature[..KeyLength]) is not { } r) return false;
        // RFC 8032 5.1.7: "If any of the decodings fail (including S being out of range), the signature is invalid."
        var s = FromLittleEndian(signature[KeyLength..]);
        if (s >= L) return false;
        var k = FromLittleEndian(SHA512.HashData([.. signature[..KeyLength], .. publicKey, .. message])) % L;
        // RFC 8032: "It's sufficient, but not required, to instead check [S]B = R + [k]A'." We check that form (as
        // libtorrent does), without the cofactor 8.
        return Same(Multiply(B, s), Add(r, Multiply(a, k)));
    }

    /// <summary>The secret scalar s and the prefix of RFC 8032 5.1.5: SHA-512 of the seed, its first half "pruned"
    /// (lowest three bits cleared, highest bit cleared, second highest set). Together these 64 bytes are the "secret
    /// key" of libtorrent's ed25519 functions.</summary>
    internal static (BigInteger Scalar, byte[] Prefix) Expand(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != KeyLength) throw new ArgumentException($"an Ed25519 seed is {KeyLength} bytes, got {seed.Length}", nameof(seed));
        var h = SHA512.HashData(seed);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        return (FromLittleEndian(h.AsSpan(0, 32)), h[32..]);
    }

    /// <summary>The 64-byte expanded secret key (pruned scalar, then prefix) libtorrent signs with.</summary>
    internal static byte[] ExpandedSecret(ReadOnlySpan<byte> seed)
    {
        var (scalar, prefix) = Expand(seed);
        return [.. ToLittleEndian(scalar), .. prefix];
    }

    // RFC 8032 5.1.4: addition on the twisted Edwards curve (complete: it also doubles).
    private static Point Add(Point p, Point q)
    {
        var a = Mod((p.Y - p.X) * (q.Y - q.X));
        var b = Mod((p.Y + p.X) * (q.Y + q.X));
        var c = Mod(2 * D * p.T * q.T);
        var d = Mod(2 * p.Z * q.Z);
        var (e, f, g, h) = (b - a, d - c, d + c, b + a);
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    // Double and add, from the highest bit of the scalar down.
    private static Point Multiply(Point p, BigInteger scalar)
    {
        var result = Identity;
        for (var bit = (int)scalar.GetBitLength() - 1; bit >= 0; bit--)
        {
            result = Add(result, result);
            if (!(scalar >> bit).IsEven) result = Add(result, p);
        }
        return result;
    }

    // Projective equality: x1/z1 = x2/z2 and y1/z1 = y2/z2.
    private static bool Same(Point p, Point q) =>
        Mod(p.X * q.Z) == Mod(q.X * p.Z) && Mod(p.Y * q.Z) == Mod(q.Y * p.Z);

    // RFC 8032 5.1.2: y in 255 little-endian bits, the lowest bit of x in the top bit.
    private static byte[] Encode(Point p)
    {
        var zInverse = Inverse(p.Z);
        return Encode(Mod(p.Y * zInverse), Mod(p.X * zInverse) & 1);
    }

    private static byte[] Encode(BigInteger y, BigInteger xLowBit)
    {
        var bytes = ToLittleEndian(y);
        bytes[31] |= (byte)(xLowBit << 7);
        return bytes;
    }

    // RFC 8032 5.1.3: recover x from y and its sign bit; null when the bytes name no point.
    private static Point? Decode(ReadOnlySpan<byte> encoded)
    {
        var bytes = encoded.ToArray();
        var xSign = bytes[31] >> 7;
        bytes[31] &= 127;
        var y = FromLittleEndian(bytes);
        if (y >= P) return null;
        // x^2 = (y^2 - 1) / (d y^2 + 1); the candidate root is u v^3 (u v^7)^((p-5)/8).
        var u = Mod(y * y - 1);
        var v = Mod(D * y * y + 1);
        var x = Mod(u * BigInteger.ModPow(v, 3, P) * BigInteger.ModPow(Mod(u * BigInteger.ModPow(v, 7, P)), (P - 5) / 8, P));
        var vx2 = Mod(v * x * x);
        if (vx2 == Mod(-u)) x = Mod(x * SqrtMinusOne);
        else if (vx2 != u) return null;
        if (x.IsZero && xSign == 1) return null;
        if ((int)(x & 1) != xSign) x = P - x;
        return new Point(x, y, 1, Mod(x * y));
    }

    private static BigInteger Mod(BigInteger value)
    {
        var m = value % P;
        return m.Sign < 0 ? m + P : m;
    }

    // Fermat: a^(p-2) is a's inverse modulo the prime p.
    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    private static byte[] ToLittleEndian(BigInteger value)
    {
        var bytes = new byte[32];
        value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        return bytes;
    }
}
