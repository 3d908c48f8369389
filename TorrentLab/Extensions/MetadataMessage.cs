using TorrentLab.Bencode;

namespace TorrentLab.Extensions;

/// <summary>The three ut_metadata message types (BEP 9); any other value is ignored by the receiver.</summary>
internal enum MetadataMessageType
{
    Request = 0,   // {'msg_type': 0, 'piece': 0}
    Data = 1,      // {'msg_type': 1, 'piece': 0, 'total_size': 3425} followed by the piece's bytes
    Reject = 2,    // {'msg_type': 2, 'piece': 0}
}

/// <summary>One ut_metadata message (BEP 9): a request for, a piece of, or a refusal of the info dictionary.</summary>
/// <remarks>
/// <code>
/// &lt;len&gt;&lt;id=20&gt;&lt;their ut_metadata id&gt; d 8:msg_type i0e 5:piece i&lt;n&gt;e e                               request
/// &lt;len&gt;&lt;id=20&gt;&lt;their ut_metadata id&gt; d 8:msg_type i1e 5:piece i&lt;n&gt;e 10:total_size i&lt;bytes&gt;e e &lt;data&gt;    data
/// &lt;len&gt;&lt;id=20&gt;&lt;their ut_metadata id&gt; d 8:msg_type i2e 5:piece i&lt;n&gt;e e                               reject
/// </code>
/// The info dictionary travels in 16 KiB pieces; BEP 9: "The metadata piece is appended to the bencoded dictionary,
/// it is not a part of the dictionary, but it is a part of the message (the length prefix MUST include it)."
/// </remarks>
internal readonly record struct MetadataMessage(MetadataMessageType Type, int Piece, long TotalSize, ReadOnlyMemory<byte> Data)
{
    /// <summary>BEP 9: "The metadata is handled in blocks of 16KiB (16384 Bytes)."</summary>
    public const int PieceLength = 16 * 1024;

    public static MetadataMessage Request(int piece) => new(MetadataMessageType.Request, NonNegative(piece), 0, default);
    public static MetadataMessage Reject(int piece) => new(MetadataMessageType.Reject, NonNegative(piece), 0, default);

    public static MetadataMessage DataOf(int piece, long totalSize, ReadOnlyMemory<byte> data) =>
        new(MetadataMessageType.Data, NonNegative(piece), totalSize, data);

    /// <summary>The payload after the extended id: the dictionary, then the piece bytes for <c>data</c>.</summary>
    public byte[] Encode()
    {
        var d = new BDictionary().Set("msg_type", new BInteger((int)Type)).Set("piece", new BInteger(Piece));
        if (Type == MetadataMessageType.Data) d.Set("total_size", new BInteger(TotalSize));
        var head = BencodeWriter.Encode(d);
        return Type == MetadataMessageType.Data ? [.. head, .. Data.Span] : head;
    }

    /// <summary>Decodes a ut_metadata payload. An unknown <c>msg_type</c> decodes with that value as
    /// <see cref="Type"/>, for the caller to ignore. <see cref="Data"/> is a slice of <paramref name="payload"/>.</summary>
    /// <exception cref="ExtensionException">Not a dictionary, a missing or negative <c>piece</c>, a data message
    /// without a positive <c>total_size</c>.</exception>
    public static MetadataMessage Decode(ReadOnlyMemory<byte> payload)
    {
        var d = ExtensionPayload.Dictionary(payload, "ut_metadata");
        if (d["msg_type"] is not BInteger { Value: >= 0 and <= int.MaxValue } type)
            throw new ExtensionException("ut_metadata: msg_type is missing or not a non-negative integer");
        if (d["piece"] is not BInteger { Value: >= 0 and <= int.MaxValue } piece)
            throw new ExtensionException($"ut_metadata: msg_type {type.Value} without a valid piece index");
        var kind = (MetadataMessageType)(int)type.Value;
        if (kind != MetadataMessageType.Data) return new MetadataMessage(kind, (int)piece.Value, 0, default);
        // BEP 9: total_size "has the same semantics as the 'metadata_size' in the extension header".
        if (d["total_size"] is not BInteger { Value: > 0 } total)
            throw new ExtensionException($"ut_metadata: data for piece {piece.Value} without a positive total_size");
        return new MetadataMessage(kind, (int)piece.Value, total.Value, payload[d.Raw.Length..]);
    }

    /// <summary>How many 16 KiB pieces <paramref name="metadataSize"/> bytes take.</summary>
    public static int PieceCount(long metadataSize) => (int)((metadataSize + PieceLength - 1) / PieceLength);

    /// <summary>The message as a trace shows it: <c>ut_metadata data piece=0 total_size=31235 len=16384</c>.</summary>
    public override string ToString() => Type switch
    {
        MetadataMessageType.Data => $"ut_metadata data piece={Piece} total_size={TotalSize} len={Data.Length}",
        MetadataMessageType.Request or MetadataMessageType.Reject => $"ut_metadata {Type.ToString().ToLowerInvariant()} piece={Piece}",
        _ => $"ut_metadata msg_type={(int)Type} piece={Piece}",
    };

    private static int NonNegative(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }
}
