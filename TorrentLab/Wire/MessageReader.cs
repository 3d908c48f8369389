using System.Buffers.Binary;

namespace TorrentLab.Wire;

/// <summary>Decodes one length-prefixed peer message (BEP 3) from the front of a buffer, validating it fully.</summary>
/// <remarks>
/// <code>
/// &lt;length 4, big-endian&gt;&lt;id 1&gt;&lt;payload length-1&gt;      length 0 = keep-alive (no id)
/// </code>
/// Incomplete input returns false and consumes nothing. A violation throws <see cref="WireException"/> as soon
/// as the bytes that prove it have arrived: a length prefix is checked against the bound for its id before the
/// body is awaited, so a peer announcing 2 GiB is dropped after 5 bytes, with nothing allocated.
/// </remarks>
internal static class MessageReader
{
    /// <summary>Reads the message at the front of <paramref name="input"/>.</summary>
    /// <param name="input">Received bytes; the payload of the result is a slice of it.</param>
    /// <param name="pieceCount">The torrent's piece count, or -1 while unknown (then indexes are not checked).</param>
    /// <param name="maxBlockLength">The longest <c>piece</c> block accepted (16 KiB unless we asked for more).</param>
    /// <param name="message">The message, valid when true is returned.</param>
    /// <param name="consumed">Bytes the message occupied, prefix included (0 when false is returned).</param>
    /// <exception cref="WireException">The bytes break BEP 3.</exception>
    public static bool TryRead(ReadOnlyMemory<byte> input, int pieceCount, int maxBlockLength, out PeerMessage message, out int consumed)
    {
        message = default;
        consumed = 0;
        var span = input.Span;
        if (span.Length < WireLimits.LengthPrefix) return false;
        var length = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (length == 0)
        {
            message = PeerMessage.KeepAlive;
            consumed = WireLimits.LengthPrefix;
            return true;
        }
        if (length > WireLimits.MaxMessageLength)
            throw new WireException($"message length {length} exceeds the {WireLimits.MaxMessageLength}-byte limit");
        if (span.Length < WireLimits.LengthPrefix + 1) return false;
        var id = span[WireLimits.LengthPrefix];
        CheckLength(id, (int)length, pieceCount, maxBlockLength);
        if (span.Length < WireLimits.LengthPrefix + length) return false;

        var body = input.Slice(WireLimits.LengthPrefix + 1, (int)length - 1);
        message = Decode(id, body, pieceCount);
        consumed = WireLimits.LengthPrefix + (int)length;
        return true;
    }

    /// <summary>The length a complete message at the front of <paramref name="input"/> needs, prefix included, or
    /// -1 while the prefix itself is incomplete (the caller sizes its buffer with it; TryRead has bounded it).</summary>
    public static int FrameLength(ReadOnlySpan<byte> input) =>
        input.Length < WireLimits.LengthPrefix ? -1 : WireLimits.LengthPrefix + (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(input), int.MaxValue - 4);

    /// <summary>The table of contents of BEP 3 (and BEP 5, 6, 10): each id and the exact body it carries.</summary>
    private static PeerMessage Decode(byte id, ReadOnlyMemory<byte> body, int pieceCount)
    {
        var span = body.Span;
        switch ((MessageKind)id)
        {
            case MessageKind.Choke: return PeerMessage.Choke;                 // <len=1><id=0>
            case MessageKind.Unchoke: return PeerMessage.Unchoke;             // <len=1><id=1>
            case MessageKind.Interested: return PeerMessage.Interested;       // <len=1><id=2>
            case MessageKind.NotInterested: return PeerMessage.NotInterested; // <len=1><id=3>
            case MessageKind.Have:                                            // <len=5><id=4><index 4>
                return PeerMessage.Have(ReadIndex(span, pieceCount, "have"));
            case MessageKind.Bitfield:                                        // <len=1+X><id=5><bitfield X>
                if (pieceCount >= 0) Bitfield.FromWire(span, pieceCount);     // length and spare bits, BEP 3
                return PeerMessage.BitfieldOf(body);
            case MessageKind.Request:                                         // <len=13><id=6><index 4><begin 4><length 4>
            case MessageKind.Cancel:                                          // <len=13><id=8><index 4><begin 4><length 4>
            {
                var name = id == 6 ? "request" : "cancel";
                var index = ReadIndex(span, pieceCount, name);
                var begin = ReadInt(span[4..], name, "begin");
                var length = ReadInt(span[8..], name, "length");
                if (length == 0) throw new WireException($"{name} index={index} begin={begin} asks for 0 bytes");
                return id == 6 ? PeerMessage.Request(index, begin, length) : PeerMessage.Cancel(index, begin, length);
            }
            case MessageKind.Piece:                                           // <len=9+X><id=7><index 4><begin 4><block X>
                return PeerMessage.Piece(ReadIndex(span, pieceCount, "piece"), ReadInt(span[4..], "piece", "begin"), body[8..]);
            case MessageKind.Port:                                            // <len=3><id=9><listen-port 2> (BEP 5)
                return PeerMessage.PortOf(BinaryPrimitives.ReadUInt16BigEndian(span));
            case MessageKind.Suggest:                                         // <len=5><id=13><index 4> (BEP 6)
                return PeerMessage.Suggest(ReadIndex(span, pieceCount, "suggest"));
            case MessageKind.HaveAll: return PeerMessage.HaveAll;             // <len=1><id=14> (BEP 6)
            case MessageKind.HaveNone: return PeerMessage.HaveNone;           // <len=1><id=15> (BEP 6)
            case MessageKind.Reject:                                          // <len=13><id=16><index 4><begin 4><length 4> (BEP 6)
            {
                var index = ReadIndex(span, pieceCount, "reject");
                var begin = ReadInt(span[4..], "reject", "begin");
                var length = ReadInt(span[8..], "reject", "length");
                if (length == 0) throw new WireException($"reject index={index} begin={begin} rejects 0 bytes");
                return PeerMessage.Reject(index, begin, length);
            }
            case MessageKind.AllowedFast:                                     // <len=5><id=17><index 4> (BEP 6)
                return PeerMessage.AllowedFast(ReadIndex(span, pieceCount, "allowed fast"));
            case MessageKind.Extended:                                        // <len=2+X><id=20><extended id 1><payload X> (BEP 10)
                return PeerMessage.Extended(span[0], body[1..]);
            case MessageKind.HashRequest:                                     // <len=49><id=21><header 48> (BEP 52)
            case MessageKind.Hashes:                                          // <len=49+32n><id=22><header 48><hashes> (BEP 52)
            case MessageKind.HashReject:                                      // <len=49><id=23><header 48> (BEP 52)
                return PeerMessage.HashMessage((MessageKind)id, body);        // the fields are read by HashMessages
            default:                                                          // an extension we do not speak
                return PeerMessage.UnknownOf(id, body);
        }
    }

