namespace TorrentLab.Metainfo;

/// <summary>Checks that the two halves of a hybrid torrent (BEP 52 upgrade path) describe the same data.</summary>
/// <remarks>
/// BEP 52: "the 'pieces' field and 'files' or 'length' in the info dictionary must be generated to describe the same
/// data in the same order. Since the old format did not align files to piece boundaries a multifile torrent must use
/// BEP 47 padding files to achieve identical alignment." and, for a client joining both swarms: "they must validate
/// that the content (file names, order, piece alignment) is identical". So, file by file in order: the same path and
/// length in both lists, every non-empty v1 file starting on a piece boundary, and every pad file shorter than a piece
/// and ending on one (a pad that does anything else shifts the v1 data away from the v2 pieces). A trailing pad after
/// the last file is optional: libtorrent 2.0 writes one, older creators did not.
/// </remarks>
internal static class HybridCheck
{
    /// <summary>Throws when the v1 files and the v2 file tree disagree; returns the v1 files with their v2 roots.</summary>
    public static List<TorrentFile> Verify(IReadOnlyList<FileTreeEntry> tree, IReadOnlyList<TorrentFile> v1Files, bool isMultiFile, long pieceLength)
    {
        var real = v1Files.Count(f => !f.IsPadding);
        if (real != tree.Count)
            throw new MetainfoException($"the v1 file list has {real} files but the v2 file tree has {tree.Count}", "info.file tree");
        var result = new List<TorrentFile>(v1Files.Count);
        var next = 0;
        for (var i = 0; i < v1Files.Count; i++)
        {
            var v1 = v1Files[i];
            var at = isMultiFile ? $"info.files[{i}]" : "info.length";
            if (v1.IsPadding)
            {
                if (v1.Length >= pieceLength || (v1.Offset + v1.Length) % pieceLength != 0)
                    throw new MetainfoException($"pad file of {v1.Length} bytes at offset {v1.Offset} does not end on a piece boundary (piece length {pieceLength}), so v1 and v2 pieces differ", at);
                result.Add(v1);
                continue;
            }
            var v2 = tree[next++];
            var v2Path = V2Path(v2, isMultiFile);
            var v1Path = isMultiFile ? v1.PathSegments.Skip(1) : v1.PathSegments;
            if (v1.Length != v2.Length || !v1Path.SequenceEqual(v2Path))
                throw new MetainfoException($"v1 file '{string.Join('/', v1Path)}' ({v1.Length} bytes) differs from v2 file '{string.Join('/', v2Path)}' ({v2.Length} bytes) at {v2.KeyPath}", at);
            if (v1.Length > 0 && v1.Offset % pieceLength != 0)
                throw new MetainfoException($"v1 file '{v1.DisplayPath}' starts at offset {v1.Offset}, not on a piece boundary (piece length {pieceLength}) as BEP 52 requires", at);
            result.Add(v1 with { PiecesRoot = v2.PiecesRoot });
        }
        return result;
    }

    private static List<string> V2Path(FileTreeEntry entry, bool isMultiFile) =>
        isMultiFile ? PathSanitizer.SanitizePath(entry.RawPath) : [PathSanitizer.SanitizeName(entry.RawPath[^1].Span)];
}
