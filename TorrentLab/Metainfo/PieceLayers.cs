using TorrentLab.Bencode;
using TorrentLab.Merkle;

namespace TorrentLab.Metainfo;

/// <summary>Reads and checks the top-level <c>piece layers</c> of a v2 torrent (BEP 52) against the file tree.</summary>
/// <remarks>
/// <code>
/// 12:piece layers d
///   32:&lt;pieces root of a file&gt;  &lt;32 bytes per piece of that file, concatenated&gt;
///   ...                                          one entry per file larger than one piece
/// e
/// </code>
/// BEP 52: "A torrent is not valid if this field is absent, the contained hashes do not match the merkle roots or
/// are not from the correct layer." Every entry present is checked: its length must be the file's piece count
/// times 32, and its hashes, padded with whole pieces of padding, must hash up to the root. Departure, as libtorrent
/// does: an absent field, or a file without an entry, is accepted, and that file's layer must come from peers
/// (BEP 52 hash requests), as for a magnet link; such a torrent is only checkable file by file, not piece by piece.
/// </remarks>
internal static class PieceLayers
{
    /// <summary>Each file's checked piece layer, keyed by pieces root (hex); files of one piece have none.</summary>
    public static Dictionary<string, ReadOnlyMemory<byte>> Read(BValue? value, IReadOnlyList<FileTreeEntry> files, int pieceLength)
    {
        var layers = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        if (value is null) return layers;
        var dict = value as BDictionary ?? throw FileTree.Error("expected a dictionary", "piece layers", value);

        var lengths = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in files)
            if (file.Length > pieceLength) lengths[Convert.ToHexStringLower(file.PiecesRoot.Span)] = file.Length;

        foreach (var (key, entry) in dict.Entries)
        {
            var at = $"piece layers.{Convert.ToHexStringLower(key)}";
            if (key.Length != MerkleTree.HashSize) throw FileTree.Error($"a key must be a 32-byte pieces root, got {key.Length} bytes", at, entry);
            var root = Convert.ToHexStringLower(key);
            if (!lengths.TryGetValue(root, out var fileLength))
                throw FileTree.Error("matches no file larger than one piece in the file tree", at, entry);
            var layer = entry as BString ?? throw FileTree.Error("expected a string of hashes", at, entry);
            var pieces = (fileLength + pieceLength - 1) / pieceLength;
            if (layer.Bytes.Length != pieces * MerkleTree.HashSize)
                throw FileTree.Error($"holds {layer.Bytes.Length} bytes, but a file of {fileLength} bytes in pieces of {pieceLength} needs {pieces} hashes of 32 bytes", at, entry);
            if (!MerkleTree.RootFromPieceLayer(layer.Bytes.Span, pieceLength).AsSpan().SequenceEqual(key))
                throw FileTree.Error("its hashes do not hash up to the file's pieces root", at, entry);
            layers[root] = layer.Bytes;
        }
        return layers;
    }
}
