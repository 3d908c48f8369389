using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>Reads Transmission's config folder: <c>torrents/NAME.torrent</c> and <c>resume/NAME.resume</c> (the same
/// NAME: the info hash in 3.00 as Debian builds it, <c>name.16hex</c> in others), the resume file bencoded.</summary>
/// <remarks>The keys read, as transmission-daemon 3.00 writes them:
/// <code>
/// d destination:STR          the folder holding the torrent's file or top folder
///   added-date:INT           Unix seconds           paused:INT   1: the user stopped it
///   dnd: l INT... e          1: the file is not wanted      priority: l INT... e   -1 low, 0 normal, 1 high
///   labels: l STR... e       the first is taken as the category, the others as tags
///   progress: d have:"all"                     every piece verified
///               pieces:"all"|"none"|BITFIELD   (4.x) one bit per piece, high bit first
///               bitfield:BITFIELD              (before 2.20) the same
///               blocks:"all"|"none"|BITFIELD   one bit per 16 KiB block: a piece is had when all its blocks are
///   speed-limit-down: d speed-Bps:INT use-speed-limit:INT e      speed-limit-up: the same
///   uploaded:INT
/// e
/// </code>
/// Not taken: the ratio and idle limits, <c>incomplete-dir</c> (a partial torrent kept there goes to checking).</remarks>
internal static class TransmissionResume
{
    private const int BlockSize = 16 * 1024; // Transmission's block: the request size every client uses

    /// <summary>Every torrent of the folder, or why each could not be read.</summary>
    /// <exception cref="ImportException">The folder is missing or has no <c>resume/</c> and <c>torrents/</c>.</exception>
    public static IReadOnlyList<ImportCandidate> ReadFolder(string path)
    {
        if (!Directory.Exists(path)) throw new ImportException($"'{path}' does not exist (transmission-daemon keeps its state in /var/lib/transmission-daemon/.config/transmission-daemon, Transmission in ~/.config/transmission)", notFound: true);
        var (torrents, resumes) = (Path.Combine(path, "torrents"), Path.Combine(path, "resume"));
        if (!Directory.Exists(torrents) || !Directory.Exists(resumes))
            throw new ImportException($"'{path}' is not a Transmission config folder: it has no torrents/ and resume/ folders");
        var found = new List<ImportCandidate>();
        foreach (var torrentPath in Directory.EnumerateFiles(torrents, "*.torrent").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(torrentPath);
            var resume = Path.Combine(resumes, name + ".resume");
            try
            {
                if (!File.Exists(resume)) throw new ImportException($"{name}.torrent: no resume/{name}.resume for it");
                found.Add(new(name, Read(File.ReadAllBytes(resume), File.ReadAllBytes(torrentPath), resume), null));
            }
            catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
            {
                found.Add(new(name, null, e.Message));
            }
        }
        return found;
    }

    /// <summary>One torrent from its resume and .torrent bytes.</summary>
    /// <exception cref="ImportException">Not bencode, or a key of the wrong type or size (the message names it).</exception>
    /// <exception cref="MetainfoException">The .torrent is not a torrent.</exception>
    public static ImportedTorrent Read(byte[] resumeBytes, byte[] torrentBytes, string source)
    {
        var resume = ResumeFields.Decode(resumeBytes, source);
        var torrent = Torrent.Parse(torrentBytes);
        var destination = resume.Text("destination")
            ?? throw new ImportException($"{Path.GetFileName(source)}: no destination: not a Transmission resume file");
        var labels = resume.Texts("labels");
        return new ImportedTorrent(torrent, torrentBytes, destination)
        {
            Category = labels.Count > 0 ? labels[0] : null,
            Tags = [.. labels.Skip(1)],
            Paused = resume.Integer("paused") == 1,
            Priorities = Priorities(resume, torrent, source),
            AddedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Max(0, resume.Integer("added-date") ?? 0)),
            Have = resume.Dictionary("progress") is { } progress ? Pieces(progress, torrent, source) : null,
            DownloadLimit = Limit(resume.Dictionary("speed-limit-down")),
            UploadLimit = Limit(resume.Dictionary("speed-limit-up")),
            Uploaded = Math.Max(0, resume.Integer("uploaded") ?? 0),
        };
    }

    private static long? Limit(ResumeFields? limit) =>
        limit?.Integer("use-speed-limit") == 1 && limit.Integer("speed-Bps") is > 0 and var bytes ? bytes : null;

    private static IReadOnlyList<FilePriority>? Priorities(ResumeFields resume, Torrent torrent, string source)
    {
        var dnd = resume.Integers("dnd");
        var levels = resume.Integers("priority");
        foreach (var (key, list) in new[] { ("dnd", dnd), ("priority", levels) })
            if (list is not null && list.Count != torrent.Files.Count)
                throw new ImportException($"{Path.GetFileName(source)}: '{key}' has {list.Count} entries for {torrent.Files.Count} files");
        var priorities = Enumerable.Range(0, torrent.Files.Count).Select(i =>
            dnd?[i] == 1 ? FilePriority.Skip : levels?[i] switch { < 0 => FilePriority.Low, > 0 => FilePriority.High, _ => FilePriority.Normal }).ToArray();
        return priorities.All(p => p == FilePriority.Normal) ? null : priorities;
    }

    private static Bitfield? Pieces(ResumeFields progress, Torrent torrent, string source)
    {
        if (progress.Text("have") == "all") return Bitfield.Full(torrent.PieceCount);
        foreach (var key in new[] { "pieces", "bitfield" })
            if (progress.Bytes(key) is { } bits) return Whole(bits, torrent.PieceCount, key, source);
        if (progress.Bytes("blocks") is not { } blocks) return null;
        var blockCount = (int)((torrent.TotalLength + BlockSize - 1) / BlockSize);
        var blockField = Whole(blocks, blockCount, "blocks", source);
        var have = new Bitfield(torrent.PieceCount);
        for (var piece = 0; piece < torrent.PieceCount; piece++)
        {
            var first = (int)((long)piece * torrent.PieceLength / BlockSize);
            var last = (int)(((long)piece * torrent.PieceLength + torrent.GetPieceLength(piece) - 1) / BlockSize);
            var all = true;
            for (var b = first; b <= last && all; b++) all = blockField[b];
            if (all) have.Set(piece);
        }
        return have;
    }

    // "all", "none", or a bitfield, high bit first, of exactly the bytes the count needs.
    private static Bitfield Whole(byte[] bits, int count, string key, string source)
    {
        if (bits.AsSpan().SequenceEqual("all"u8)) return Bitfield.Full(count);
        if (bits.AsSpan().SequenceEqual("none"u8)) return new Bitfield(count);
        if (bits.Length != Bitfield.ByteCount(count))
            throw new ImportException($"{Path.GetFileName(source)}: progress '{key}' has {bits.Length} bytes, expected {Bitfield.ByteCount(count)} for {count} bits");
        var field = new Bitfield(count);
        for (var i = 0; i < count; i++) if ((bits[i / 8] & (0x80 >> (i % 8))) != 0) field.Set(i);
        return field;
    }
}
