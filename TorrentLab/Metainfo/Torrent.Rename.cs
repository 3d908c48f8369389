namespace TorrentLab.Metainfo;

// A torrent whose files are stored under other names than its metainfo gives (libtorrent's rename_file, Transmission's
// torrent-rename-path): the same info hash, pieces and byte layout, other paths on disk.
public sealed partial class Torrent
{
    /// <summary>This torrent with its files stored at <paramref name="paths"/>: one relative path per file of
    /// <see cref="Files"/> (pad files included, which keep theirs), '/' between folders. The info hash, pieces, lengths
    /// and the raw <c>info</c> sent to peers stay the torrent's; only where each file lies changes, and
    /// <see cref="Name"/> becomes the first segment (a multi-file torrent's files must all keep one top folder). Web
    /// seeds are still asked for the metainfo's paths (BEP 19).</summary>
    /// <exception cref="ArgumentException">Not one path per file; a path that is empty, absolute, has an empty, "." or
    /// ".." segment, a separator or control character in a segment, or a segment over 240 bytes; two files at one
    /// path, or a file where another's folder is; files under more than one top folder; a pad file moved.</exception>
    public Torrent WithFilePaths(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count != Files.Count) throw new ArgumentException($"expected one path per file ({Files.Count}), got {paths.Count}", nameof(paths));
        var files = new TorrentFile[Files.Count];
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < files.Length; i++)
        {
            var file = Files[i];
            var segments = paths[i].Split('/');
            if (file.IsPadding)
            {
                if (paths[i] != file.DisplayPath) throw new ArgumentException($"file {i} is a pad file: it keeps its path", nameof(paths));
            }
            else
            {
                foreach (var segment in segments) CheckSegment(segment, paths[i]);
                if (IsMultiFile != segments.Length > 1)
                    throw new ArgumentException($"'{UntrustedText.Clean(paths[i], 200)}': {(IsMultiFile ? "a file of a multi-file torrent lies in its top folder" : "a single-file torrent's file has no folder")}", nameof(paths));
            }
            if (!taken.Add(paths[i])) throw new ArgumentException($"two files at '{UntrustedText.Clean(paths[i], 200)}'", nameof(paths));
            for (var j = 1; j < segments.Length; j++) folders.Add(string.Join('/', segments[..j]));
            files[i] = file with { PathSegments = segments, SourcePathSegments = file.SourcePathSegments ?? file.PathSegments };
        }
        if (taken.FirstOrDefault(folders.Contains) is { } clash)
            throw new ArgumentException($"'{UntrustedText.Clean(clash, 200)}' would be a file and a folder", nameof(paths));
        var tops = files.Where(f => !f.IsPadding).Select(f => f.PathSegments[0]).Distinct(StringComparer.Ordinal).ToList();
        if (tops.Count != 1) throw new ArgumentException("every file of a multi-file torrent lies in one top folder", nameof(paths));
        return new Torrent(InfoHash, RawInfo, tops[0], PieceLength, PieceHashes, files, IsMultiFile)
        {
            InfoHashV2 = InfoHashV2, MetaVersion = MetaVersion, Announce = Announce, AnnounceTiers = AnnounceTiers, WebSeeds = WebSeeds,
            Comment = Comment, CreatedBy = CreatedBy, CreationDate = CreationDate, IsPrivate = IsPrivate, IsHybrid = IsHybrid,
        };
    }

    /// <summary>A segment a path on disk may have: what the sanitizer would keep as it is.</summary>
    private static void CheckSegment(string segment, string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(segment);
        if (segment.Length == 0 || segment is "." or ".." || PathSanitizer.SanitizeSegment(bytes) != segment)
            throw new ArgumentException($"'{UntrustedText.Clean(path, 200)}' is not a path a file may have here (segment '{UntrustedText.Clean(segment, 60)}')", nameof(path));
    }
}
