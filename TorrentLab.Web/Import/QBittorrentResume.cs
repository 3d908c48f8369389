using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Web;

/// <summary>Reads qBittorrent's state folder, <c>BT_backup</c>: a <c>HASH.torrent</c> and a <c>HASH.fastresume</c> per
/// torrent. The fastresume is libtorrent's resume data (bencoded) with qBittorrent's keys beside it.</summary>
/// <remarks>The keys read, as qbittorrent-nox 4.5 (libtorrent 2.0) writes them:
/// <code>
/// d save_path:STR            the folder holding the torrent's file or top folder
///   qBt-category:STR         "" when none        qBt-tags: l STR... e
///   paused:INT auto_managed:INT   paused 1 and auto_managed 0: the user stopped it (auto_managed 1: only queued)
///   file_priority: l INT... e     0 skip, 1-5 normal, 6-7 high (qBittorrent's Ignored, Normal, High, Maximum)
///   added_time:INT           Unix seconds
///   pieces:STR               one byte per piece, bit 0 set: the piece was verified; seed_mode:1 means every piece
///   download_rate_limit:INT upload_rate_limit:INT   bytes/s, -1 or 0 unlimited
///   total_uploaded:INT
/// e
/// </code>
/// Not taken: qBittorrent's own seeding limits, renamed files (<c>mapped_files</c>: their data is not found where the
/// torrent names it, so the torrent goes to checking), the ratio and time counters.</remarks>
internal static class QBittorrentResume
{
    /// <summary>Every torrent of the folder, or why each could not be read.</summary>
    /// <param name="path"><c>BT_backup</c>, or a folder holding it (qBittorrent's data folder or profile).</param>
    /// <exception cref="ImportException">The folder is missing or holds no fastresume file.</exception>
    public static IReadOnlyList<ImportCandidate> ReadFolder(string path)
    {
        if (!Directory.Exists(path)) throw new ImportException($"'{path}' does not exist (qBittorrent keeps its torrents in ~/.local/share/qBittorrent/BT_backup)", notFound: true);
        var folder = new[] { path, Path.Combine(path, "BT_backup"), Path.Combine(path, "data", "BT_backup"), Path.Combine(path, "qBittorrent", "data", "BT_backup") }
            .FirstOrDefault(f => Directory.Exists(f) && Directory.EnumerateFiles(f, "*.fastresume").Any())
            ?? throw new ImportException($"'{path}' is not qBittorrent's BT_backup folder: it holds no HASH.fastresume file");
        var found = new List<ImportCandidate>();
        foreach (var resume in Directory.EnumerateFiles(folder, "*.fastresume").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(resume);
            var torrentPath = Path.ChangeExtension(resume, ".torrent");
            try
            {
                if (!File.Exists(torrentPath)) throw new ImportException($"{Path.GetFileName(resume)}: no {name}.torrent beside it (a magnet link whose metadata never came)");
                found.Add(new(name, Read(File.ReadAllBytes(resume), File.ReadAllBytes(torrentPath), resume), null));
            }
            catch (Exception e) when (e is ImportException or TorrentLabException or IOException or UnauthorizedAccessException)
            {
                found.Add(new(name, null, e.Message));
            }
        }
        return found;
    }

    /// <summary>One torrent from its fastresume and .torrent bytes.</summary>
    /// <param name="fastresume">The fastresume file's bytes.</param>
    /// <param name="torrentBytes">The .torrent file's bytes.</param>
    /// <param name="source">The fastresume's name, for the messages.</param>
    /// <exception cref="ImportException">Not bencode, or a key of the wrong type or size (the message names it).</exception>
    /// <exception cref="MetainfoException">The .torrent is not a torrent.</exception>
    public static ImportedTorrent Read(byte[] fastresume, byte[] torrentBytes, string source)
    {
        var resume = ResumeFields.Decode(fastresume, source);
        var torrent = Torrent.Parse(torrentBytes);
        var savePath = resume.Text("save_path") ?? resume.Text("qBt-savePath")
            ?? throw new ImportException($"{Path.GetFileName(source)}: no save_path: not a qBittorrent fastresume");
        var have = resume.Has("seed_mode") && resume.Integer("seed_mode") == 1 ? Bitfield.Full(torrent.PieceCount) : Pieces(resume, torrent, source);
        return new ImportedTorrent(torrent, torrentBytes, savePath)
        {
            Category = resume.Text("qBt-category") is { Length: > 0 } category ? category : null,
            Tags = resume.Texts("qBt-tags"),
            Paused = resume.Integer("paused") == 1 && (resume.Integer("auto_managed") ?? 0) == 0,
            Priorities = Priorities(resume, torrent, source),
            AddedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Max(0, resume.Integer("added_time") ?? 0)),
            Have = have,
            DownloadLimit = resume.Integer("download_rate_limit") is > 0 and var down ? down : null,
            UploadLimit = resume.Integer("upload_rate_limit") is > 0 and var up ? up : null,
            Uploaded = Math.Max(0, resume.Integer("total_uploaded") ?? 0),
        };
    }

    // libtorrent's "pieces": one byte per piece, bit 0 set for a verified piece.
    private static Bitfield? Pieces(ResumeFields resume, Torrent torrent, string source)
    {
        if (resume.Bytes("pieces") is not { } pieces) return null;
        if (pieces.Length != torrent.PieceCount)
            throw new ImportException($"{Path.GetFileName(source)}: 'pieces' has {pieces.Length} bytes, expected one per piece ({torrent.PieceCount})");
        var have = new Bitfield(torrent.PieceCount);
        for (var i = 0; i < pieces.Length; i++) if ((pieces[i] & 1) != 0) have.Set(i);
        return have;
    }

    private static IReadOnlyList<FilePriority>? Priorities(ResumeFields resume, Torrent torrent, string source)
    {
        if (resume.Integers("file_priority") is not { Count: > 0 } levels) return null;
        // libtorrent may keep fewer entries than files: the rest are at the default priority.
        if (levels.Count > torrent.Files.Count)
            throw new ImportException($"{Path.GetFileName(source)}: 'file_priority' has {levels.Count} entries for {torrent.Files.Count} files");
        var priorities = Enumerable.Range(0, torrent.Files.Count)
            .Select(i => i >= levels.Count ? FilePriority.Normal : levels[i] switch { <= 0 => FilePriority.Skip, >= 6 => FilePriority.High, _ => FilePriority.Normal })
            .ToArray();
        return priorities.All(p => p == FilePriority.Normal) ? null : priorities;
    }
}

/// <summary>One torrent found in a state folder, or why it could not be read.</summary>
public sealed record ImportCandidate(string Name, ImportedTorrent? Torrent, string? Problem);
