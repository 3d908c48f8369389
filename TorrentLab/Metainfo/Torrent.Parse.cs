using TorrentLab.Bencode;

namespace TorrentLab.Metainfo;

public sealed partial class Torrent
{
    // Real torrents often have unsorted keys or a trailing newline; the info hash is taken over raw bytes either way.
    private static readonly BencodeOptions LoadOptions = BencodeOptions.Lenient;

    /// <summary>Reads and parses a .torrent file.</summary>
    /// <exception cref="MetainfoException">Not valid metainfo (the message names the key path).</exception>
    /// <exception cref="BencodeException">Not valid bencode (the message gives the byte offset).</exception>
    public static Torrent Load(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Parses the bytes of a .torrent file.</summary>
    public static Torrent Parse(ReadOnlyMemory<byte> data)
    {
        var root = BencodeDecoder.Decode(data, LoadOptions) as BDictionary
            ?? throw new MetainfoException("a .torrent file must be a bencoded dictionary");
        var info = Require<BDictionary>(root, "info", "info");
        var torrent = ParseInfoDictionary(info);
        return new Torrent(torrent.InfoHash, torrent.RawInfo, torrent.Name, torrent.PieceLength, torrent.PieceHashes,
            torrent.Files, torrent.IsMultiFile)
        {
            IsHybrid = torrent.IsHybrid,
            IsPrivate = torrent.IsPrivate,
            Announce = OptionalString(root, "announce"),
            AnnounceTiers = ParseTiers(root),
            WebSeeds = ParseWebSeeds(root),
            Comment = OptionalString(root, "comment"),
            CreatedBy = OptionalString(root, "created by"),
            CreationDate = root["creation date"] is BInteger { Value: >= 0 and < 253402300800 } date
                ? DateTimeOffset.FromUnixTimeSeconds(date.Value) : null,
        };
    }

    /// <summary>Parses a bare info dictionary (as received through BEP 9 metadata exchange).</summary>
    public static Torrent ParseInfo(ReadOnlyMemory<byte> rawInfo)
    {
        var info = BencodeDecoder.Decode(rawInfo, LoadOptions) as BDictionary
            ?? throw new MetainfoException("the info value must be a dictionary", "info");
        return ParseInfoDictionary(info);
    }

    private static Torrent ParseInfoDictionary(BDictionary info)
    {
        var rawInfo = info.Raw;
        var hasV2 = info.ContainsKey("file tree") || info["meta version"] is BInteger { Value: 2 };
        var hasV1 = info.ContainsKey("pieces");
        if (hasV2 && !hasV1) throw new MetainfoException("BitTorrent v2-only torrents are not supported (BEP 52); a hybrid torrent would load as v1");

        var nameValue = Require<BString>(info, "name", "info.name");
        var name = PathSanitizer.SanitizeSegment(nameValue.Bytes.Span);
        var pieceLength = Require<BInteger>(info, "piece length", "info.piece length").Value;
        // BEP 3 does not bound it; 0 or negative is meaningless and 2^31 and above cannot be a block-addressed piece.
        if (pieceLength <= 0) throw new MetainfoException($"must be positive, got {pieceLength}", "info.piece length");
        if (pieceLength > int.MaxValue) throw new MetainfoException($"is too large: {pieceLength}", "info.piece length");
        var pieces = Require<BString>(info, "pieces", "info.pieces").Bytes;
        if (pieces.Length % InfoHash.Length != 0)
            throw new MetainfoException($"length must be a multiple of 20, got {pieces.Length}", "info.pieces");

        var files = new List<TorrentFile>();
        var isMultiFile = info.ContainsKey("files");
        if (isMultiFile)
        {
            if (info.ContainsKey("length")) throw new MetainfoException("has both 'length' and 'files'", "info");
            var list = Require<BList>(info, "files", "info.files");
            long offset = 0;
            for (var i = 0; i < list.Items.Count; i++)
            {
                var at = $"info.files[{i}]";
                var entry = list.Items[i] as BDictionary ?? throw new MetainfoException("must be a dictionary", at);
                var length = Require<BInteger>(entry, "length", at + ".length").Value;
                if (length < 0) throw new MetainfoException($"must not be negative, got {length}", at + ".length");
                var pathList = (entry["path.utf-8"] as BList) ?? Require<BList>(entry, "path", at + ".path");
                var segments = new List<string> { name };
                foreach (var (segment, j) in pathList.Items.Select((s, j) => (s, j)))
                {
                    var bytes = segment as BString ?? throw new MetainfoException("must be a list of strings", $"{at}.path[{j}]");
                    segments.AddRange(PathSanitizer.SanitizeEntry(bytes.Bytes.Span));
                }
                if (segments.Count == 1) throw new MetainfoException("must not be empty", at + ".path");
                var isPad = entry["attr"] is BString attr && attr.Text.Contains('p');
                files.Add(new TorrentFile(segments, length, offset, isPad));
                offset = checked(offset + length);
            }
            if (files.Count == 0) throw new MetainfoException("must list at least one file", "info.files");
        }
        else
        {
            var length = Require<BInteger>(info, "length", "info.length").Value;
            if (length < 0) throw new MetainfoException($"must not be negative, got {length}", "info.length");
            files.Add(new TorrentFile([name], length, 0));
        }

        var total = files[^1].Offset + files[^1].Length;
        var expectedPieces = total == 0 ? 0 : (total + pieceLength - 1) / pieceLength;
        if (pieces.Length / InfoHash.Length != expectedPieces)
            throw new MetainfoException($"holds {pieces.Length / InfoHash.Length} hashes but {total} bytes in pieces of {pieceLength} need {expectedPieces}", "info.pieces");

        return new Torrent(InfoHash.Compute(rawInfo.Span), rawInfo, name, (int)pieceLength, pieces, files, isMultiFile)
        {
            IsPrivate = info["private"] is BInteger { Value: 1 },
            IsHybrid = hasV2,
        };
    }

    private static IReadOnlyList<IReadOnlyList<string>> ParseTiers(BDictionary root)
    {
        if (root["announce-list"] is not BList tiers) return [];
        var result = new List<IReadOnlyList<string>>();
        foreach (var tier in tiers.Items)
        {
            var urls = tier is BList list
                ? list.Items.OfType<BString>().Select(s => s.Text.Trim()).Where(u => u.Length > 0).ToList()
                : [];
            if (urls.Count > 0) result.Add(urls);
        }
        return result;
    }

    private static IReadOnlyList<string> ParseWebSeeds(BDictionary root) => root["url-list"] switch
    {
        BString one when one.Bytes.Length > 0 => [one.Text],
        BList many => many.Items.OfType<BString>().Select(s => s.Text).Where(u => u.Length > 0).ToList(),
        _ => [],
    };

    private static string? OptionalString(BDictionary dict, string key) => (dict[key] as BString)?.Text;

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
