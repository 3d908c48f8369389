using TorrentLab.Bencode;
using TorrentLab.Merkle;

namespace TorrentLab.Metainfo;

/// <summary>One file of a BEP 52 <c>file tree</c>, in tree order, before sanitizing.</summary>
/// <param name="RawPath">The path elements as raw bytes (the dictionary keys down to the file).</param>
/// <param name="KeyPath">Where the file's <c>''</c> entry is, for error messages.</param>
/// <param name="Length">The file's <c>length</c>.</param>
/// <param name="PiecesRoot">The 32-byte <c>pieces root</c>; empty for empty files and symbolic links.</param>
internal sealed record FileTreeEntry(IReadOnlyList<ReadOnlyMemory<byte>> RawPath, string KeyPath, long Length, ReadOnlyMemory<byte> PiecesRoot);

/// <summary>Reads the <c>file tree</c> of a v2 info dictionary (BEP 52) into its files, strictly.</summary>
/// <remarks>
/// <code>
/// 9:file tree d
///   &lt;name&gt; d                                   a folder: more names below
///     &lt;name&gt; d 0: d                             a file: the empty key holds its properties
///       6:length i&lt;bytes&gt;e
///       11:pieces root &lt;32 bytes&gt;              for non-empty files: the root of its merkle tree
///       4:attr &lt;flags&gt;                          BEP 47 (optional): 'l' link, 'x' executable, 'h' hidden
///     e e
///   e
/// e
/// </code>
/// The tree's order is the file order of the piece space, so its keys must be sorted: an unsorted tree would let two
/// clients lay out the same torrent differently (libtorrent rejects it too).
/// </remarks>
internal static class FileTree
{
    // A file's tree of up to 2^29 leaves (8 TiB) keeps every node index within 32 bits, as libtorrent's trees do;
    // it refuses larger files as an invalid length too.
    internal const long MaxFileLength = (1L << 29) * MerkleTree.BlockSize;

    /// <summary>The files of <paramref name="tree"/> in tree order.</summary>
    public static List<FileTreeEntry> Read(BDictionary tree)
    {
        // BEP 52: "The file tree root dictionary itself must not be a file, i.e. it must not contain a zero-length
        // key with a dictionary containing a length key."
        if (tree.TryGet(ReadOnlySpan<byte>.Empty, out _))
            throw Error("the root must not be a file (it has an empty key)", "info.file tree", tree);
        var files = new List<FileTreeEntry>();
        Walk(tree, [], "info.file tree", files);
        return files;
    }

    private static void Walk(BDictionary node, List<ReadOnlyMemory<byte>> path, string at, List<FileTreeEntry> files)
    {
        if (node.Count == 0) throw Error("is an empty folder: every path must end in a file", at, node);
        ReadOnlySpan<byte> previous = default;
        for (var i = 0; i < node.Count; i++)
        {
            var (key, value) = node.Entries[i];
            var here = key.Length == 0 ? at + ".''" : $"{at}.{System.Text.Encoding.UTF8.GetString(key)}";
            if (i > 0 && previous.SequenceCompareTo(key) >= 0) throw Error("keys are not in sorted order, so the file order is ambiguous", here, value);
            previous = key;
            var child = value as BDictionary ?? throw Error($"expected a dictionary, got {Kind(value)}", here, value);
            if (key.Length > 0)
            {
                path.Add(key);
                Walk(child, path, here, files);
                path.RemoveAt(path.Count - 1);
                continue;
            }
            // BEP 52, length: "Presence of this field indicates that the dictionary describes a file, not a
            // directory. Which means it must not have any sibling entries."
            if (node.Count != 1) throw Error("a file entry must not have sibling entries", here, value);
            files.Add(ReadFile(child, [.. path], here));
        }
    }

    private static FileTreeEntry ReadFile(BDictionary file, List<ReadOnlyMemory<byte>> path, string at)
    {
        var length = file["length"] as BInteger ?? throw Error("is missing or not an integer", at + ".length", file);
        if (length.Value < 0) throw Error($"must not be negative, got {length.Value}", at + ".length", length);
        if (length.Value > MaxFileLength) throw Error($"is too large: {length.Value} (at most {MaxFileLength}, 8 TiB)", at + ".length", length);
        var attr = file["attr"] is BString a ? a.Bytes.Span : default;
        // BEP 47 pad files exist only in the v1 list of a hybrid: v2 aligns files by itself (libtorrent refuses too).
        if (attr.Contains((byte)'p')) throw Error("a pad file (attr 'p') is not allowed in the v2 file tree", at + ".attr", file);
        if (attr.Contains((byte)'l')) return new FileTreeEntry(path, at, 0, ReadOnlyMemory<byte>.Empty); // a link holds no data

        if (length.Value == 0) return new FileTreeEntry(path, at, 0, ReadOnlyMemory<byte>.Empty);
        // BEP 52: "For non-empty files this is the root hash of a merkle tree".
        var root = file["pieces root"] as BString ?? throw Error("is missing for a non-empty file", at + ".pieces root", file);
        if (root.Bytes.Length != MerkleTree.HashSize) throw Error($"must be 32 bytes, got {root.Bytes.Length}", at + ".pieces root", root);
        if (!root.Bytes.Span.ContainsAnyExcept((byte)0)) throw Error("is all zeros, which no data hashes to", at + ".pieces root", root);
        return new FileTreeEntry(path, at, length.Value, root.Bytes);
    }

    internal static MetainfoException Error(string message, string keyPath, BValue at) =>
        new(at.Raw.IsEmpty ? message : $"{message} (at byte {at.Offset})", keyPath);

    private static string Kind(BValue value) => value switch
    {
        BString => "a string",
        BInteger => "an integer",
        BList => "a list",
        _ => "a dictionary",
    };
}
