namespace TorrentLab.Metainfo;

/// <summary>One file of a torrent, placed in the concatenated byte stream that pieces are cut from (BEP 3).</summary>
/// <param name="PathSegments">The sanitized relative path, one segment per folder level; for a multi-file
/// torrent it starts with the torrent's name folder. Safe to join below an output folder.</param>
/// <param name="Length">Size in bytes.</param>
/// <param name="Offset">Where the file starts in the concatenated stream of all files.</param>
/// <param name="IsPadding">A BEP 47 pad file (<c>attr</c> contains <c>p</c>), or the alignment gap after a file of
/// a v2-only torrent (BEP 52): counted in offsets, never requested, written or counted as payload.</param>
public sealed record TorrentFile(IReadOnlyList<string> PathSegments, long Length, long Offset, bool IsPadding = false)
{
    /// <summary>The relative path with '/' separators, as shown to users.</summary>
    public string DisplayPath => string.Join('/', PathSegments);

    /// <summary>The relative path joined with the platform's separator.</summary>
    public string RelativePath => Path.Combine([.. PathSegments]);

    /// <summary>BEP 52 <c>pieces root</c>: the 32-byte root of the file's SHA-256 merkle tree; empty for v1
    /// torrents, pad files, empty files and links.</summary>
    public ReadOnlyMemory<byte> PiecesRoot { get; init; }

    /// <summary>BEP 52 <c>piece layers</c> entry: one 32-byte hash per piece of the file, checked against
    /// <see cref="PiecesRoot"/>; empty when the file fits in one piece or the torrent did not carry it.</summary>
    public ReadOnlyMemory<byte> PieceLayer { get; init; }

    /// <summary>The path the metainfo gives the file, when it is stored under another (<see cref="Torrent.WithFilePaths"/>);
    /// web seeds are asked for this one (BEP 19). Null when the file lies where the metainfo says.</summary>
    internal IReadOnlyList<string>? SourcePathSegments { get; init; }
}
