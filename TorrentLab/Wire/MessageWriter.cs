using System.Buffers.Binary;

namespace TorrentLab.Wire;

/// <summary>Encodes peer messages (BEP 3) byte-exactly: a 4-byte big-endian length, the id, then the payload.</summary>
internal static class MessageWriter
{
    /// <summary>The bytes <paramref name="message"/> takes on the wire, length prefix included.</summary>
    public static int EncodedLength(in PeerMessage message) => WireLimits.LengthPrefix + message.Kind switch
    {
        MessageKind.KeepAlive => 0,
        MessageKind.Choke or MessageKind.Unchoke or MessageKind.Interested or MessageKind.NotInterested => 1,
        MessageKind.HaveAll or MessageKind.HaveNone => 1,
        MessageKind.Have or MessageKind.Suggest or MessageKind.AllowedFast => 5,
        MessageKind.Request or MessageKind.Cancel or MessageKind.Reject => 13,
        MessageKind.Piece => WireLimits.PieceHeader + message.Payload.Length,
        MessageKind.Port => 3,
        MessageKind.Extended => 2 + message.Payload.Length,
        _ => 1 + message.Payload.Length, // bitfield, unknown: id and raw body
    };

    /// <summary>Writes <paramref name="message"/> to the front of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(in PeerMessage message, Span<byte> destination)
    {
        var total = EncodedLength(message);
        if (destination.Length < total) throw new ArgumentException($"{message.Name} needs {total} bytes, got {destination.Length}", nameof(destination));
        BinaryPrimitives.WriteInt32BigEndian(destination, total - WireLimits.LengthPrefix);
        if (message.Kind == MessageKind.KeepAlive) return total;   // <len=0>
        destination[4] = message.Id;
        var body = destination[5..total];
        switch (message.Kind)
        {
            case MessageKind.Choke:                          // <len=1><id=0>
            case MessageKind.Unchoke:                        // <len=1><id=1>
            case MessageKind.Interested:                     // <len=1><id=2>
            case MessageKind.NotInterested:                  // <len=1><id=3>
            case MessageKind.HaveAll:                        // <len=1><id=14> (BEP 6)
            case MessageKind.HaveNone:                       // <len=1><id=15> (BEP 6)
                break;
            case MessageKind.Have:                           // <len=5><id=4><index 4>
            case MessageKind.Suggest:                        // <len=5><id=13><index 4> (BEP 6)
            case MessageKind.AllowedFast:                    // <len=5><id=17><index 4> (BEP 6)
                BinaryPrimitives.WriteInt32BigEndian(body, message.Index);
                break;
            case MessageKind.Request:                        // <len=13><id=6><index 4><begin 4><length 4>
            case MessageKind.Cancel:                         // <len=13><id=8><index 4><begin 4><length 4>
            case MessageKind.Reject:                         // <len=13><id=16><index 4><begin 4><length 4> (BEP 6)
                BinaryPrimitives.WriteInt32BigEndian(body, message.Index);
                BinaryPrimitives.WriteInt32BigEndian(body[4..], message.Begin);
                BinaryPrimitives.WriteInt32BigEndian(body[8..], message.Length);
                break;
            case MessageKind.Piece:                          // <len=9+X><id=7><index 4><begin 4><block X>
                BinaryPrimitives.WriteInt32BigEndian(body, message.Index);
                BinaryPrimitives.WriteInt32BigEndian(body[4..], message.Begin);
                message.Payload.Span.CopyTo(body[8..]);
                break;
            case MessageKind.Port:                           // <len=3><id=9><listen-port 2> (BEP 5)
                BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)message.Port);
                break;
            case MessageKind.Extended:                       // <len=2+X><id=20><extended id 1><payload X> (BEP 10)
                body[0] = message.ExtendedId;
                message.Payload.Span.CopyTo(body[1..]);
                break;
            default:                                         // <len=1+X><id=5><bitfield X>, or an unknown id's body
                message.Payload.Span.CopyTo(body);
                break;
        }
        return total;
    }

    /// <summary>The encoded bytes, in a new array (for tests and one-off sends).</summary>
    public static byte[] ToBytes(in PeerMessage message)
    {
        var bytes = new byte[EncodedLength(message)];
        Write(message, bytes);
        return bytes;
    }
}
