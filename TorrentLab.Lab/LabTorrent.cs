using System.Security.Cryptography;
using TorrentLab.Bencode;
using TorrentLab.Creation;
using TorrentLab.Metainfo;

namespace TorrentLab.Lab;

/// <summary>A generated single-file torrent over a random payload: the .torrent bytes, the parsed torrent and the
/// payload itself (which the synthetic peers seed and the download stages compare against).</summary>
public sealed record LabTorrent(Torrent Torrent, byte[] TorrentBytes, byte[] Payload, string Path)
{
    /// <summary>Generates a payload of a few pieces whose last piece is always shorter than the others, so a client
    /// that assumes full pieces everywhere shows it. Piece length is 32 or 64 KiB: more than one 16 KiB block.</summary>
    /// <param name="random">The stage's seeded random source (same seed, same torrent).</param>
    /// <param name="folder">Where the .torrent file is written.</param>
    /// <param name="announce">The tracker URL written as <c>announce</c>.</param>
    /// <param name="minPieces">Fewest pieces (at least 3 lets a piece have two neighbours).</param>
    /// <param name="maxPieces">Most pieces.</param>
    /// <param name="nonAsciiName">Give the file a name with characters outside ASCII ("lab-1234-données-日本.bin"), whose
    /// UTF-8 bytes outnumber its characters: a parser that reads the file as text and counts characters stumbles on it.</param>
    public static LabTorrent Generate(Random random, string folder, string announce, int minPieces = 3, int maxPieces = 8, bool nonAsciiName = false)
    {
        var pieceLength = random.Next(2) == 0 ? 32 * 1024 : 64 * 1024;
        var fullPieces = random.Next(minPieces - 1, maxPieces);
        var lastPiece = random.Next(1, pieceLength);                 // never a whole piece
        var payload = new byte[(long)fullPieces * pieceLength + lastPiece];
        random.NextBytes(payload);
        var name = NameFrom(random);
        if (nonAsciiName) name = name.Replace(".bin", $"-{ForeignWords[random.Next(ForeignWords.Length)]}.bin", StringComparison.Ordinal);
        var options = TorrentCreateOptions.WithTrackers(announce) with { PieceLength = pieceLength, CreationDate = null };
        return WriteFile(folder, new BString(name), TorrentBuilder.Create(name, payload, options), payload);
    }

    private static readonly string[] ForeignWords = ["données", "größe", "日本語", "mañana", "résumé", "søster", "€uro", "🙂smile"];

    /// <summary>As <see cref="Generate"/>, with the name drawn (from the same seeded source) until the info hash holds
    /// every byte of <paramref name="bytes"/>: the first tracker stage makes sure the hash needs the escapes students
    /// slip on (0x20, which HTML forms write as '+', and '+' itself, 0x2b, which must go as %2B).</summary>
    public static LabTorrent GenerateWithInfoHashBytes(Random random, string folder, string announce, params byte[] bytes)
    {
        var pieceLength = random.Next(2) == 0 ? 32 * 1024 : 64 * 1024;
        var payload = new byte[(long)random.Next(2, 8) * pieceLength + random.Next(1, pieceLength)];
        random.NextBytes(payload);
        var options = TorrentCreateOptions.WithTrackers(announce) with { PieceLength = pieceLength, CreationDate = null };
        var torrent = BencodeDecoder.DecodeDictionary(TorrentBuilder.Create(NameFrom(random), payload, options));
        var info = (BDictionary)torrent["info"]!;
        // Each byte is in a random 20-byte hash with odds of about 7.5%, both with about 0.56%: some 180 names on average,
        // each a SHA-1 of a few hundred bytes. The bound is never met in practice (odds below 1 in 10^200).
        for (var attempt = 0; attempt < 100_000; attempt++)
        {
            var hash = SHA1.HashData(BencodeWriter.Encode(info));
            if (bytes.All(b => hash.Contains(b))) break;
            info.Set("name", new BString(NameFrom(random)));
        }
        return WriteFile(folder, (BString)info["name"]!, BencodeWriter.Encode(torrent), payload);
    }

    /// <summary>Generates a torrent whose info dictionary is larger than one 16 KiB metadata piece (BEP 9), so fetching
    /// it from a magnet link takes two requests, the second for a shorter piece: 16 KiB pieces, 830 to 1,000 of them
    /// (their hashes alone are 16,600 to 20,000 bytes), the last one short.</summary>
    public static LabTorrent GenerateWithLargeInfo(Random random, string folder, string announce)
    {
        const int pieceLength = 16 * 1024;
        var payload = new byte[(long)random.Next(830, 1000) * pieceLength + random.Next(1, pieceLength)];
        random.NextBytes(payload);
        return Write(random, folder, announce, payload, pieceLength);
    }

    /// <summary>As <see cref="Generate"/>, as a v2-only torrent (BEP 52): its pieces are checked against per-file merkle
    /// trees, and its magnet link's metadata carries no piece layers, so a downloader must ask a peer for them.</summary>
    /// <remarks>The last piece holds at most half a piece, so its blocks' leaves never fill a power of two that is a whole
    /// piece: padding them to their own power of two (a file's rule) instead of to a whole piece (a piece's rule) gives
    /// another hash, on every seed.</remarks>
    public static LabTorrent GenerateV2(Random random, string folder, string announce)
    {
        var pieceLength = random.Next(2) == 0 ? 32 * 1024 : 64 * 1024;
        var payload = new byte[(long)random.Next(2, 8) * pieceLength + random.Next(1, pieceLength / 2 + 1)];
        random.NextBytes(payload);
        return Write(random, folder, announce, payload, pieceLength, TorrentFormat.V2);
    }

