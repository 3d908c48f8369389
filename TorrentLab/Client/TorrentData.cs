using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Client;

/// <summary>Deletes a removed torrent's data: the files its resume ledger records as written (or adopted) by it, the
/// folders left empty, and the ledger, never anything else. Each path comes from the torrent (already sanitized by the
/// metainfo stage) and is checked again, after resolving symbolic links, to lie inside the downloads folder; a path
/// that does not is left alone.</summary>
internal static class TorrentData
{
    public static void Delete(Torrent torrent, string downloads)
    {
        var root = OutputPaths.Root(downloads);
        var realRoot = OutputPaths.RealPath(root);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        FileOwnership? ownership;
        try { ownership = FileOwnership.Read(torrent, root); }
        catch (StorageException) { ownership = null; } // a path leaves the folder: the torrent never wrote anything there
        for (var i = 0; i < torrent.Files.Count; i++)
        {
            var file = torrent.Files[i];
            if (file.PathSegments.Count == 0 || file.PathSegments[0] == OutputPaths.StateFolder) continue; // our own state, never a torrent's
            if (ownership?.IsRecorded(i) != true) continue; // the ledger never listed it: not a file this torrent wrote
            var path = Path.GetFullPath(Path.Combine(root, file.RelativePath));
            if (!Inside(path, root, realRoot)) continue;
            if (File.Exists(path)) File.Delete(path);
            // Folders between the file and the downloads folder, deepest first; removed only when left empty.
            for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > root.Length && OutputPaths.IsUnder(dir, root); dir = Path.GetDirectoryName(dir))
                folders.Add(dir);
        }
        foreach (var dir in folders.OrderByDescending(d => d.Length))
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any() && Inside(dir, root, realRoot))
                Directory.Delete(dir);
        var ledger = ResumeLedger.PathFor(root, torrent.InfoHash);
        if (File.Exists(ledger)) File.Delete(ledger);
    }

    // Inside by name and, once links are resolved, inside the real downloads folder.
    private static bool Inside(string path, string root, string realRoot) =>
        OutputPaths.IsUnder(path, root) && OutputPaths.IsUnder(OutputPaths.RealPath(path), realRoot);
}
