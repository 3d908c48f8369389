using TorrentLab.Bencode;

namespace TorrentLab.Metainfo;

// BEP 52 info dictionary (v2), and what a hybrid adds to a BEP 3 one:
//   d 9:file tree d ... e                  the files, nested by folder (see FileTree)
//     12:meta version i2e                  checked first: a newer version is refused before anything else
//     4:name <display name>
//     12:piece length i<power of two, at least 16384>e
//     6:pieces ... 5:files ... / 6:length  hybrid only: the v1 half, pad files aligning every file (HybridCheck)
//   e
// and, beside the info dictionary, 12:piece layers d <pieces root> <piece hashes> ... e (PieceLayers).
// The piece space of a v2 torrent: "each non-empty file is aligned to a piece boundary and occurs in the same order as
// in the file tree". TorrentLab models the gaps as pad files, so a v2 torrent's Files and offsets read like a hybrid's.
public sealed partial class Torrent
{
    /// <summary>The newest <c>meta version</c> this library reads (BEP 52).</summary>
    public static int NewestMetaVersion { get; } = 2;

    /// <summary>True for a v2 info dictionary; throws for a meta version this library does not know.</summary>
    private static bool ReadMetaVersion(BDictionary info)
    {
        // BEP 52: "Implementations must check this field first and indicate that a torrent is of a newer version
        // than they can handle before performing other validations".
        switch (info["meta version"])
        {
            case null:
                if (info.ContainsKey("file tree")) throw new MetainfoException("a file tree needs 'meta version' 2 (BEP 52)", "info.meta version");
                return false;
            case BInteger { Value: var v } when v == NewestMetaVersion:
                return true;
            case BInteger { Value: var n } newer when n > NewestMetaVersion:
                throw new MetainfoException($"is {newer.Value}: this torrent is of a newer version than TorrentLab understands (at most {NewestMetaVersion})", "info.meta version");
            case BInteger other:
                throw new MetainfoException($"must be 2 (BEP 52), got {other.Value}", "info.meta version");
            default:
                throw new MetainfoException("expected an integer", "info.meta version");
        }
    }

    private static Torrent ParseV2Only(BDictionary info, ReadOnlyMemory<byte> rawInfo, InfoHash wireHash, InfoHashV2 infoHashV2,
        string name, int pieceLength, List<FileTreeEntry> tree, BValue? pieceLayers)
    {
        // A tree of one file at its root is a single-file torrent: the file is named by its key (as libtorrent does).
        var isMultiFile = !(tree.Count == 1 && tree[0].RawPath.Count == 1);
        var paths = tree.Select(entry => isMultiFile
            ? (List<string>)[name, .. PathSanitizer.SanitizePath(entry.RawPath)]
            : [PathSanitizer.SanitizeName(entry.RawPath[0].Span) is { Length: > 0 } clean ? clean : name]).ToList();
        DuplicatePaths.Resolve(paths, [.. tree.Select(_ => false)]);

        var files = new List<TorrentFile>(tree.Count * 2);
        long offset = 0;
        for (var i = 0; i < tree.Count; i++)
        {
            files.Add(new TorrentFile(paths[i], tree[i].Length, offset) { PiecesRoot = tree[i].PiecesRoot });
            offset += tree[i].Length;
            if ((offset - 1) / pieceLength >= int.MaxValue)
                throw new MetainfoException($"the files need more than {int.MaxValue} pieces of {pieceLength} bytes", tree[i].KeyPath + ".length");
            var gap = (pieceLength - offset % pieceLength) % pieceLength;
            if (tree[i].Length == 0 || gap == 0) continue;
            // The alignment gap after a non-empty file (the last one too), named and placed as libtorrent does.
            var gapName = gap.ToString(System.Globalization.CultureInfo.InvariantCulture);
            files.Add(new TorrentFile(isMultiFile ? [name, ".pad", gapName] : [".pad", gapName], gap, offset, IsPadding: true));
            offset += gap;
        }
        if (offset == 0) throw new MetainfoException("the torrent holds no data (total length 0)", "info.file tree");
        files = WithPieceLayers(files, tree, pieceLength, pieceLayers);

        return new Torrent(wireHash, rawInfo, name, pieceLength, ReadOnlyMemory<byte>.Empty, files, isMultiFile)
        {
            IsPrivate = info["private"] is BInteger { Value: 1 },
            InfoHashV2 = infoHashV2,
            MetaVersion = NewestMetaVersion,
        };
    }

    private static List<TorrentFile> WithPieceLayers(List<TorrentFile> files, List<FileTreeEntry> tree, int pieceLength, BValue? pieceLayers)
    {
        var layers = PieceLayers.Read(pieceLayers, tree, pieceLength);
        if (layers.Count == 0) return files;
        return [.. files.Select(f => !f.PiecesRoot.IsEmpty && layers.TryGetValue(Convert.ToHexStringLower(f.PiecesRoot.Span), out var layer)
            ? f with { PieceLayer = layer } : f)];
    }
}
