using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Client;

// Renaming a torrent's files on disk (libtorrent's rename_file, Transmission's torrent-rename-path, qBittorrent's
// renameFile and renameFolder), for a torrent that is not running.
public static partial class TorrentClient
{
    /// <summary>Moves the files of <paramref name="torrent"/> that lie in <paramref name="folder"/> to the paths of
    /// <paramref name="renamed"/> (the same torrent, <see cref="Torrent.WithFilePaths"/>), removes the folders left
    /// empty, and records the new paths in its resume ledger, so it goes on without hashing anything again. A file not
    /// on disk yet is simply created under its new name later. The torrent must not run meanwhile. On a failure the
    /// files already moved go back and nothing changed.</summary>
    /// <exception cref="ArgumentException"><paramref name="renamed"/> is another torrent.</exception>
    /// <exception cref="StorageException">A file is in the way at a new path, a path leaves the folder (through a
    /// symbolic link), or a file could not be moved.</exception>
    public static void RenameFiles(Torrent torrent, Torrent renamed, string folder)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(renamed);
        if (torrent.InfoHash != renamed.InfoHash || torrent.Files.Count != renamed.Files.Count)
            throw new ArgumentException("the renamed torrent is another torrent", nameof(renamed));
        var from = new StorageLayout(torrent, folder);
        var to = new StorageLayout(renamed, folder);
        var moved = new List<(string From, string To)>();
        try
        {
            for (var i = 0; i < torrent.Files.Count; i++)
            {
                var (source, target) = (from.FullPaths[i], to.FullPaths[i]);
                if (source == target || !File.Exists(source)) continue;
                if (File.Exists(target) || Directory.Exists(target))
                    throw new StorageException($"'{renamed.Files[i].DisplayPath}' exists already; nothing was renamed");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(source, target);
                moved.Add((source, target));
            }
            new ResumeLedger(from).Rename(renamed);
        }
        catch (Exception e) when (StorageErrors.IsIo(e) || e is StorageException)
        {
            for (var i = moved.Count - 1; i >= 0; i--)
            {
                try { File.Move(moved[i].To, moved[i].From); }
                catch (Exception undo) when (StorageErrors.IsIo(undo)) { } // the first error is the one reported
            }
            throw e as StorageException ?? StorageErrors.Wrap(e, "renaming the torrent's files");
        }
        // Folders the old paths needed and nothing holds now, deepest first, never the folder itself.
        var root = from.Root;
        foreach (var dir in moved.SelectMany(m => Parents(m.From, root)).Distinct(StringComparer.Ordinal).OrderByDescending(d => d.Length))
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }

    private static IEnumerable<string> Parents(string path, string root)
    {
        for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > root.Length && OutputPaths.IsUnder(dir, root); dir = Path.GetDirectoryName(dir))
            yield return dir;
    }
}
