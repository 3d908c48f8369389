namespace TorrentLab.Metainfo;

/// <summary>A parsed .torrent file (BEP 3 metainfo, with BEP 12 tiers, BEP 19 web seeds and BEP 27 private flag).</summary>
/// <remarks>Immutable. Load with <see cref="Load(string)"/> or <see cref="Parse(ReadOnlyMemory{byte})"/>.</remarks>
public sealed partial class Torrent
{
    internal Torrent(InfoHash infoHash, ReadOnlyMemory<byte> rawInfo, string name, int pieceLength,
        ReadOnlyMemory<byte> pieceHashes, IReadOnlyList<TorrentFile> files, bool isMultiFile)
    {
        InfoHash = infoHash;
        RawInfo = rawInfo;
        Name = name;
        PieceLength = pieceLength;
        PieceHashes = pieceHashes;
        Files = files as TorrentFile[] ?? files.ToArray(); // an array, not a list: every torrent of a session holds it
        IsMultiFile = isMultiFile;
        TotalLength = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
        PayloadLength = files.Where(f => !f.IsPadding).Sum(f => f.Length);
        // A v2-only torrent has no SHA-1 list: its pieces are counted from the aligned layout.
        PieceCount = !pieceHashes.IsEmpty || pieceLength <= 0 ? pieceHashes.Length / InfoHash.Length
            : (int)((TotalLength + pieceLength - 1) / pieceLength);
    }

    /// <summary>The 20-byte identifier on the wire and at trackers: SHA-1 of the raw <c>info</c> dictionary bytes,
    /// or for a v2-only torrent the first 20 bytes of its SHA-256 (<see cref="InfoHashV2"/>, BEP 52).</summary>
    public InfoHash InfoHash { get; }

    /// <summary>BEP 52: SHA-256 of the raw <c>info</c> dictionary bytes, for v2 and hybrid torrents; null for v1.</summary>
    public InfoHashV2? InfoHashV2 { get; init; }

    /// <summary><c>info.meta version</c>: 2 for v2 and hybrid torrents (BEP 52), 1 for BEP 3 torrents (which have none).</summary>
    public int MetaVersion { get; init; } = 1;

    /// <summary>True for a v2 torrent without the v1 half: no SHA-1 piece hashes, its pieces verify by merkle trees.</summary>
    public bool IsV2Only => InfoHashV2 is not null && PieceHashes.IsEmpty;

    /// <summary>The exact bytes of the <c>info</c> dictionary as they appear in the file (served as BEP 9 metadata).</summary>
    public ReadOnlyMemory<byte> RawInfo { get; }

    /// <summary>The sanitized <c>info.name</c>: the file name (single-file) or the top folder (multi-file).</summary>
    public string Name { get; }

    /// <summary><c>info.piece length</c>: bytes per piece; every piece but the last has exactly this many.</summary>
    public int PieceLength { get; }

    /// <summary><c>info.pieces</c>: the concatenated 20-byte SHA-1 hashes of every piece; empty for a v2-only torrent.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    /// <summary>Number of pieces: <c>pieces</c> length / 20 (v2-only: the aligned files' length in pieces).</summary>
    public int PieceCount { get; }

    /// <summary>Sum of all file lengths, pad files included: the length of the piece space.</summary>
    public long TotalLength { get; }

    /// <summary>Sum of the real files' lengths, without padding: what a user downloads (BEP 47, 52).</summary>
    public long PayloadLength { get; }

    /// <summary>The files in torrent order, with their offsets in the concatenated stream.</summary>
    public IReadOnlyList<TorrentFile> Files { get; }

    /// <summary>True when the info dictionary has a <c>files</c> list (files live in a folder named <see cref="Name"/>).</summary>
    public bool IsMultiFile { get; }

    /// <summary><c>announce</c>: the primary tracker URL, if any.</summary>
    public string? Announce { get; init; }

    /// <summary><c>announce-list</c> (BEP 12): tiers of tracker URLs; empty when absent.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceTiers { get; init; } = [];

    /// <summary><c>url-list</c> (BEP 19): web seed URLs, from a single string or a list.</summary>
    public IReadOnlyList<string> WebSeeds { get; init; } = [];

