using System.Numerics;

namespace TorrentLab.Wire;

/// <summary>One message of the peer wire protocol (BEP 3), as a small value: its kind and the fields that kind uses.</summary>
/// <remarks>
/// A readonly struct so that receiving a message allocates nothing. <see cref="Payload"/> is the block of a
/// <c>piece</c>, the bits of a <c>bitfield</c> or the body of an unknown message. On a message returned by
/// <see cref="PeerConnection.ReceiveAsync"/> the payload is a slice of the connection's receive buffer:
/// <b>it is valid only until the next <c>ReceiveAsync</c> on that connection</b> (or its disposal); copy what you keep.
/// </remarks>
public readonly struct PeerMessage
{
    private PeerMessage(MessageKind kind, int index = 0, int begin = 0, int length = 0,
        ReadOnlyMemory<byte> payload = default, byte id = 0) =>
        (Kind, Index, Begin, Length, Payload, Id) = (kind, index, begin, length, payload, id);

    public MessageKind Kind { get; }

    /// <summary>The piece index of <c>have</c>, <c>request</c>, <c>piece</c> and <c>cancel</c>; the port of <c>port</c>.</summary>
    public int Index { get; }

    /// <summary>The byte offset inside the piece, for <c>request</c>, <c>piece</c> and <c>cancel</c>.</summary>
    public int Begin { get; }

    /// <summary>The requested length (<c>request</c>, <c>cancel</c>) or the block length (<c>piece</c>).</summary>
    public int Length { get; }

    /// <summary>The block (<c>piece</c>), the bits (<c>bitfield</c>), the payload after the extended id (<c>extended</c>)
    /// or the body (<see cref="MessageKind.Unknown"/>).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The id byte on the wire (meaningful for <see cref="MessageKind.Unknown"/>; equals the kind otherwise).</summary>
    public byte Id { get; }

    /// <summary>The DHT port announced by a BEP 5 <c>port</c> message.</summary>
    public int Port => Kind == MessageKind.Port ? Index : 0;

    /// <summary>The extended message id of a BEP 10 <c>extended</c> message: 0 for the extension handshake, else the id
    /// the receiver chose for that extension in its handshake.</summary>
    public byte ExtendedId => Kind == MessageKind.Extended ? (byte)Index : (byte)0;

    public static PeerMessage KeepAlive => new(MessageKind.KeepAlive);
    public static PeerMessage Choke => new(MessageKind.Choke, id: 0);
    public static PeerMessage Unchoke => new(MessageKind.Unchoke, id: 1);
    public static PeerMessage Interested => new(MessageKind.Interested, id: 2);
    public static PeerMessage NotInterested => new(MessageKind.NotInterested, id: 3);
    public static PeerMessage Have(int index) => new(MessageKind.Have, NonNegative(index), id: 4);

    /// <summary>A <c>bitfield</c> carrying the raw bits (length ceil(pieces/8), spare bits zero).</summary>
    public static PeerMessage BitfieldOf(ReadOnlyMemory<byte> bits) => new(MessageKind.Bitfield, payload: bits, id: 5);

    /// <summary>A <c>bitfield</c> announcing the set pieces of <paramref name="pieces"/>.</summary>
    public static PeerMessage BitfieldOf(Bitfield pieces) => BitfieldOf(pieces.ToBytes());

    public static PeerMessage Request(int index, int begin, int length) =>
        new(MessageKind.Request, NonNegative(index), NonNegative(begin), Positive(length), id: 6);

    /// <summary>A <c>piece</c> carrying <paramref name="block"/>, which must stay unchanged until the send completes.</summary>
    public static PeerMessage Piece(int index, int begin, ReadOnlyMemory<byte> block) =>
        new(MessageKind.Piece, NonNegative(index), NonNegative(begin), Positive(block.Length), block, id: 7);

    public static PeerMessage Cancel(int index, int begin, int length) =>
        new(MessageKind.Cancel, NonNegative(index), NonNegative(begin), Positive(length), id: 8);

    public static PeerMessage PortOf(ushort port) => new(MessageKind.Port, port, id: 9);

    /// <summary>A BEP 10 <c>extended</c> message: <paramref name="extendedId"/> then <paramref name="payload"/> (a bencoded
    /// dictionary, possibly followed by raw bytes, as BEP 9 data messages are).</summary>
    public static PeerMessage Extended(byte extendedId, ReadOnlyMemory<byte> payload) =>
        new(MessageKind.Extended, extendedId, payload: payload, id: 20);

    /// <summary>A message with an id we do not speak (kept so the reader can skip it and tests can send it).</summary>
    public static PeerMessage UnknownOf(byte id, ReadOnlyMemory<byte> body) => new(MessageKind.Unknown, payload: body, id: id);

    /// <summary>The name a trace prints: <c>choke</c>, <c>not interested</c>, <c>piece</c>, <c>keep-alive</c>...</summary>
    public string Name => Kind switch
    {
        MessageKind.KeepAlive => "keep-alive",
        MessageKind.NotInterested => "not interested",
        MessageKind.Unknown => "unknown",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The fields as <c>key=value</c> pairs (<c>index=3 begin=16384 len=16384</c>); empty for bare messages.</summary>
    public string Fields => Kind switch
    {
        MessageKind.Have => $"index={Index}",
        MessageKind.Request or MessageKind.Piece or MessageKind.Cancel => $"index={Index} begin={Begin} len={Length}",
        MessageKind.Bitfield => $"bytes={Payload.Length} set={PopCount(Payload.Span)}",
        MessageKind.Port => $"port={Port}",
        MessageKind.Extended => $"ext_id={ExtendedId} len={Payload.Length}",
        MessageKind.Unknown => $"id={Id} len={Payload.Length}",
        _ => "",
    };

    /// <summary>The message as a trace shows it: <c>piece index=3 begin=16384 len=16384</c>.</summary>
    public override string ToString() => Fields.Length == 0 ? Name : $"{Name} {Fields}";

    private static int PopCount(ReadOnlySpan<byte> bits)
    {
        var count = 0;
        foreach (var b in bits) count += BitOperations.PopCount(b);
        return count;
    }

    private static int NonNegative(int value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        return value;
    }

    private static int Positive(int value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
        return value;
    }
}
