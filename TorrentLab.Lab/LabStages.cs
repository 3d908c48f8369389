namespace TorrentLab.Lab;

/// <summary>The stages of the lab, in the order a student builds a client: the whole series as data. To add a stage,
/// add one entry here (and its exercise page under docs/exercises/); the list, the checker and <c>--through</c>
/// pick it up.</summary>
public static class LabStages
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);     // a local computation or one request
    private static readonly TimeSpan Piece = TimeSpan.FromSeconds(20);     // one piece from loopback peers
    private static readonly TimeSpan Download = TimeSpan.FromSeconds(30);  // a whole (small) file

    /// <summary>Every stage, in order.</summary>
    public static IReadOnlyList<LabStage> All { get; } =
    [
        new("bencode-strings", "Decode bencoded strings",
            "decode a byte string such as 5:hello and print it as a JSON string",
            "decode <bencoded>", "BEP 3: bencoding (strings)", "TorrentLab/Bencode/BencodeReader.cs",
            "docs/exercises/01-bencode-strings.md", Quick, DecodeCheck.Over(BencodeSamples.Strings)),
        new("bencode-integers", "Decode bencoded integers",
            "decode i52e and i-52e and print a JSON number",
            "decode <bencoded>", "BEP 3: bencoding (integers)", "TorrentLab/Bencode/BencodeReader.cs",
            "docs/exercises/02-bencode-integers.md", Quick, DecodeCheck.Over(BencodeSamples.Integers)),
        new("bencode-lists", "Decode bencoded lists",
            "decode l5:helloi52ee, nested lists included, and print a JSON array",
            "decode <bencoded>", "BEP 3: bencoding (lists)", "TorrentLab/Bencode/BencodeDecoder.cs",
            "docs/exercises/03-bencode-lists.md", Quick, DecodeCheck.Over(BencodeSamples.Lists)),
        new("bencode-dictionaries", "Decode bencoded dictionaries",
            "decode d3:foo3:bar5:helloi52ee and print a JSON object",
            "decode <bencoded>", "BEP 3: bencoding (dictionaries)", "TorrentLab/Bencode/BencodeDecoder.cs",
            "docs/exercises/04-bencode-dictionaries.md", Quick, DecodeCheck.Over(BencodeSamples.Dictionaries)),
        new("parse-torrent", "Parse a torrent file",
            "read a .torrent file and print its tracker URL and length",
            "info <file.torrent>", "BEP 3: metainfo files", "TorrentLab/Metainfo/Torrent.Parse.cs",
            "docs/exercises/05-parse-torrent.md", Quick, InfoCheck.ParseTorrentAsync),
        new("info-hash", "Compute the info hash",
            "print the SHA-1 of the bencoded info dictionary as 40 hex digits",
            "info <file.torrent>", "BEP 3: metainfo files (info_hash)", "TorrentLab/Metainfo/InfoHash.cs",
            "docs/exercises/06-info-hash.md", Quick, InfoCheck.InfoHashAsync),
        new("piece-hashes", "Print the piece hashes",
            "print the piece length and the SHA-1 of every piece, one per line",
            "info <file.torrent>", "BEP 3: info dictionary (pieces)", "TorrentLab/Metainfo/Torrent.Parse.cs",
            "docs/exercises/07-piece-hashes.md", Quick, InfoCheck.PieceHashesAsync),
        new("discover-peers", "Discover peers",
            "announce to the HTTP tracker and print the peers it returns, ip:port per line",
            "peers <file.torrent>", "BEP 3: trackers; BEP 23: compact peer lists", "TorrentLab/Tracker/HttpTracker.cs",
            "docs/exercises/08-discover-peers.md", Quick, PeersCheck.RunAsync) { UsesNetwork = true },
        new("handshake", "Handshake with a peer",
            "connect to a peer, exchange the 68-byte handshake and print the peer's id",
            "handshake <file.torrent> <ip:port>", "BEP 3: peer protocol (handshake)", "TorrentLab/Wire/Handshake.cs",
            "docs/exercises/09-handshake.md", Quick, HandshakeCheck.RunAsync) { UsesNetwork = true },
        new("download-piece", "Download a piece",
            "download one piece in 16 KiB blocks from a peer, verify its SHA-1 and write it",
            "download_piece -o <path> <file.torrent> <index>", "BEP 3: peer messages (interested, unchoke, request, piece)",
            "TorrentLab/Reference/ReferenceDownload.cs", "docs/exercises/10-download-piece.md", Piece, DownloadCheck.PieceAsync) { UsesNetwork = true },
        new("download-file", "Download the whole file",
            "download every piece, verify each, and write the complete file",
            "download -o <path> <file.torrent>", "BEP 3: peer protocol, pieces and the whole download",
            "TorrentLab/Reference/ReferenceDownload.cs", "docs/exercises/11-download-file.md", Download, DownloadCheck.FileAsync) { UsesNetwork = true },
        new("magnet-parse", "Parse a magnet link",
            "read the info hash and the tracker URL out of a magnet link's query parameters",
            "magnet_parse \"<magnet-link>\"", "BEP 9: magnet URI format", "TorrentLab/Magnet/MagnetLink.cs",
            "docs/exercises/12-magnet-parse.md", Quick, MagnetCheck.ParseAsync),
        new("magnet-handshake", "Extension handshake",
            "handshake with the extension bit set, exchange BEP 10 handshakes and print the peer's ut_metadata id",
            "magnet_handshake \"<magnet-link>\"", "BEP 10: extension protocol (handshake)", "TorrentLab/Extensions/ExtensionHandshake.cs",
            "docs/exercises/13-magnet-handshake.md", Quick, MagnetCheck.HandshakeAsync) { UsesNetwork = true },
        new("magnet-info", "Fetch the metadata",
            "request the info dictionary piece by piece with ut_metadata, verify its SHA-1 and print it like 'info'",
            "magnet_info \"<magnet-link>\"", "BEP 9: ut_metadata (request, data, reject)", "TorrentLab/Magnet/MetadataFetcher.cs",
            "docs/exercises/14-magnet-info.md", Piece, MagnetInfoCheck.RunAsync) { UsesNetwork = true },
        new("magnet-download-piece", "Download a piece from a magnet link",
            "fetch the metadata, then download, verify and write one piece",
            "magnet_download_piece -o <path> \"<magnet-link>\" <index>", "BEP 9 + BEP 3: metadata, then the peer protocol",
            "TorrentLab/Extensions/ExtensionChannel.cs", "docs/exercises/15-magnet-download-piece.md", Piece, DownloadCheck.MagnetPieceAsync) { UsesNetwork = true },
        new("magnet-download", "Download a whole file from a magnet link",
            "fetch the metadata, then download every piece and write the complete file",
            "magnet_download -o <path> \"<magnet-link>\"", "BEP 9 + BEP 3: metadata, then the whole download",
            "TorrentLab/Magnet/MetadataFetcher.cs", "docs/exercises/16-magnet-download.md", Download, DownloadCheck.MagnetFileAsync) { UsesNetwork = true },
        new("dht-ping", "Ping a DHT node",
            "send a KRPC ping over UDP to a DHT node and print the node id it answers with",
            "dht ping <ip:port>", "BEP 5: KRPC (ping)", "TorrentLab/Dht/KrpcCodec.cs",
            "docs/exercises/17-dht-ping.md", Quick, DhtPingCheck.RunAsync) { UsesNetwork = true },
        new("dht-get-peers", "Find peers in the DHT",
            "walk the DHT from a bootstrap node towards an info hash with get_peers and print the peers found",
            "dht get_peers <infohash> --bootstrap <ip:port>", "BEP 5: get_peers and the iterative lookup", "TorrentLab/Dht/DhtLookup.cs",
            "docs/exercises/18-dht-get-peers.md", Piece, DhtGetPeersCheck.RunAsync) { UsesNetwork = true },
        new("dht-magnet-download", "Download a magnet link through the DHT",
            "for a magnet link with no tracker, find the peers with a DHT lookup, fetch the metadata, then download the whole file",
            "magnet_download -o <path> \"<magnet-link>\" --dht-bootstrap <ip:port>", "BEP 5 + BEP 9: trackerless magnet links",
            "TorrentLab/Client/MagnetPeers.cs", "docs/exercises/19-dht-magnet-download.md", Download, DhtMagnetCheck.RunAsync) { UsesNetwork = true },
        new("v2-info-hash", "The v2 info hash",
            "for a torrent with 'meta version' 2, print the SHA-256 of the bencoded info dictionary as 64 hex digits",
            "info <file.torrent>", "BEP 52: infohash", "TorrentLab/Metainfo/InfoHashV2.cs",
            "docs/exercises/20-v2-info-hash.md", Quick, V2Check.InfoHashAsync),
        new("merkle-root", "A file's merkle root",
            "hash a file's 16 KiB blocks with SHA-256 and combine them pairwise, padded with zero hashes, into its pieces root",
            "merkle_root <file>", "BEP 52: pieces root (merkle trees)", "TorrentLab/Merkle/MerkleTree.cs",
            "docs/exercises/21-merkle-root.md", Quick, V2Check.RootAsync),
        new("v2-download-piece", "Download a v2 piece",
            "from a v2 magnet link, fetch the metadata, ask a peer for the piece hashes the metadata lacks, then download and verify one piece",
            "magnet_download_piece -o <path> \"<magnet-link>\" <index>", "BEP 52: hash request, hashes; piece verification",
            "TorrentLab/Pieces/HashExchange.cs", "docs/exercises/22-v2-download-piece.md", Piece, DownloadCheck.V2PieceAsync) { UsesNetwork = true },
    ];

    /// <summary>The stage called <paramref name="name"/>.</summary>
    /// <exception cref="LabException">No stage has that name (the message lists them).</exception>
    public static LabStage Find(string name) =>
        All.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new LabException($"no stage named '{name}'; the stages are: {string.Join(", ", All.Select(s => s.Name))}");

    /// <summary>The stages a check runs: one (<paramref name="only"/>), the first ones through
    /// <paramref name="through"/>, or all.</summary>
    public static IReadOnlyList<LabStage> Select(string? only, string? through)
    {
        if (only is not null && through is not null) throw new LabException("give --stage or --through, not both");
        if (only is not null) return [Find(only)];
        if (through is null) return All;
        var last = Find(through);
        return [.. All.TakeWhile(s => s != last), last];
    }
}
