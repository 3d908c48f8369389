namespace TorrentLab.Utp;

/// <summary>One uTP datagram decoded: the header, the selective ack bitmask if any, and the payload (BEP 29).</summary>
/// <remarks>
/// <code>
/// &lt;header 20&gt;[&lt;next extension 1&gt;&lt;len 1&gt;&lt;extension body len&gt;]...&lt;payload&gt;
/// </code>
/// The header's <c>extension</c> byte names the first extension; each extension names the next one, 0 ends the
/// chain. Extension 1 is the selective ack; any other is skipped by its length, as the BEP says ("Unknown
/// extensions can be skipped by simply advancing len bytes"): libtorrent sends a close reason as extension 3.
/// A datagram is always whole, so there is no "incomplete" case: a short or inconsistent one is malformed.
/// </remarks>
internal readonly record struct UtpPacket(UtpHeader Header, ReadOnlyMemory<byte> SelectiveAck, ReadOnlyMemory<byte> Payload)
{
    /// <summary>BEP 29: extension 1, the selective ack.</summary>
    public const byte SelectiveAckExtension = 1;

    /// <summary>True when the first byte could start a uTP packet: version 1 and a type 0..4 (type &lt;&lt; 4 | 1).</summary>
    /// <remarks>This is how one UDP socket is shared with the DHT: a KRPC message is a bencoded dictionary, so its first
    /// byte is 'd' (0x64), whose low nibble is 4, never uTP's version 1.</remarks>
    public static bool LooksLikeUtp(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= UtpHeader.Length && (datagram[0] & 0x0f) == UtpHeader.Version && datagram[0] >> 4 <= (int)UtpPacketType.Syn;

    /// <summary>Decodes a whole datagram; the bitmask and payload are slices of it.</summary>
    /// <exception cref="UtpException">The datagram breaks the format; the message says where.</exception>
    public static UtpPacket Decode(ReadOnlyMemory<byte> datagram)
    {
        var span = datagram.Span;
        var header = UtpHeader.Read(span);
        var position = UtpHeader.Length;
        var extension = header.Extension;
        var selectiveAck = ReadOnlyMemory<byte>.Empty;
        while (extension != 0)
        {
            if (span.Length - position < 2)
                throw new UtpException($"uTP packet: expected a 2-byte header for extension {extension} at byte {position}, got {span.Length - position} bytes");
            var next = span[position];
            var length = span[position + 1];
            if (span.Length - position - 2 < length)
                throw new UtpException($"uTP packet: extension {extension} at byte {position} declares {length} bytes, only {span.Length - position - 2} remain");
            // BEP 29 says the selective ack's length "must be at least 4, and in multiples of 4"; libtorrent sends
            // just enough bytes to cover its reorder buffer, so any non-empty bitmask is accepted.
            if (extension == SelectiveAckExtension && selectiveAck.IsEmpty)
            {
                if (length == 0) throw new UtpException($"uTP packet: empty selective ack bitmask at byte {position}");
                selectiveAck = datagram.Slice(position + 2, length);
            }
            position += 2 + length;
            extension = next;
        }
        var payload = datagram[position..];
        // BEP 29: "An ST_DATA packet always has a data payload."
        if (header.Type == UtpPacketType.Data && payload.IsEmpty)
            throw new UtpException($"uTP packet: ST_DATA seq={header.SeqNr} without payload (header ends at byte {position})");
        return new UtpPacket(header, selectiveAck, payload);
    }

    /// <summary>The encoded size of a packet with this bitmask and payload.</summary>
    public static int EncodedLength(int selectiveAckLength, int payloadLength) =>
        UtpHeader.Length + (selectiveAckLength > 0 ? 2 + selectiveAckLength : 0) + payloadLength;

    /// <summary>Encodes header, optional selective ack and payload into <paramref name="destination"/>; returns the length.</summary>
    public static int Encode(in UtpHeader header, ReadOnlySpan<byte> selectiveAck, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (selectiveAck.Length > byte.MaxValue) throw new ArgumentException("a selective ack bitmask is at most 255 bytes", nameof(selectiveAck));
        var total = EncodedLength(selectiveAck.Length, payload.Length);
        if (destination.Length < total) throw new ArgumentException($"the packet needs {total} bytes, got {destination.Length}", nameof(destination));
        (header with { Extension = selectiveAck.IsEmpty ? (byte)0 : SelectiveAckExtension }).WriteTo(destination);
        var position = UtpHeader.Length;
        if (!selectiveAck.IsEmpty)
        {
            destination[position] = 0;                          // no further extension
            destination[position + 1] = (byte)selectiveAck.Length;
            selectiveAck.CopyTo(destination[(position + 2)..]);
            position += 2 + selectiveAck.Length;
        }
        payload.CopyTo(destination[position..]);
        return total;
    }

    /// <summary>The encoded bytes in a new array (for tests and one-off packets).</summary>
    public static byte[] ToBytes(in UtpHeader header, ReadOnlySpan<byte> selectiveAck = default, ReadOnlySpan<byte> payload = default)
    {
        var bytes = new byte[EncodedLength(selectiveAck.Length, payload.Length)];
        Encode(header, selectiveAck, payload, bytes);
        return bytes;
    }
}
