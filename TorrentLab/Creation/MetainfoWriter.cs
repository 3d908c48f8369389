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

        var root = new BDictionary().Set("info", info);
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
