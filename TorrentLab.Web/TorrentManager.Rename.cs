using TorrentLab.Client;
using TorrentLab.Metainfo;

namespace TorrentLab.Web;

/// <summary>Renaming a torrent's files or folders on disk (Transmission's torrent-rename-path, qBittorrent's renameFile
/// and renameFolder): the files move, the resume ledger follows, and the torrent goes on without hashing again.</summary>
internal sealed partial class TorrentManager
{
    /// <summary>The torrent with its files where a saved rename put them; as it is when none was, or when the saved
    /// paths do not fit it (a warning: its files are looked for where the .torrent says).</summary>
    private Torrent Renamed(Torrent torrent, IReadOnlyList<string>? paths)
    {
        if (paths is null) return torrent;
        try
        {
            var renamed = torrent.WithFilePaths(paths);
            DataPlaces.CheckPaths(renamed, Downloads);
            return renamed;
        }
        catch (Exception e) when (e is ArgumentException or WebApiException)
        {
            _options.Log?.Invoke($"warning: ignoring the saved file names of {torrent.InfoHash.Hex}: {e.Message}");
            return torrent;
        }
    }

    /// <summary>Renames the file or folder at <paramref name="path"/> (relative to the save folder, as the torrent's
    /// files are listed: its top folder first) to <paramref name="newPath"/>. A running torrent stops for the rename and
    /// starts again; its place below the downloads folder follows a rename of its top folder (or of its one file).</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="path">The file or folder, as torrents/files lists it ("name/sub/file").</param>
    /// <param name="newPath">Its new path, its top folder included.</param>
    /// <param name="folder">True to rename a folder (every file below it moves), false for one file.</param>
    /// <param name="ct">Stops the restart of a running torrent.</param>
    /// <exception cref="WebApiException">404 no such file or folder; 409 a path that is not allowed, taken by another
    /// torrent or by a file in the way, or the torrent is being checked or moved.</exception>
    public async Task RenameAsync(ManagedTorrent torrent, string path, string newPath, bool folder, CancellationToken ct = default)
    {
        if (torrent.State is TorrentState.Checking or TorrentState.Moving)
            throw new WebApiException(409, $"'{torrent.Torrent.Name}' is being {(torrent.State == TorrentState.Checking ? "checked" : "moved")}: rename once that is done");
        var before = torrent.Torrent;
        (path, newPath) = (path.Trim('/'), newPath.Trim('/'));
        var paths = before.Files.Select(f => f.DisplayPath).ToArray();
        var hit = false;
        for (var i = 0; i < paths.Length; i++)
        {
            if (before.Files[i].IsPadding) continue;
            if (!folder && paths[i] == path) (paths[i], hit) = (newPath, true);
            else if (folder && paths[i].StartsWith(path + "/", StringComparison.Ordinal)) (paths[i], hit) = (newPath + paths[i][path.Length..], true);
        }
        if (!hit) throw new WebApiException(404, $"'{UntrustedText.Clean(path, 200)}' is not a {(folder ? "folder" : "file")} of '{before.Name}'");
        Torrent renamed;
        try { renamed = before.WithFilePaths(paths); }
        catch (ArgumentException e) { throw new WebApiException(409, e.Message, e); }
        var save = torrent.SaveFolder;
        DataPlaces.CheckPaths(renamed, FolderPath(save));
        var newPlace = DataPlaces.DataPath(renamed, save) != DataPlaces.DataPath(before, save);
        if (newPlace)
        {
            lock (_lock)
            {
                _places.CheckFree(renamed, save, except: torrent.InfoHash);
                _places.Take(renamed, save, torrent.InfoHash);
            }
        }
        var running = torrent.IsRunning;
        if (running) await torrent.PauseAsync().ConfigureAwait(false);
        try
        {
            await torrent.RenameAsync(renamed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
        {
            if (newPlace) lock (_lock) _places.Leave(renamed, save);
            if (running) await StartAsync(torrent, ct).ConfigureAwait(false);
            throw e as WebApiException ?? new WebApiException(409, e.Message, e);
        }
        if (newPlace) lock (_lock) _places.Leave(before, save);
        _options.Log?.Invoke($"renamed '{UntrustedText.Clean(path, 200)}' to '{UntrustedText.Clean(newPath, 200)}' in {torrent.InfoHash}");
        if (running) await StartAsync(torrent, ct).ConfigureAwait(false);
        else Save();
    }
}
