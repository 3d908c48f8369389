using TorrentLab.Bencode;

namespace TorrentLab.Metainfo;

// BEP 3 metainfo, the top level:
//   d
//     8:announce     <tracker URL>                      (BEP 3)
//     13:announce-list l l<url>... e ... e               (BEP 12: tiers)
//     7:comment / 10:created by / 13:creation date i<unix seconds>e
//     4:info         d ... e                            (hashed as raw bytes: the info hash)
//     8:url-list     <url> or l<url>...e                (BEP 19: web seeds)
//   e
// Required keys must be present with the right type; optional keys of the wrong type are ignored, as libtorrent
// and other clients do, so one odd comment does not make a torrent unusable.
public sealed partial class Torrent
{
    // Real torrents often have unsorted keys or a trailing newline (libtorrent accepts both); duplicate keys,
    // leading zeros and truncation stay errors. The info hash is taken over the raw bytes either way.
    private static readonly BencodeOptions LoadOptions = BencodeOptions.Lenient;

    /// <summary>The largest .torrent file <see cref="Load"/> reads: 64 MiB, room for millions of pieces (libtorrent's
    /// default limit is 10 MB).</summary>
    public static int MaxFileBytes { get; } = 64 * 1024 * 1024;

    /// <summary>The largest piece length accepted: 512 MiB (2^29; libtorrent loads real torrents with pieces just under it).</summary>
    public static int MaxPieceLength { get; } = 512 * 1024 * 1024;

    /// <summary>Reads and parses a .torrent file.</summary>
    /// <exception cref="MetainfoException">Not valid metainfo (the message names the key path).</exception>
    /// <exception cref="BencodeException">Not valid bencode (the message gives the byte offset).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Torrent Load(string path)
    {
        // Checked before reading: a hostile file must not make us read (and decode) hundreds of megabytes.
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw new MetainfoException($"the file is {length} bytes; the limit for a .torrent is {MaxFileBytes} (64 MiB)");
        return Parse(File.ReadAllBytes(path));
    }

    /// <summary>Parses the bytes of a .torrent file.</summary>
    /// <exception cref="MetainfoException">Not valid metainfo (the message names the key path).</exception>
    /// <exception cref="BencodeException">Not valid bencode (the message gives the byte offset).</exception>
    public static Torrent Parse(ReadOnlyMemory<byte> data)
    {
        var root = BencodeDecoder.Decode(data, LoadOptions) as BDictionary
            ?? throw new MetainfoException("a .torrent file must be a bencoded dictionary");
        var info = Require<BDictionary>(root, "info", "info");
        var parsed = ParseInfoDictionary(info, root["piece layers"]);
        return new Torrent(parsed.InfoHash, parsed.RawInfo, parsed.Name, parsed.PieceLength, parsed.PieceHashes,
            parsed.Files, parsed.IsMultiFile)
        {
            IsHybrid = parsed.IsHybrid,
            IsPrivate = parsed.IsPrivate,
            InfoHashV2 = parsed.InfoHashV2,
            MetaVersion = parsed.MetaVersion,
            Announce = Url(root["announce"]),
            AnnounceTiers = ParseTiers(root),
            WebSeeds = ParseWebSeeds(root),
            Comment = OptionalText(root, "comment"),
            CreatedBy = SharedText.Of(OptionalText(root, "created by")),
            // Dates before 1970 or after 9999 are nonsense that DateTimeOffset cannot hold; treat them as absent.
            CreationDate = root["creation date"] is BInteger { Value: > 0 and < 253402300800 } date
                ? DateTimeOffset.FromUnixTimeSeconds(date.Value) : null,
        };
    }

    /// <summary>Parses a bare info dictionary (as received through BEP 9 metadata exchange).</summary>
    /// <exception cref="MetainfoException">Not a valid info dictionary.</exception>
    /// <exception cref="BencodeException">Not valid bencode.</exception>
    public static Torrent ParseInfo(ReadOnlyMemory<byte> rawInfo)
    {
        var info = BencodeDecoder.Decode(rawInfo, LoadOptions) as BDictionary
            ?? throw new MetainfoException("expected a dictionary", "info");
        return ParseInfoDictionary(info, pieceLayers: null);
    }

