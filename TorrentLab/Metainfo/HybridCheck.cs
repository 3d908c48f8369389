using TorrentLab.Bencode;

namespace TorrentLab.Metainfo;

/// <summary>Checks that the v2 half of a hybrid torrent (BEP 52) describes the same files as the v1 half we load.</summary>
/// <remarks>
/// <code>
/// file tree  d &lt;name&gt; d &lt;name&gt; ... d 0: d 6:length i&lt;n&gt;e 11:pieces root &lt;32 bytes&gt; e e ... e e
/// </code>
/// BEP 52: a hybrid torrent "must" list the same files in both formats, and "each file" of the v1 list starts on a
/// piece boundary (pad files fill the gaps). A client that reads only the v1 half would otherwise download something
/// else than a v2 client on the same swarm. TorrentLab does not verify v2 piece layers: it only loads hybrids as v1.
/// </remarks>
internal static class HybridCheck
{
    /// <summary>Throws when the file tree and the v1 file list disagree, or a v1 file is not piece-aligned.</summary>
    public static void Verify(BDictionary info, IReadOnlyList<TorrentFile> v1Files, long pieceLength)
    {
        var tree = info["file tree"] as BDictionary ?? throw new MetainfoException("expected a dictionary", "info.file tree");
        var v2Files = new List<(List<string> Path, long Length)>();
        Walk(tree, [], "info.file tree", v2Files);

        var real = v1Files.Where(f => !f.IsPadding).ToList();
        var multi = real.Count > 0 && info.ContainsKey("files");
        if (real.Count != v2Files.Count)
            throw new MetainfoException($"the v1 list has {real.Count} files but the v2 file tree has {v2Files.Count}", "info.file tree");
        for (var i = 0; i < real.Count; i++)
        {
            var (path, length) = v2Files[i];
            var v1Path = multi ? real[i].PathSegments.Skip(1) : real[i].PathSegments;
            if (real[i].Length != length || !v1Path.SequenceEqual(PathSanitizer.SanitizePath(path.Select(s => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(s)))))
                throw new MetainfoException($"v1 file '{real[i].DisplayPath}' ({real[i].Length} bytes) differs from v2 file '{string.Join('/', path)}' ({length} bytes)", "info.file tree");
            if (real[i].Length > 0 && real[i].Offset % pieceLength != 0)
                throw new MetainfoException($"v1 file '{real[i].DisplayPath}' starts at {real[i].Offset}, not on a piece boundary as BEP 52 requires", "info.files");
        }
    }

    private static void Walk(BDictionary node, List<string> path, string at, List<(List<string>, long)> files)
    {
        foreach (var (keyBytes, value) in node.Entries)
        {
            var key = System.Text.Encoding.UTF8.GetString(keyBytes);
            var here = $"{at}.{key}";
            var child = value as BDictionary ?? throw new MetainfoException("expected a dictionary", here);
            if (key.Length == 0)
            {
                // The empty key marks a file: its dictionary holds the length (and pieces root).
                if (path.Count == 0) throw new MetainfoException("a file needs a name", here);
                var length = child["length"] as BInteger ?? throw new MetainfoException("is missing or not an integer", here + ".length");
                files.Add(([.. path], length.Value));
            }
            else
            {
                path.Add(key);
                Walk(child, path, here, files);
                path.RemoveAt(path.Count - 1);
            }
        }
    }
}
