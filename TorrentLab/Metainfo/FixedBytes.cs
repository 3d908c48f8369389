namespace TorrentLab.Metainfo;

/// <summary>What the fixed-length byte identifiers share (<see cref="InfoHash"/>, <see cref="InfoHashV2"/>,
/// <c>Wire.PeerId</c>): a length-checked copy, lowercase hex, a hash code.</summary>
internal static class FixedBytes
{
    /// <summary>A copy of <paramref name="bytes"/>, which must be exactly <paramref name="length"/> long;
    /// <paramref name="what"/> names the identifier in the message ("an info hash").</summary>
    public static byte[] Copy(ReadOnlySpan<byte> bytes, int length, string what) => bytes.Length == length
        ? bytes.ToArray()
        : throw new ArgumentException($"{what} is {length} bytes, got {bytes.Length}", nameof(bytes));

    /// <summary>Lowercase hex; a default (empty) identifier prints as zeros.</summary>
    public static string Hex(byte[]? bytes, int length) => Convert.ToHexStringLower(bytes ?? new byte[length]);

    /// <summary>Four of the bytes as a hash code (they are hashes or random: well spread); 0 for a default identifier.</summary>
    public static int HashCode(byte[]? bytes, int offset = 0) => bytes is null ? 0 : BitConverter.ToInt32(bytes, offset);
}