    // BEP 3 info dictionary:
    //   d 5:files l d 6:lengthi<n>e 4:pathl<segment>...e e ... e   (multi-file)
    //     6:length i<n>e                                          (single-file: one or the other)
    //     4:name <suggested file or folder name>
    //     12:piece length i<bytes>e
    //     6:pieces <20-byte SHA-1 per piece, concatenated>
    //     7:private i1e                                           (BEP 27)
    //   e
    private static Torrent ParseInfoDictionary(BDictionary info, BValue? pieceLayers)
    {
        var rawInfo = info.Raw;
        var infoHash = InfoHash.Compute(rawInfo.Span);
        // BEP 52: v2 metadata lives in "file tree" with "meta version" 2; a hybrid also carries the v1 "pieces".
        var isV2 = ReadMetaVersion(info);
        var hasV1 = info.ContainsKey("pieces") || !isV2;
        var infoHashV2 = isV2 ? Metainfo.InfoHashV2.Compute(rawInfo.Span) : (InfoHashV2?)null;
        var wireHash = hasV1 ? infoHash : infoHashV2!.Value.Truncated;

        var nameValue = info["name.utf-8"] as BString ?? Require<BString>(info, "name", "info.name");
        if (nameValue.Bytes.IsEmpty) throw new MetainfoException("must not be empty", "info.name");
        // A name that sanitizes to nothing ("..") is replaced by the info hash, as libtorrent does: still unique.
        var name = PathSanitizer.SanitizeName(nameValue.Bytes.Span) is { Length: > 0 } clean ? clean : wireHash.Hex;

        var pieceLength = Require<BInteger>(info, "piece length", "info.piece length").Value;
        // BEP 3 sets no bound; 0 or negative is meaningless. A piece is assembled in memory, so a hostile torrent must
        // not make us allocate gigabytes for one: 512 MiB is above every real torrent we know (libtorrent's corpus included).
        if (pieceLength <= 0) throw new MetainfoException($"must be positive, got {pieceLength}", "info.piece length");
        if (pieceLength > MaxPieceLength) throw new MetainfoException($"is too large: {pieceLength} bytes (the limit is {MaxPieceLength}, 512 MiB)", "info.piece length");
        // BEP 52: "It must be a power of two and at least 16KiB."
        if (isV2 && (pieceLength < Merkle.MerkleTree.BlockSize || (pieceLength & (pieceLength - 1)) != 0))
            throw new MetainfoException($"must be a power of two of at least 16384 in a v2 torrent, got {pieceLength}", "info.piece length");
        var tree = isV2 ? FileTree.Read(Require<BDictionary>(info, "file tree", "info.file tree")) : null;
        if (!hasV1) return ParseV2Only(info, rawInfo, wireHash, infoHashV2!.Value, name, (int)pieceLength, tree!, pieceLayers);

        var pieces = Require<BString>(info, "pieces", "info.pieces").Bytes;
        // BEP 3: "pieces maps to a string whose length is a multiple of 20."
        if (pieces.Length % InfoHash.Length != 0)
            throw new MetainfoException($"length must be a multiple of 20, got {pieces.Length}", "info.pieces");

        var isMultiFile = info.ContainsKey("files");
        if (isMultiFile && info.ContainsKey("length")) throw new MetainfoException("has both 'length' and 'files'", "info");
        var files = isMultiFile
            ? ParseFiles(Require<BList>(info, "files", "info.files"), name)
            : [new TorrentFile([name], NonNegative(Require<BInteger>(info, "length", "info.length").Value, "info.length"), 0)];

        var total = files[^1].Offset + files[^1].Length;
        // libtorrent rejects an empty torrent too: there is nothing to download and no piece to verify.
        if (total == 0) throw new MetainfoException("the torrent holds no data (total length 0)", isMultiFile ? "info.files" : "info.length");
        var expectedPieces = (total - 1) / pieceLength + 1;
        if (pieces.Length / InfoHash.Length != expectedPieces)
            throw new MetainfoException($"holds {pieces.Length / InfoHash.Length} hashes but {total} bytes in pieces of {pieceLength} need {expectedPieces}", "info.pieces");
        if (tree is not null) files = WithPieceLayers(HybridCheck.Verify(tree, files, isMultiFile, pieceLength), tree, (int)pieceLength, pieceLayers);

        return new Torrent(infoHash, rawInfo, name, (int)pieceLength, pieces, files, isMultiFile)
        {
            // BEP 27: "private=1" restricts peers to the trackers; any other value means public.
            IsPrivate = info["private"] is BInteger { Value: 1 },
            IsHybrid = isV2,
            InfoHashV2 = infoHashV2,
            MetaVersion = isV2 ? 2 : 1,
        };
    }

