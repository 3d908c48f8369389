using System.Numerics;

namespace TorrentLab.Wire;

/// <summary>One message of the peer wire protocol (BEP 3), as a small value: its kind and the fields that kind uses.</summary>
/// <remarks>
/// A readonly struct so that receiving a message allocates nothing. <see cref="Payload"/> is the block of a
/// <c>piece</c>, the bits of a <c>bitfield</c> or the body of an unknown message. On a message returned by
/// <see cref="PeerConnection.ReceiveAsync"/> the payload is a slice of the connection's receive buffer:
/// <b>it is valid only until the next <c>ReceiveAsync</c> on that connection</b> (or its disposal); copy what you keep.
/// </remarks>
internal readonly struct PeerMessage
{
    private PeerMessage(MessageKind kind, int index = 0, int begin = 0, int length = 0,
        ReadOnlyMemory<byte> payload = default, byte id = 0) =>
        (Kind, Index, Begin, Length, Payload, Id) = (kind, index, begin, length, payload, id);

    public MessageKind Kind { get; }

    /// <summary>The piece index of <c>have</c>, <c>request</c>, <c>piece</c>, <c>cancel</c> and BEP 6's <c>suggest</c>,
    /// <c>reject</c>, <c>allowed fast</c>; the port of <c>port</c>.</summary>
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

    /// <summary>BEP 6 <c>suggest piece</c>: the sender thinks <paramref name="index"/> is a good piece to ask for.</summary>
    public static PeerMessage Suggest(int index) => new(MessageKind.Suggest, NonNegative(index), id: 13);

    /// <summary>BEP 6 <c>have all</c>: the sender has every piece (in place of a bitfield).</summary>
    public static PeerMessage HaveAll => new(MessageKind.HaveAll, id: 14);

    /// <summary>BEP 6 <c>have none</c>: the sender has no piece (in place of a bitfield).</summary>
    public static PeerMessage HaveNone => new(MessageKind.HaveNone, id: 15);

    /// <summary>BEP 6 <c>reject request</c>: the request with these fields will not be served.</summary>
    public static PeerMessage Reject(int index, int begin, int length) =>
        new(MessageKind.Reject, NonNegative(index), NonNegative(begin), Positive(length), id: 16);

    /// <summary>BEP 6 <c>allowed fast</c>: the sender will serve piece <paramref name="index"/> even while choking us.</summary>
    public static PeerMessage AllowedFast(int index) => new(MessageKind.AllowedFast, NonNegative(index), id: 17);

    /// <summary>A BEP 10 <c>extended</c> message: <paramref name="extendedId"/> then <paramref name="payload"/> (a bencoded
    /// dictionary, possibly followed by raw bytes, as BEP 9 data messages are).</summary>
    public static PeerMessage Extended(byte extendedId, ReadOnlyMemory<byte> payload) =>
        new(MessageKind.Extended, extendedId, payload: payload, id: 20);

    /// <summary>A BEP 52 <c>hash request</c>, <c>hashes</c> or <c>hash reject</c> with its raw body (encoded and read
    /// by <see cref="HashMessages"/>).</summary>
    public static PeerMessage HashMessage(MessageKind kind, ReadOnlyMemory<byte> body) =>
        kind is MessageKind.HashRequest or MessageKind.Hashes or MessageKind.HashReject
            ? new(kind, payload: body, id: (byte)kind)
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a BEP 52 hash message");

    /// <summary>A message with an id we do not speak (kept so the reader can skip it and tests can send it).</summary>
    public static PeerMessage UnknownOf(byte id, ReadOnlyMemory<byte> body) => new(MessageKind.Unknown, payload: body, id: id);

    /// <summary>The name a trace prints: <c>choke</c>, <c>not interested</c>, <c>piece</c>, <c>keep-alive</c>...</summary>
    public string Name => Kind switch
    {
        MessageKind.KeepAlive => "keep-alive",
        MessageKind.NotInterested => "not interested",
        MessageKind.HaveAll => "have all",
        MessageKind.HaveNone => "have none",
        MessageKind.AllowedFast => "allowed fast",
        MessageKind.Unknown => "unknown",
        MessageKind.HashRequest => "hash request",
        MessageKind.HashReject => "hash reject",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The fields as <c>key=value</c> pairs (<c>index=3 begin=16384 len=16384</c>); empty for bare messages.</summary>
    public string Fields => Kind switch
    {
        MessageKind.Have or MessageKind.Suggest or MessageKind.AllowedFast => $"index={Index}",
        MessageKind.Request or MessageKind.Piece or MessageKind.Cancel or MessageKind.Reject => $"index={Index} begin={Begin} len={Length}",
        MessageKind.Bitfield => $"bytes={Payload.Length} set={PopCount(Payload.Span)}",
        MessageKind.Port => $"port={Port}",
        MessageKind.Extended => $"ext_id={ExtendedId} len={Payload.Length}",
        MessageKind.Unknown => $"id={Id} len={Payload.Length}",
        MessageKind.HashRequest or MessageKind.Hashes or MessageKind.HashReject when Payload.Length >= 48 => HashFields(),
        _ => "",
    };

    private string HashFields()
    {
        var r = HashMessages.DecodeRequest(Payload[..48]);
        var hashes = Kind == MessageKind.Hashes ? $" hashes={(Payload.Length - 48) / 32}" : "";
        return $"root={Convert.ToHexStringLower(r.PiecesRoot.Span)[..16]}.. base={r.BaseLayer} index={r.Index} len={r.Length} proof={r.ProofLayers}{hashes}";
    }

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
