using System.Buffers.Binary;

namespace TorrentLab.Utp;

/// <summary>The fixed 20-byte header that starts every uTP packet (BEP 29, version 1).</summary>
/// <remarks>
/// <code>
/// 0       4       8               16              24              32
/// +-------+-------+---------------+---------------+---------------+
/// | type  | ver   | extension     | connection_id                 |
/// +-------+-------+---------------+---------------+---------------+
/// | timestamp_microseconds                                        |
/// +---------------+---------------+---------------+---------------+
/// | timestamp_difference_microseconds                             |
/// +---------------+---------------+---------------+---------------+
/// | wnd_size                                                      |
/// +---------------+---------------+---------------+---------------+
/// | seq_nr                        | ack_nr                        |
/// +---------------+---------------+---------------+---------------+
/// </code>
/// All fields big-endian. <c>extension</c> names the first extension header after these 20 bytes (0: none).
/// </remarks>
internal readonly record struct UtpHeader(
    UtpPacketType Type,
    ushort ConnectionId,
    uint TimestampMicros,
    uint TimestampDifferenceMicros,
    uint WindowSize,
    ushort SeqNr,
    ushort AckNr,
    byte Extension = 0)
{
    /// <summary>The header's size on the wire.</summary>
    public const int Length = 20;

    /// <summary>BEP 29: "The current version is 1."</summary>
    public const byte Version = 1;

    /// <summary>Writes the 20 bytes to the front of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentException($"a uTP header needs {Length} bytes, got {destination.Length}", nameof(destination));
        destination[0] = (byte)((byte)Type << 4 | Version);
        destination[1] = Extension;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ConnectionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], TimestampMicros);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], TimestampDifferenceMicros);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], WindowSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], SeqNr);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], AckNr);
    }

    /// <summary>Reads the 20 bytes at the front of <paramref name="datagram"/>.</summary>
    /// <exception cref="UtpException">Too short, a version other than 1, or an unknown type.</exception>
    public static UtpHeader Read(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < Length)
            throw new UtpException($"uTP packet: expected a {Length}-byte header, got {datagram.Length} bytes");
        var version = datagram[0] & 0x0f;
        if (version != Version)
            throw new UtpException($"uTP packet: expected version {Version} in the low nibble of byte 0, got {version}");
        var type = datagram[0] >> 4;
        if (type > (int)UtpPacketType.Syn)
            throw new UtpException($"uTP packet: expected a type 0..4 in the high nibble of byte 0, got {type}");
        return new UtpHeader(
            (UtpPacketType)type,
            BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[18..]),
            datagram[1]);
    }

    /// <summary>The header as a trace shows it.</summary>
    public override string ToString() =>
        $"{Type} id={ConnectionId} seq={SeqNr} ack={AckNr} wnd={WindowSize} ts={TimestampMicros} tsdiff={TimestampDifferenceMicros}";
}
