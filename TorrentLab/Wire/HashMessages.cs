using System.Buffers.Binary;
using System.Numerics;

namespace TorrentLab.Wire;

/// <summary>The header shared by BEP 52's <c>hash request</c>, <c>hashes</c> and <c>hash reject</c>: which hashes of
/// which file's merkle tree.</summary>
/// <param name="PiecesRoot">The file's 32-byte <c>pieces root</c>.</param>
/// <param name="BaseLayer">The lowest layer asked for, counted up from the leaves (0: leaf hashes; the piece layer is
/// log2(piece length / 16 KiB)).</param>
/// <param name="Index">The first hash wanted, as an offset in that layer.</param>
/// <param name="Length">How many hashes of the base layer.</param>
/// <param name="ProofLayers">How many ancestor layers of uncle hashes to add, so the hashes can be checked against the root.</param>
internal readonly record struct HashRequest(ReadOnlyMemory<byte> PiecesRoot, int BaseLayer, int Index, int Length, int ProofLayers)
{
    /// <summary>Why the request breaks BEP 52's rules for a base layer of <paramref name="layerHashes"/> hashes, or null.</summary>
    public string? Problem(long layerHashes)
    {
        // BEP 52: "Index MUST be a multiple of length, this includes zero. Length MUST be equal-to-or-greater-than two
        // and a power of two unless it gets truncated by the end of the layer."
        if (BaseLayer < 0 || Index < 0 || Length <= 0 || ProofLayers < 0) return "negative or zero fields";
        if (Index >= layerHashes) return $"index {Index} is past the layer's {layerHashes} hashes";
        // A request that ends exactly at the end of the layer may be shorter than a power of two.
        var truncated = Index + (long)Length == layerHashes && Length < HashMessages.MaxLength;
        if (!truncated && (Length < 2 || !BitOperations.IsPow2(Length))) return $"length {Length} is not a power of two of at least 2";
        if (!truncated && Index % Length != 0) return $"index {Index} is not a multiple of length {Length}";
        // BEP 52: "Length SHOULD NOT be greater than 512."
        return Length > HashMessages.MaxLength ? $"length {Length} is more than {HashMessages.MaxLength}" : null;
    }
}

/// <summary>Encodes and decodes BEP 52's hash messages, ids 21 to 23 (the rest of the wire is in <see cref="MessageWriter"/>).</summary>
/// <remarks>
/// <code>
/// hash request  &lt;len=49&gt;&lt;id=21&gt;&lt;pieces root 32&gt;&lt;base layer 4&gt;&lt;index 4&gt;&lt;length 4&gt;&lt;proof layers 4&gt;
/// hashes        &lt;len=49+32n&gt;&lt;id=22&gt;&lt;the same 48 bytes&gt;&lt;hashes 32 each: the base layer's, then uncles nearest first&gt;
/// hash reject   &lt;len=49&gt;&lt;id=23&gt;&lt;the same 48 bytes as the request&gt;
/// </code>
/// BEP 52: "Hash requests MUST be answered with either a 'hashes' or 'hash reject' message." and of hashes: "A proof
/// layer is omitted if the requested hashes include the entire child layer. In other words, the first log2(length)-1
/// proof layers are omitted." Integers are 4-byte big-endian, as everywhere on the wire.
/// </remarks>
internal static class HashMessages
{
    public const byte HashRequestId = 21; // BEP 52
    public const byte HashesId = 22;      // BEP 52
    public const byte HashRejectId = 23;  // BEP 52

    /// <summary>512: BEP 52's "Length SHOULD NOT be greater than 512".</summary>
    public const int MaxLength = 512;

    private const int RootSize = 32;
    private const int HeaderSize = RootSize + 16; // pieces root and four integers

    /// <summary>A whole <c>hash request</c> message, length prefix included.</summary>
    public static byte[] EncodeRequest(in HashRequest request) => Encode(HashRequestId, request, ReadOnlySpan<byte>.Empty);

    /// <summary>A whole <c>hash reject</c> message: the request it refuses, under id 23.</summary>
    public static byte[] EncodeReject(in HashRequest request) => Encode(HashRejectId, request, ReadOnlySpan<byte>.Empty);

    /// <summary>A whole <c>hashes</c> message answering <paramref name="request"/> with <paramref name="hashes"/>.</summary>
    public static byte[] EncodeHashes(in HashRequest request, ReadOnlySpan<byte> hashes)
    {
        if (hashes.Length % RootSize != 0) throw new ArgumentException($"hashes are 32 bytes each, got {hashes.Length} bytes", nameof(hashes));
        return Encode(HashesId, request, hashes);
    }

    /// <summary>Reads the body (after the id) of a <c>hash request</c> or <c>hash reject</c>.</summary>
    /// <exception cref="WireException">The body is not exactly 48 bytes.</exception>
    public static HashRequest DecodeRequest(ReadOnlyMemory<byte> body)
    {
        if (body.Length != HeaderSize) throw new WireException($"a hash request or reject has a 48-byte body, got {body.Length} bytes");
        return ReadHeader(body);
    }

    /// <summary>Reads the body (after the id) of a <c>hashes</c> message: its header and the hashes that follow.</summary>
    /// <exception cref="WireException">Shorter than the header, or hashes that are not whole 32-byte values.</exception>
    public static (HashRequest Request, ReadOnlyMemory<byte> Hashes) DecodeHashes(ReadOnlyMemory<byte> body)
    {
        if (body.Length < HeaderSize) throw new WireException($"a hashes message has at least a 48-byte header, got {body.Length} bytes");
        if ((body.Length - HeaderSize) % RootSize != 0)
            throw new WireException($"a hashes message carries whole 32-byte hashes, got {body.Length - HeaderSize} bytes after the header");
        return (ReadHeader(body), body[HeaderSize..]);
    }

    /// <summary>How many uncle hashes a <c>hashes</c> answer carries after the base layer's (BEP 52: the proof layers
    /// inside the subtree the base hashes already span are omitted).</summary>
    public static int UncleCount(in HashRequest request)
    {
        var spanned = request.Length >= 2 ? BitOperations.Log2((uint)request.Length) - 1 : 0;
        return Math.Max(0, request.ProofLayers - spanned);
    }

    private static byte[] Encode(byte id, in HashRequest request, ReadOnlySpan<byte> hashes)
    {
        if (request.PiecesRoot.Length != RootSize) throw new ArgumentException($"a pieces root is 32 bytes, got {request.PiecesRoot.Length}", nameof(request));
        var message = new byte[WireLimits.LengthPrefix + 1 + HeaderSize + hashes.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length - WireLimits.LengthPrefix);
        message[4] = id;
        var body = message.AsSpan(5);
        request.PiecesRoot.Span.CopyTo(body);
        BinaryPrimitives.WriteInt32BigEndian(body[32..], request.BaseLayer);
        BinaryPrimitives.WriteInt32BigEndian(body[36..], request.Index);
        BinaryPrimitives.WriteInt32BigEndian(body[40..], request.Length);
        BinaryPrimitives.WriteInt32BigEndian(body[44..], request.ProofLayers);
        hashes.CopyTo(body[HeaderSize..]);
        return message;
    }

    private static HashRequest ReadHeader(ReadOnlyMemory<byte> body)
    {
        var span = body.Span;
        return new HashRequest(body[..RootSize].ToArray(),
            BinaryPrimitives.ReadInt32BigEndian(span[32..]), BinaryPrimitives.ReadInt32BigEndian(span[36..]),
            BinaryPrimitives.ReadInt32BigEndian(span[40..]), BinaryPrimitives.ReadInt32BigEndian(span[44..]));
    }
}
