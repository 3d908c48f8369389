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
        Files = files;
        IsMultiFile = isMultiFile;
        TotalLength = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
        PieceCount = pieceHashes.Length / InfoHash.Length;
    }

    /// <summary>SHA-1 of the raw <c>info</c> dictionary bytes.</summary>
    public InfoHash InfoHash { get; }

    /// <summary>The exact bytes of the <c>info</c> dictionary as they appear in the file (served as BEP 9 metadata).</summary>
    public ReadOnlyMemory<byte> RawInfo { get; }

    /// <summary>The sanitized <c>info.name</c>: the file name (single-file) or the top folder (multi-file).</summary>
    public string Name { get; }

    /// <summary><c>info.piece length</c>: bytes per piece; every piece but the last has exactly this many.</summary>
    public int PieceLength { get; }

    /// <summary><c>info.pieces</c>: the concatenated 20-byte SHA-1 hashes of every piece.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    /// <summary>Number of pieces: <c>pieces</c> length / 20.</summary>
    public int PieceCount { get; }

    /// <summary>Sum of all file lengths, pad files included.</summary>
    public long TotalLength { get; }

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

    /// <summary>True when the info dictionary also carries BEP 52 v2 data (a hybrid torrent, loaded as v1).</summary>
    public bool IsHybrid { get; init; }

    /// <summary>A magnet link for this torrent: <c>magnet:?xt=urn:btih:&lt;hex&gt;&amp;dn=&lt;name&gt;&amp;tr=&lt;tracker&gt;...</c> (BEP 9).</summary>
    public string MagnetLink
    {
        get
        {
            var link = new System.Text.StringBuilder("magnet:?xt=urn:btih:").Append(InfoHash.Hex)
                .Append("&dn=").Append(Uri.EscapeDataString(Name));
            foreach (var tracker in TrackerTiers.SelectMany(tier => tier).Distinct())
                link.Append("&tr=").Append(Uri.EscapeDataString(tracker));
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

    /// <summary>The expected SHA-1 of piece <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> GetPieceHash(int index)
    {
        if ((uint)index >= (uint)PieceCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be 0..{PieceCount - 1}");
        return PieceHashes.Span.Slice(index * InfoHash.Length, InfoHash.Length);
    }
}
