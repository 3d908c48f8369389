using TorrentLab.Metainfo;

namespace TorrentLab.Extensions;

/// <summary>Answers ut_metadata requests (BEP 9) from the raw info dictionary of a torrent we have: the serving half
/// of magnet links, for seeders and the lab's synthetic peers.</summary>
/// <remarks>Stateless and thread-safe; one instance can serve every connection of a torrent.</remarks>
internal sealed class MetadataServer
{
    private readonly ReadOnlyMemory<byte> _rawInfo;

    /// <summary>A server for the metadata of <paramref name="torrent"/>.</summary>
    public MetadataServer(Torrent torrent) : this(torrent.InfoHash, torrent.RawInfo) { }

    /// <summary>A server for <paramref name="rawInfo"/>, checked against <paramref name="infoHash"/>.</summary>
    /// <exception cref="ArgumentException">The bytes do not hash to the info hash.</exception>
    public MetadataServer(InfoHash infoHash, ReadOnlyMemory<byte> rawInfo)
    {
        // BEP 9: "A peer MUST verify that any piece it sends passes the info-hash verification." A v2-only torrent
        // is named by its truncated SHA-256 (BEP 52).
        if (InfoHash.Compute(rawInfo.Span) != infoHash && InfoHashV2.Compute(rawInfo.Span).Truncated != infoHash)
            throw new ArgumentException($"the metadata does not hash to {infoHash.Hex}; refusing to serve it", nameof(rawInfo));
        _rawInfo = rawInfo;
    }

    /// <summary>The size we announce as <c>metadata_size</c>.</summary>
    public int MetadataSize => _rawInfo.Length;

    /// <summary>Pieces of 16 KiB the metadata takes.</summary>
    public int PieceCount => MetadataMessage.PieceCount(_rawInfo.Length);

    /// <summary>The answer to a request: the piece, or a reject for an index past the end. Null for messages that are
    /// not requests (data and reject need no answer; unknown types are ignored, BEP 9).</summary>
    public MetadataMessage? Answer(in MetadataMessage message)
    {
        if (message.Type != MetadataMessageType.Request) return null;
        // BEP 9: the response "is either a reject or a data message. The response MUST have the same piece as the
        // request did."
        if (message.Piece >= PieceCount) return MetadataMessage.Reject(message.Piece);
        var start = message.Piece * MetadataMessage.PieceLength;
        var length = Math.Min(MetadataMessage.PieceLength, _rawInfo.Length - start);
        return MetadataMessage.DataOf(message.Piece, _rawInfo.Length, _rawInfo.Slice(start, length));
    }

    /// <summary>What a peer that lacks the metadata answers to every request. BEP 9: "Peers that do not have the
    /// entire metadata MUST respond with a reject message to any metadata request."</summary>
    public static MetadataMessage? AnswerWithout(in MetadataMessage message) =>
        message.Type == MetadataMessageType.Request ? MetadataMessage.Reject(message.Piece) : null;
}