    private static List<TorrentFile> ParseFiles(BList list, string name)
    {
        if (list.Items.Count == 0) throw new MetainfoException("must list at least one file", "info.files");
        var paths = new List<List<string>>(list.Items.Count);
        var lengths = new List<long>(list.Items.Count);
        var pads = new List<bool>(list.Items.Count);
        for (var i = 0; i < list.Items.Count; i++)
        {
            var at = $"info.files[{i}]";
            var entry = list.Items[i] as BDictionary ?? throw new MetainfoException("must be a dictionary", at);
            var attr = (entry["attr"] as BString)?.Bytes ?? ReadOnlyMemory<byte>.Empty;
            // BEP 47: a symlink (attr "l") holds no data and may omit its length; TorrentLab stores it as an empty file.
            var length = attr.Span.Contains((byte)'l') && !entry.ContainsKey("length")
                ? 0
                : NonNegative(Require<BInteger>(entry, "length", at + ".length").Value, at + ".length");
            // BEP 47: attr "p" marks a pad file; older creators mark it only by the name "_____padding_file_...".
            var pathList = entry["path.utf-8"] as BList ?? entry["path"] as BList;
            var isPad = attr.Span.Contains((byte)'p');
            List<string> path;
            if (pathList is null)
            {
                if (!isPad) _ = Require<BList>(entry, "path", at + ".path"); // throws: missing or wrong type
                path = [".pad", length.ToString(System.Globalization.CultureInfo.InvariantCulture)]; // as libtorrent names it
            }
            else
            {
                var segments = new List<ReadOnlyMemory<byte>>(pathList.Items.Count);
                for (var j = 0; j < pathList.Items.Count; j++)
                    segments.Add((pathList.Items[j] as BString ?? throw new MetainfoException("must be a string", $"{at}.path[{j}]")).Bytes);
                path = [name, .. PathSanitizer.SanitizePath(segments)];
                isPad |= path[^1].StartsWith("_____padding_file_", StringComparison.Ordinal);
            }
            paths.Add(path);
            lengths.Add(length);
            pads.Add(isPad);
        }

        DuplicatePaths.Resolve(paths, pads);
        var files = new List<TorrentFile>(paths.Count);
        long offset = 0;
        for (var i = 0; i < paths.Count; i++)
        {
            files.Add(new TorrentFile(paths[i], lengths[i], offset, pads[i]));
            if (lengths[i] > long.MaxValue - offset) throw new MetainfoException("the total length overflows 64 bits", $"info.files[{i}].length");
            offset += lengths[i];
        }
        return files;
    }

    private static long NonNegative(long value, string path) =>
        value >= 0 ? value : throw new MetainfoException($"must not be negative, got {value}", path);

    private static IReadOnlyList<IReadOnlyList<string>> ParseTiers(BDictionary root)
    {
        if (root["announce-list"] is not BList tiers) return [];
        var result = new List<IReadOnlyList<string>>();
        foreach (var tier in tiers.Items)
        {
            var urls = tier is BList list ? list.Items.Select(Url).OfType<string>().Distinct().ToArray() : [];
            if (urls.Length > 0) result.Add(urls);
        }
        return result.ToArray(); // arrays, not lists: held as long as the torrent is, by every torrent of a session
    }

    private static IReadOnlyList<string> ParseWebSeeds(BDictionary root) => root["url-list"] switch
    {
        BString one => Url(one) is { } url ? [url] : [],
        BList many => many.Items.Select(Url).OfType<string>().Distinct().ToArray(),
        _ => [],
    };

    // Trackers and seeds are trimmed: real torrents carry stray whitespace around URLs (libtorrent trims too).
    private static string? Url(BValue? value) => value is BString s && s.Text.Trim() is { Length: > 0 } url ? SharedText.Of(url) : null;

    private static string? OptionalText(BDictionary dict, string key) =>
        (dict[key + ".utf-8"] as BString ?? dict[key] as BString)?.Text;

    private static T Require<T>(BDictionary dict, string key, string path) where T : BValue =>
        dict[key] switch
        {
            T value => value,
            null => throw new MetainfoException("is missing", path),
            var other => throw new MetainfoException($"expected {Kind(typeof(T))}, got {Kind(other.GetType())}", path),
        };

    private static string Kind(Type t) =>
        t == typeof(BString) ? "a string" : t == typeof(BInteger) ? "an integer" : t == typeof(BList) ? "a list" : "a dictionary";
}
