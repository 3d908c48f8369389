using TorrentLab.Client;
using TorrentLab.Pieces;
using TorrentLab.Storage;

namespace TorrentLab.Web;

// The file selection of a torrent of the web interface (the handle's file priorities): which files to download, and at
// what priority, numbered as the file tree shows them.
internal sealed partial class ManagedTorrent
{
    /// <summary>The priority of each file (pad files included), for the saved list.</summary>
    public IReadOnlyList<FilePriority> Priorities => Handle.FilePriorities;

    /// <summary>Bytes of the pieces the selection wants (all of them when no file is skipped).</summary>
    public long WantedBytes => Handle.WantedBytes;

    /// <summary>The files as the file tree shows them: pad files left out, numbered from 1 as <c>torrentlab info</c> does.</summary>
    public FileEntry[] Files()
    {
        var priorities = Handle.FilePriorities;
        var progress = FileProgress.Compute(Torrent, Handle.Pieces.Verified()); // non-pad files, in torrent order
        var rows = new FileEntry[progress.Count];
        var (row, index) = (0, 0);
        for (var i = 0; i < Torrent.Files.Count; i++)
        {
            if (Torrent.Files[i].IsPadding) continue;
            var p = progress[row];
            rows[row++] = new FileEntry(++index, p.File.DisplayPath, p.File.Length, Name(priorities[i]),
                p.TotalPieces == 0 ? 1 : (double)p.VerifiedPieces / p.TotalPieces);
        }
        return rows;
    }

    /// <summary>The file priorities after <paramref name="changes"/> (file numbers as <see cref="Files"/> gives them).</summary>
    /// <exception cref="WebApiException">400: an unknown file number or priority name; nothing is changed then.</exception>
    public FilePriority[] WithPriorities(IReadOnlyList<FilePriorityChange> changes)
    {
        var userFiles = Enumerable.Range(0, Torrent.Files.Count).Where(i => !Torrent.Files[i].IsPadding).ToArray();
        var files = Handle.FilePriorities.ToArray();
        foreach (var change in changes)
        {
            if (change is null || change.Index < 1 || change.Index > userFiles.Length)
                throw new WebApiException(400, $"file {change?.Index} is out of range: the torrent has {userFiles.Length} file(s), numbered from 1");
            files[userFiles[change.Index - 1]] = Parse(change.Priority);
        }
        return files;
    }

    /// <summary>The saved list's text for a selection: one digit per file; null when every file is normal.</summary>
    public static string? Format(IReadOnlyList<FilePriority> files) =>
        files.All(p => p == FilePriority.Normal) ? null : string.Concat(files.Select(p => (char)('0' + (int)p)));

    /// <summary>The selection a saved list's text names, or null when it has none or does not fit the torrent.</summary>
    public static IReadOnlyList<FilePriority>? ParseSaved(string? text, int fileCount) =>
        text is null || text.Length != fileCount || text.Any(c => c is < '0' or > '3') ? null : [.. text.Select(c => (FilePriority)(c - '0'))];

    private static string Name(FilePriority priority) => priority.ToString().ToLowerInvariant();

    private static FilePriority Parse(string? name) => name switch
    {
        "skip" => FilePriority.Skip,
        "low" => FilePriority.Low,
        "normal" => FilePriority.Normal,
        "high" => FilePriority.High,
        _ => throw new WebApiException(400, $"priority must be skip, low, normal or high, got '{name}'"),
    };
}
