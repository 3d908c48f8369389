using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Client;

// Where a torrent's data lies, for data no session runs: the folders an application lets it be written to, and the data
// moved or deleted. A torrent a session holds does the same through its handle (TorrentHandle.MoveDataAsync,
// TorrentSession.RemoveAsync with deleteData), on the same parts (TorrentDataMove, TorrentData).
public static partial class TorrentClient
{
    /// <summary>The folder, below every downloads folder, that holds TorrentLab's own files: no torrent may be named so.</summary>
    public const string StateFolder = OutputPaths.StateFolder;

    /// <summary>Where <paramref name="folder"/> lies below <paramref name="root"/>, once symbolic links are followed: its
    /// path relative to the root's real path ('/'-separated, "" for the root itself), or null when it lies elsewhere or
    /// passes through TorrentLab's own <see cref="StateFolder"/>. A relative <paramref name="folder"/> is taken below the
    /// root; missing parts count as written (the folder may not exist yet).</summary>
    public static string? FolderBelow(string root, string folder)
    {
        var full = OutputPaths.Root(root);
        var path = Path.GetFullPath(Path.Combine(full, folder)); // an absolute folder replaces the root here
        if (Path.TrimEndingDirectorySeparator(path) == full) return ""; // the root itself, however its links lead
        var (real, realRoot) = (OutputPaths.RealPath(path), OutputPaths.RealPath(full));
        if (real != realRoot && !OutputPaths.IsUnder(real, realRoot)) return null;
        var relative = real == realRoot ? "" : Path.GetRelativePath(realRoot, real).Replace(Path.DirectorySeparatorChar, '/');
        return relative.Split('/').Contains(StateFolder) ? null : relative;
    }

    /// <summary>The first file of the torrent (its path with '/') that a symbolic link already in
    /// <paramref name="folder"/> would lead outside it, or null when every file stays inside: what a download there
    /// would refuse when it opens its files, asked before it is added.</summary>
    public static string? PathLeavingFolder(Torrent torrent, string folder)
    {
        var root = OutputPaths.Root(folder);
        // Nothing of the torrent on disk yet (the usual case): no link can be in the way.
        var top = Path.Combine(root, torrent.Files[0].PathSegments[0]);
        if (!File.Exists(top) && !Directory.Exists(top) && new FileInfo(top).LinkTarget is null) return null;
        var realRoot = OutputPaths.RealPath(root); // once: each file is resolved from there
        foreach (var file in torrent.Files)
        {
            try { OutputPaths.CheckInside(root, Path.GetFullPath(Path.Combine([root, .. file.PathSegments])), file.DisplayPath, realRoot); }
            catch (StorageException) { return file.DisplayPath; }
        }
        return null;
    }

    /// <summary>Moves a torrent's data (the files that exist and its resume ledger) from one output folder to another:
    /// renamed on one file system, else copied and flushed before the originals are deleted. A failure midway undoes
    /// the move: the data stays whole in the old folder. The torrent must not be running: one a session holds moves
    /// with <see cref="TorrentHandle.MoveDataAsync"/>.</summary>
    /// <exception cref="StorageException">A path leaves a folder, a file of the torrent is in the way in the new folder,
    /// or a file could not be moved.</exception>
    public static Task MoveDataAsync(Torrent torrent, string from, string to, CancellationToken ct = default) =>
        TorrentDataMove.MoveAsync(torrent, from, to, ct);

    /// <summary>Deletes the data of a torrent no session runs (removed, or never added): its files, the folders it
    /// created and its resume ledger, nothing else. One a session holds is deleted with
    /// <see cref="TorrentSession.RemoveAsync"/> and <c>deleteData</c>.</summary>
    public static void DeleteData(Torrent torrent, string folder) => TorrentData.Delete(torrent, folder);
}
