using System.Buffers.Binary;
using System.Numerics;

namespace TorrentLab.Tracker.Server;

/// <summary>SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash of short inputs, as hard to forge without
/// the key as a MAC, at a few dozen nanoseconds for the 12-24 bytes of a UDP connection id's input.</summary>
/// <remarks>The tracker's connection ids used HMAC-SHA256 first; through OpenSSL that cost more CPU per announce than
/// the whole rest of the tracker's own code (bench/notes/tracker.md, "The tracker at opentracker's rate").</remarks>
internal static class SipHash
{
    /// <summary>The 64-bit SipHash-2-4 of <paramref name="data"/> under the 16-byte <paramref name="key"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var k0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        var k1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        ulong v0 = k0 ^ 0x736f6d6570736575, v1 = k1 ^ 0x646f72616e646f6d, v2 = k0 ^ 0x6c7967656e657261, v3 = k1 ^ 0x7465646279746573;
        var whole = data.Length & ~7;
        for (var i = 0; i < whole; i += 8)
        {
            var m = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }
        // The last block: the remaining bytes, little-endian, with the input length in the top byte.
        var last = (ulong)data.Length << 56;
        for (var i = whole; i < data.Length; i++) last |= (ulong)data[i] << (8 * (i - whole));
        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;
        v2 ^= 0xff;
        for (var i = 0; i < 4; i++) Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1; v1 = BitOperations.RotateLeft(v1, 13); v1 ^= v0; v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3; v3 = BitOperations.RotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = BitOperations.RotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = BitOperations.RotateLeft(v1, 17); v1 ^= v2; v2 = BitOperations.RotateLeft(v2, 32);
    }
}
