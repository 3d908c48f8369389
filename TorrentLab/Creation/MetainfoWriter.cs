using TorrentLab.Bencode;

namespace TorrentLab.Creation;

/// <summary>Lays out the .torrent dictionary for hashed files; the bytes match mktorrent 1.1 and libtorrent 2.0 (v1).</summary>
/// <remarks>
/// BEP 3 metainfo, written as canonical bencode (keys sorted as raw bytes), optional keys only when set:
/// <code>
/// d
///   8:announce       &lt;first tracker URL&gt;                  BEP 3
///   13:announce-list l l&lt;url&gt;...e ... e                 BEP 12, only with more than one URL
///   7:comment        &lt;text&gt;
///   10:created by    &lt;text&gt;
///   13:creation date i&lt;unix seconds&gt;e
///   4:info d
///     5:files  l d 6:length i&lt;n&gt;e 4:path l&lt;segment&gt;...e e ... e   multi-file, in torrent order
///     6:length i&lt;n&gt;e                                           single-file
///     4:name   &lt;base name of the input&gt;
///     12:piece length i&lt;n&gt;e
///     6:pieces &lt;20-byte SHA-1 per piece&gt;
///     7:private i1e                                           BEP 27, only when private
///   e
///   8:url-list &lt;url&gt; | l &lt;url&gt;... e                     BEP 19, a string for one web seed
/// e
/// </code>
/// No <c>source</c>, <c>md5sum</c>, <c>attr</c> or <c>mtime</c> keys are written: neither tool writes them by default.
/// <para>v2 and hybrid (BEP 52), as libtorrent 2.0's <c>create_torrent</c> writes them:</para>
/// <code>
///   4:info d
///     9:file tree d &lt;segment&gt; d ... 0: d 6:length i&lt;n&gt;e 11:pieces root &lt;32&gt; e e e   empty files: no root
///     5:files l ... d 4:attr 1:p 6:length i&lt;gap&gt;e 4:path l 4:.pad &lt;gap&gt; e e ... e   hybrid: pads align files
///     12:meta version i2e
///     6:pieces ...                                                           hybrid only
///   e
///   12:piece layers d &lt;pieces root&gt; &lt;piece hashes&gt; ... e                     files longer than a piece
/// </code>
/// </remarks>
internal static class MetainfoWriter
{
    public static byte[] Write(Payload payload, int pieceLength, byte[] pieceHashes, TorrentCreateOptions options)
    {
        var info = new BDictionary()
            .Set("name", new BString(payload.Name))
            .Set("piece length", new BInteger(pieceLength))
            .Set("pieces", new BString(pieceHashes));
        if (payload.IsMultiFile)
        {
            info.Set("files", new BList([.. payload.Files.Select(f => (BValue)new BDictionary()
                .Set("length", new BInteger(f.Length))
                .Set("path", new BList([.. f.Path.Select(s => (BValue)new BString(s))])))]));
        }
        else
        {
            info.Set("length", new BInteger(payload.TotalLength));
        }
        if (options.Private) info.Set("private", new BInteger(1));
        return WriteRoot(info, options, null);
    }

    /// <summary>A v2 torrent (<paramref name="v1Hashes"/> null) or a hybrid; <paramref name="v2"/> holds each file's
    /// hashes in <paramref name="payload"/>'s order (null for empty files), files in file tree order.</summary>
    public static byte[] Write(Payload payload, int pieceLength, byte[]? v1Hashes, IReadOnlyList<FileHashes?> v2, TorrentCreateOptions options)
    {
        var tree = new BDictionary();
        var layers = new BDictionary();
        for (var i = 0; i < payload.Files.Count; i++)
        {
            var file = payload.Files[i];
            var node = tree;
            foreach (var segment in payload.IsMultiFile ? file.Path : [payload.Name])
            {
                if (node[segment] is not BDictionary child) node.Set(segment, child = new BDictionary());
                node = child;
            }
            var leaf = new BDictionary().Set("length", new BInteger(file.Length));
            if (v2[i] is { } hashes)
            {
                leaf.Set("pieces root", new BString(hashes.PiecesRoot));
                if (hashes.PieceLayer.Length > 0) layers.Set(hashes.PiecesRoot, new BString(hashes.PieceLayer));
            }
            node.Set("", leaf);
        }

        var info = new BDictionary()
            .Set("file tree", tree)
            .Set("meta version", new BInteger(2))
            .Set("name", new BString(payload.Name))
            .Set("piece length", new BInteger(pieceLength));
        if (v1Hashes is not null)
        {
            info.Set("pieces", new BString(v1Hashes));
            if (!payload.IsMultiFile) info.Set("length", new BInteger(payload.TotalLength));
            else info.Set("files", new BList([.. payload.WithPadFiles(pieceLength).Select(f =>
            {
                var entry = new BDictionary();
                if (f.IsPad) entry.Set("attr", new BString("p"));
                return (BValue)entry.Set("length", new BInteger(f.Length)).Set("path", new BList([.. f.Path.Select(s => (BValue)new BString(s))]));
            })]));
        }
        if (options.Private) info.Set("private", new BInteger(1));
        return WriteRoot(info, options, layers);
    }

    private static byte[] WriteRoot(BDictionary info, TorrentCreateOptions options, BDictionary? pieceLayers)
    {
        var root = new BDictionary().Set("info", info);
        if (pieceLayers is not null) root.Set("piece layers", pieceLayers);
        var urls = options.TrackerTiers.SelectMany(t => t).ToList();
        if (urls.Count > 0) root.Set("announce", new BString(urls[0]));
        if (urls.Count > 1)
        {
            root.Set("announce-list", new BList([.. options.TrackerTiers.Where(t => t.Count > 0)
                .Select(t => (BValue)new BList([.. t.Select(u => (BValue)new BString(u))]))]));
        }
        if (!string.IsNullOrEmpty(options.Comment)) root.Set("comment", new BString(options.Comment));
        if (!string.IsNullOrEmpty(options.CreatedBy)) root.Set("created by", new BString(options.CreatedBy));
        if (options.CreationDate is { } date) root.Set("creation date", new BInteger(date.ToUnixTimeSeconds()));
        if (options.WebSeeds.Count == 1) root.Set("url-list", new BString(options.WebSeeds[0]));
        if (options.WebSeeds.Count > 1) root.Set("url-list", new BList([.. options.WebSeeds.Select(u => (BValue)new BString(u))]));
        return BencodeWriter.Encode(root);
    }
}
