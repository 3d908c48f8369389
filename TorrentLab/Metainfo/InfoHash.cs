using System.Security.Cryptography;
using System.Text;

namespace TorrentLab.Metainfo;

/// <summary>The v1 info hash: SHA-1 of the raw bencoded <c>info</c> dictionary (BEP 3), 20 bytes.</summary>
public readonly record struct InfoHash
{
    public const int Length = 20; // BEP 3: SHA-1 digests are 20 bytes.

    private readonly byte[] _bytes;

    public InfoHash(ReadOnlySpan<byte> bytes) => _bytes = FixedBytes.Copy(bytes, Length, "an info hash");

    /// <summary>SHA-1 over the exact bytes of the info dictionary as they appear in the file.</summary>
    public static InfoHash Compute(ReadOnlySpan<byte> rawInfo) => new(SHA1.HashData(rawInfo));

    /// <summary>Parses 40 hex digits (either case).</summary>
    public static InfoHash FromHex(string hex) => new(Convert.FromHexString(hex));

    /// <summary>The 20 raw bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>40 lowercase hex digits, as <c>info</c> prints and magnet links carry.</summary>
    public string Hex => FixedBytes.Hex(_bytes, Length);

    /// <summary>The raw bytes percent-encoded for a tracker query (BEP 3: the 20 bytes, never the hex).</summary>
    public string UrlEncoded => PercentEncode(_bytes);

    /// <summary>Percent-encodes raw bytes, leaving only RFC 3986 unreserved characters as they are.</summary>
    public static string PercentEncode(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
                text.Append((char)b);
            else
                text.Append('%').Append(Convert.ToHexString([b]));
        }
        return text.ToString();
    }

    public bool Equals(InfoHash other) => Bytes.SequenceEqual(other.Bytes);
    public override int GetHashCode() => FixedBytes.HashCode(_bytes);
    public override string ToString() => Hex;
}
