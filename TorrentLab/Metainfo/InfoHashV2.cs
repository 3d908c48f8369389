using System.Security.Cryptography;

namespace TorrentLab.Metainfo;

/// <summary>The v2 info hash: SHA-256 of the raw bencoded <c>info</c> dictionary (BEP 52), 32 bytes.</summary>
/// <remarks>BEP 52: "For some uses as torrent identifier it is truncated to 20 bytes": the handshake, tracker
/// announces and the DHT carry <see cref="Truncated"/>; magnet links carry the whole hash as a multihash
/// (<c>urn:btmh:1220&lt;64 hex&gt;</c>, where 0x12 names SHA-256 and 0x20 its length).</remarks>
public readonly record struct InfoHashV2
{
    public const int Length = 32; // BEP 52: SHA2-256 digests are 32 bytes.

    private readonly byte[] _bytes;

    public InfoHashV2(ReadOnlySpan<byte> bytes) => _bytes = FixedBytes.Copy(bytes, Length, "a v2 info hash");

    /// <summary>SHA-256 over the exact bytes of the info dictionary as they appear in the file.</summary>
    public static InfoHashV2 Compute(ReadOnlySpan<byte> rawInfo) => new(SHA256.HashData(rawInfo));

    /// <summary>Parses 64 hex digits (either case).</summary>
    public static InfoHashV2 FromHex(string hex) => new(Convert.FromHexString(hex));

    /// <summary>The 32 raw bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>64 lowercase hex digits, as <c>info</c> prints.</summary>
    public string Hex => FixedBytes.Hex(_bytes, Length);

    /// <summary>The first 20 bytes: the form used in the handshake and in tracker announces (BEP 52).</summary>
    public InfoHash Truncated => new(Bytes[..InfoHash.Length]);

    /// <summary>The magnet link form: <c>urn:btmh:</c> and the multihash <c>1220&lt;64 hex&gt;</c>.</summary>
    public string MagnetUrn => "urn:btmh:1220" + Hex;

    public bool Equals(InfoHashV2 other) => Bytes.SequenceEqual(other.Bytes);
    public override int GetHashCode() => FixedBytes.HashCode(_bytes);
    public override string ToString() => Hex;
}