    /// <summary>The torrent's magnet link (BEP 9): <c>magnet:?xt=urn:btih:&lt;hex&gt;&amp;dn=&lt;name&gt;&amp;tr=&lt;tracker URL,
    /// percent-encoded&gt;</c>.</summary>
    public string MagnetLink => Torrent.MagnetLink;

    /// <summary>Generates a payload of exactly <paramref name="size"/> bytes (for <c>lab swarm</c>), with the usual
    /// piece length for that size but never less than 32 KiB.</summary>
    public static LabTorrent GenerateOfSize(Random random, string folder, string announce, long size)
    {
        if (size is < 1 or > MaxPayloadSize) throw new ArgumentOutOfRangeException(nameof(size), size, $"the payload size must be 1 byte to {MaxPayloadSize / (1024 * 1024)} MiB (it is held in memory)");
        var payload = new byte[size];
        random.NextBytes(payload);
        return Write(random, folder, announce, payload, Math.Max(32 * 1024, PieceLengthRule.Automatic(size)));
    }

    /// <summary>The largest payload a lab swarm holds in memory: 1 GiB.</summary>
    public const long MaxPayloadSize = 1L << 30;

    private static LabTorrent Write(Random random, string folder, string announce, byte[] payload, int pieceLength,
        TorrentFormat format = TorrentFormat.V1)
    {
        var name = NameFrom(random);
        var options = TorrentCreateOptions.WithTrackers(announce) with { PieceLength = pieceLength, CreationDate = null, Format = format };
        return WriteFile(folder, new BString(name), TorrentBuilder.Create(name, payload, options), payload);
    }

    private static string NameFrom(Random random) => $"lab-{random.Next(1000, 9999)}-{Words[random.Next(Words.Length)]}.bin";

    private static LabTorrent WriteFile(string folder, BString name, byte[] bytes, byte[] payload)
    {
        Directory.CreateDirectory(folder);
        // The file's own name stays ASCII (only the name inside the torrent carries other characters): the path is an argument.
        var stem = new string(System.IO.Path.GetFileNameWithoutExtension(name.Text).Where(char.IsAscii).ToArray()).TrimEnd('-');
        var path = System.IO.Path.Combine(folder, $"{stem}.torrent");
        File.WriteAllBytes(path, bytes);
        return new LabTorrent(Torrent.Parse(bytes), bytes, payload, path);
    }

    /// <summary>The demo's torrent: a folder <c>torrentlab-demo</c> of a text file, two binary files and an empty one
    /// (about 5 MiB in 64 KiB pieces), the same bytes every time.</summary>
    public static LabTorrent GenerateDemo(string folder, string announce)
    {
        var random = new Random(2026);
        byte[] Bytes(int length) { var b = new byte[length]; random.NextBytes(b); return b; }
        var contents = new Dictionary<string, byte[]>
        {
            ["README.txt"] = System.Text.Encoding.UTF8.GetBytes(
                "This folder was downloaded by TorrentLab's demo from synthetic seeders on 127.0.0.1.\n" +
                "Inspect its torrent with: torrentlab info torrentlab-demo.torrent\n"),
            ["data/samples-1.bin"] = Bytes(3 * 1024 * 1024),
            ["data/samples-2.bin"] = Bytes(2 * 1024 * 1024 - 12_345),
            ["notes/empty.txt"] = [],
        };
        var files = contents.Select(c => ((IReadOnlyList<string>)c.Key.Split('/'), (ReadOnlyMemory<byte>)c.Value)).ToList();
        var options = TorrentCreateOptions.WithTrackers(announce) with { PieceLength = 64 * 1024, CreationDate = null, Comment = "TorrentLab demo" };
        var bytes = TorrentBuilder.Create("torrentlab-demo", files, options);
        var torrent = Torrent.Parse(bytes);
        // The payload is the files concatenated in torrent order (the builder sorts them).
        var payload = torrent.Files.SelectMany(f => contents[string.Join('/', f.PathSegments.Skip(1))]).ToArray();
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, "torrentlab-demo.torrent");
        File.WriteAllBytes(path, bytes);
        return new LabTorrent(torrent, bytes, payload, path);
    }

    /// <summary>The payload as the torrent lays it out, which is what the peers seed: a v2 torrent aligns its file to
    /// whole pieces (BEP 52), so its last piece is padded with zeros; a v1 torrent's is the payload itself.</summary>
    public byte[] Seeded
    {
        get
        {
            if (Torrent.TotalLength == Payload.LongLength) return Payload;
            var laid = new byte[Torrent.TotalLength];
            Payload.CopyTo(laid, 0);
            return laid;
        }
    }

    /// <summary>The bytes of piece <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Piece(int index) =>
        Payload.AsSpan(index * Torrent.PieceLength, Math.Min(Torrent.GetPieceLength(index), Payload.Length - index * Torrent.PieceLength));

    private static readonly string[] Words = ["sample", "lecture", "dataset", "notes", "album", "movie", "archive", "image"];
}
