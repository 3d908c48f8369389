namespace TorrentLab.Utp;

/// <summary>The selective ack bitmask (BEP 29, extension 1): which packets past the first gap have arrived.</summary>
/// <remarks>
/// Bit 0 stands for <c>ack_nr + 2</c> (<c>ack_nr + 1</c> is the missing packet the ack is waiting for). Bits go
/// least-significant first within each byte:
/// <code>
/// byte 0              byte 1               byte 2               byte 3
/// | 9 8 ...   3 2 |   | 17   ...   10 |    | 25   ...   18 |    | 33   ...   26 |     (offsets from ack_nr)
/// </code>
/// BEP 29: "The selective ACK is only sent when at least one sequence number was skipped in the received stream."
/// </remarks>
internal static class SelectiveAck
{
    /// <summary>The most bitmask bytes we send: 32 bytes cover 256 packets past the gap, as libtorrent's do.</summary>
    public const int MaxBytes = 32;

    /// <summary>True when bit <paramref name="index"/> (packet <c>ack_nr + 2 + index</c>) is set.</summary>
    public static bool IsSet(ReadOnlySpan<byte> mask, int index) =>
        index >= 0 && index < mask.Length * 8 && (mask[index >> 3] & (1 << (index & 7))) != 0;

    /// <summary>The sequence number bit <paramref name="index"/> acknowledges.</summary>
    public static ushort SequenceOf(ushort ackNr, int index) => SequenceNumber.Add(ackNr, 2 + index);

    /// <summary>Writes the bitmask for the packets after <paramref name="ackNr"/> + 1 that <paramref name="received"/>
    /// holds, up to <paramref name="highest"/> (the highest held out of order); returns its length (a multiple of 4, as
    /// the BEP asks), or 0 when nothing past the gap has arrived.</summary>
    public static int Write(ushort ackNr, ushort highest, Func<ushort, bool> received, Span<byte> destination)
    {
        var span = SequenceNumber.Distance(SequenceNumber.Add(ackNr, 2), highest) + 1;  // bits needed
        if (!SequenceNumber.IsAfter(highest, SequenceNumber.Add(ackNr, 1))) return 0;
        var length = Math.Min(Math.Min(MaxBytes, destination.Length & ~3), (span + 31) / 32 * 4);
        destination[..length].Clear();
        for (var index = 0; index < length * 8; index++)
            if (received(SequenceOf(ackNr, index)))
                destination[index >> 3] |= (byte)(1 << (index & 7));
        return length;
    }
}