    /// <summary>Bounds the declared length by what the id can carry, before waiting for the body.</summary>
    private static void CheckLength(byte id, int length, int pieceCount, int maxBlockLength)
    {
        var (min, max) = (MessageKind)id switch
        {
            MessageKind.Choke or MessageKind.Unchoke or MessageKind.Interested or MessageKind.NotInterested => (1, 1),
            MessageKind.HaveAll or MessageKind.HaveNone => (1, 1),
            MessageKind.Have or MessageKind.Suggest or MessageKind.AllowedFast => (5, 5),
            MessageKind.Reject => (13, 13),
            MessageKind.Bitfield => pieceCount >= 0
                ? (1 + Bitfield.ByteCount(pieceCount), 1 + Bitfield.ByteCount(pieceCount))
                : (1, WireLimits.MaxMessageLength),
            MessageKind.Request or MessageKind.Cancel => (13, 13),
            // BEP 3 blocks are 16 KiB; a larger block that we did not ask for is a peer flooding us.
            MessageKind.Piece => (WireLimits.PieceHeader + 1, WireLimits.PieceHeader + maxBlockLength),
            MessageKind.Port => (3, 3),
            MessageKind.Extended => (2, WireLimits.MaxMessageLength),   // BEP 10: at least the extended id
            MessageKind.HashRequest or MessageKind.HashReject => (49, 49),
            MessageKind.Hashes => (49, 49 + 2 * HashMessages.MaxLength * 32), // a layer's span and its uncles, generously
            _ => (1, WireLimits.MaxMessageLength),
        };
        if (length < min || length > max)
        {
            var name = PeerMessageName(id);
            var expected = min == max ? $"{min}" : $"{min}..{max}";
            var why = (MessageKind)id == MessageKind.Bitfield && pieceCount >= 0 ? $" for {pieceCount} pieces" : "";
            throw new WireException($"{name} message (id {id}) of length {length}, expected {expected}{why}");
        }
    }

    private static int ReadIndex(ReadOnlySpan<byte> span, int pieceCount, string name)
    {
        var index = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (pieceCount >= 0 ? index >= (uint)pieceCount : index > int.MaxValue)
            throw new WireException($"{name} for piece index {index}, but the torrent has {pieceCount} pieces (0..{pieceCount - 1})");
        return (int)index;
    }

    private static int ReadInt(ReadOnlySpan<byte> span, string name, string field)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (value > int.MaxValue) throw new WireException($"{name} {field}={value} is beyond 2^31-1");
        return (int)value;
    }

    private static string PeerMessageName(byte id) => (MessageKind)id switch
    {
        MessageKind.NotInterested => "not interested",
        MessageKind.HaveAll => "have all",
        MessageKind.HaveNone => "have none",
        MessageKind.AllowedFast => "allowed fast",
        MessageKind.HashRequest => "hash request",
        MessageKind.HashReject => "hash reject",
        _ when id <= 9 || id is >= 13 and <= 17 || id is >= 20 and <= 22 => ((MessageKind)id).ToString().ToLowerInvariant(),
        _ => "unknown",
    };
}
