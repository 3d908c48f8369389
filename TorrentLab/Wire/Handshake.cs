using System.Buffers.Binary;
using System.Text;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

/// <summary>The first 68 bytes each side sends (BEP 3): protocol name, reserved bits, info hash and peer id.</summary>
/// <remarks>
/// <code>
/// &lt;pstrlen=19&gt;&lt;"BitTorrent protocol" 19&gt;&lt;reserved 8&gt;&lt;info_hash 20&gt;&lt;peer_id 20&gt;
///  0          1                        20           28            48          68
/// </code>
/// The reserved bytes are read as one big-endian 64-bit number, so BEP 10's "20th bit from the right" is
/// <c>1UL &lt;&lt; 20</c>, i.e. <c>reserved[5] &amp; 0x10</c>.
/// </remarks>
internal sealed record Handshake(InfoHash InfoHash, PeerId PeerId, ulong Reserved = 0)
{
    /// <summary>The handshake's size on the wire: 1 + 19 + 8 + 20 + 20.</summary>
    public const int Length = 68;

    /// <summary>Bytes up to and including the info hash: enough for a receiver to decide whether it serves the torrent.</summary>
    public const int InfoHashEnd = 48;

    /// <summary>BEP 3: "The handshake starts with character nineteen (decimal) followed by the string 'BitTorrent protocol'."</summary>
    public const string Protocol = "BitTorrent protocol";

    /// <summary>BEP 10: the extension protocol bit, reserved byte 5, value 0x10.</summary>
    public const ulong ExtensionProtocolBit = 1UL << 20;

    private static ReadOnlySpan<byte> ProtocolBytes => "\u0013BitTorrent protocol"u8; // pstrlen 19, then the name

    /// <summary>How many leading bytes tell a plaintext handshake from an MSE/PE one: 19, then "BitTorrent protocol".</summary>
    internal const int PrefixLength = 20;

    /// <summary>True when <paramref name="first"/> starts with the 20 bytes of a plaintext BEP 3 handshake (an MSE/PE
    /// handshake starts with a random-looking Diffie-Hellman key instead).</summary>
    internal static bool StartsPlaintext(ReadOnlySpan<byte> first) =>
        first.Length >= PrefixLength && first[..PrefixLength].SequenceEqual(ProtocolBytes);

    /// <summary>BEP 6: the fast extension bit, "reserved[7] |= 0x04".</summary>
    public const ulong FastExtensionBit = 0x04;

    /// <summary>BEP 52: "peers supporting the new format [...] set the 4th most significant bit in the last byte of the
    /// reserved bitfield", i.e. <c>reserved[7] |= 0x10</c>: the sender speaks v2 (hash request, hashes, hash reject).</summary>
    public const ulong V2UpgradeBit = 0x10;

    /// <summary>True when the sender set BEP 52's upgrade bit (it speaks BitTorrent v2 and its hash messages).</summary>
    public bool SupportsV2 => (Reserved & V2UpgradeBit) != 0;

    /// <summary>True when the sender set BEP 6's fast extension bit (have_all, have_none, reject, allowed_fast, suggest).</summary>
    public bool SupportsFast => (Reserved & FastExtensionBit) != 0;

    /// <summary>True when the sender set BEP 10's extension bit (it speaks the extension protocol, e.g. for magnets).</summary>
    public bool SupportsExtensions => (Reserved & ExtensionProtocolBit) != 0;

    /// <summary>The 8 reserved bytes as they travel.</summary>
    public byte[] ReservedBytes
    {
        get
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, Reserved);
            return bytes;
        }
    }

    /// <summary>Writes the 68 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentException($"a handshake needs {Length} bytes, got {destination.Length}", nameof(destination));
        ProtocolBytes.CopyTo(destination);
        BinaryPrimitives.WriteUInt64BigEndian(destination[20..], Reserved);
        InfoHash.Bytes.CopyTo(destination[28..]);
        PeerId.Bytes.CopyTo(destination[48..]);
    }

    /// <summary>The 68 bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Reads a whole handshake; false (nothing consumed) until all 68 bytes are there.</summary>
    /// <exception cref="WireException">The protocol name is not "BitTorrent protocol" (checked as soon as its bytes arrive).</exception>
    public static bool TryRead(ReadOnlySpan<byte> input, out Handshake handshake)
    {
        handshake = null!;
        if (!TryReadHeader(input, out var reserved, out var infoHash) || input.Length < Length) return false;
        handshake = new Handshake(infoHash, new PeerId(input.Slice(48, PeerId.Length)), reserved);
        return true;
    }

    /// <summary>Reads the first 48 bytes (name, reserved, info hash), which BEP 3 lets a receiver act on before the
    /// peer id arrives; false until they are there.</summary>
    /// <exception cref="WireException">The protocol name is wrong.</exception>
    public static bool TryReadHeader(ReadOnlySpan<byte> input, out ulong reserved, out InfoHash infoHash)
    {
        reserved = 0;
        infoHash = default;
        CheckProtocol(input);
        if (input.Length < InfoHashEnd) return false;
        reserved = BinaryPrimitives.ReadUInt64BigEndian(input[20..]);
        infoHash = new InfoHash(input.Slice(28, InfoHash.Length));
        return true;
    }

    /// <summary>Rejects a wrong protocol name from the bytes seen so far, so a peer speaking something else fails fast.</summary>
    private static void CheckProtocol(ReadOnlySpan<byte> input)
    {
        var seen = input[..Math.Min(input.Length, ProtocolBytes.Length)];
        if (seen.SequenceEqual(ProtocolBytes[..seen.Length])) return;
        if (seen[0] != 19)
            throw new WireException($"handshake: expected protocol name length 19 at byte 0, got {seen[0]}");
        throw new WireException($"handshake: expected protocol \"{Protocol}\", got \"{Encoding.ASCII.GetString(seen[1..])}\"");
    }

    /// <summary>The handshake as a trace shows it.</summary>
    public override string ToString() =>
        $"handshake info_hash={InfoHash.Hex} peer_id={PeerId.Hex} reserved={Reserved:x16}";
}