    /// <summary><c>comment</c>: free text from the creator.</summary>
    public string? Comment { get; init; }

    /// <summary><c>created by</c>: the program that made the torrent.</summary>
    public string? CreatedBy { get; init; }

    /// <summary><c>creation date</c>: seconds since the Unix epoch, as a time.</summary>
    public DateTimeOffset? CreationDate { get; init; }

    /// <summary><c>info.private</c> = 1 (BEP 27): use only the torrent's trackers, no DHT or PEX.</summary>
    public bool IsPrivate { get; init; }

    /// <summary>True when the info dictionary carries both the v1 and the BEP 52 v2 data (a hybrid torrent).</summary>
    public bool IsHybrid { get; init; }

    /// <summary>A magnet link for this torrent: <c>magnet:?xt=urn:btih:&lt;hex&gt;&amp;dn=&lt;name&gt;&amp;tr=&lt;tracker&gt;...&amp;ws=&lt;web seed&gt;...</c> (BEP 9).</summary>
    public string MagnetLink
    {
        get
        {
            // BEP 52 adds the multihash form; a hybrid's link carries both, so v1-only clients can still use it.
            var link = new System.Text.StringBuilder("magnet:?");
            if (!IsV2Only) link.Append("xt=urn:btih:").Append(InfoHash.Hex);
            if (InfoHashV2 is { } v2) link.Append(IsV2Only ? "" : "&").Append("xt=").Append(v2.MagnetUrn);
            link.Append("&dn=").Append(Uri.EscapeDataString(Name));
            foreach (var tracker in TrackerTiers.SelectMany(tier => tier).Distinct())
                link.Append("&tr=").Append(Uri.EscapeDataString(tracker));
            foreach (var seed in WebSeeds.Distinct())
                link.Append("&ws=").Append(Uri.EscapeDataString(seed)); // BEP 19 web seeds, as BEP 9 allows
            return link.ToString();
        }
    }

    /// <summary>The trackers to use: the tiers when present, else the single <see cref="Announce"/> URL (BEP 12).</summary>
    public IReadOnlyList<IReadOnlyList<string>> TrackerTiers =>
        AnnounceTiers.Count > 0 ? AnnounceTiers : Announce is null ? [] : [[Announce]];

    /// <summary>The length of piece <paramref name="index"/>: <see cref="PieceLength"/>, except the last, which is shorter.</summary>
    public int GetPieceLength(int index)
    {
        if ((uint)index >= (uint)PieceCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be 0..{PieceCount - 1}");
        return index < PieceCount - 1 ? PieceLength : (int)(TotalLength - (long)index * PieceLength);
    }

    /// <summary>The real file bytes in piece <paramref name="index"/>: its length less the padding in it (BEP 47 pad
    /// files, BEP 52 alignment gaps), what progress and rates count.</summary>
    public int GetPiecePayloadLength(int index)
    {
        var length = GetPieceLength(index);
        if (TotalLength == PayloadLength) return length;
        var (start, end) = ((long)index * PieceLength, (long)index * PieceLength + length);
        foreach (var file in Files)
        {
            if (!file.IsPadding || file.Offset >= end || file.Offset + file.Length <= start) continue;
            length -= (int)(Math.Min(end, file.Offset + file.Length) - Math.Max(start, file.Offset));
        }
        return length;
    }

    /// <summary>The expected SHA-1 of piece <paramref name="index"/>.</summary>
    /// <exception cref="NotSupportedException">A v2-only torrent, which has no SHA-1 hashes.</exception>
    public ReadOnlySpan<byte> GetPieceHash(int index)
    {
        RequireV1Hashes();
        if ((uint)index >= (uint)PieceCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be 0..{PieceCount - 1}");
        return PieceHashes.Span.Slice(index * InfoHash.Length, InfoHash.Length);
    }

    /// <summary>Throws unless the torrent has SHA-1 piece hashes (a v2-only torrent's pieces verify by merkle trees).</summary>
    /// <exception cref="NotSupportedException">A v2-only torrent (BEP 52).</exception>
    public void RequireV1Hashes()
    {
        if (IsV2Only)
            throw new NotSupportedException("a v2-only torrent (BEP 52) has no SHA-1 piece hashes: its pieces verify by merkle trees");
    }
}
