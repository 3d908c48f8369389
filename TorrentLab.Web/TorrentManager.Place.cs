namespace TorrentLab.Web;

/// <summary>Where each torrent keeps its data: a save folder below the downloads folder, and moving the data to another
/// (<see cref="DataPlaces"/> has the safety rule).</summary>
internal sealed partial class TorrentManager
{
    /// <summary>The absolute path of a save folder (relative, as <see cref="SaveFolderOf"/> gives it).</summary>
    public string FolderPath(string saveFolder) => _places.FolderPath(saveFolder);

    /// <summary>The absolute path of the folder the torrent's data is in.</summary>
    public string FolderOf(ManagedTorrent torrent) => FolderPath(torrent.SaveFolder);

    /// <inheritdoc cref="DataPlaces.SaveFolderOf"/>
    public string SaveFolderOf(string? folder) => _places.SaveFolderOf(folder);

    /// <summary>Gives the torrent another save folder. With <paramref name="moveData"/>, its activity stops, its files and
    /// resume ledger move (renamed on one file system, else copied, and the old copy deleted only once the new one is
    /// complete), and it starts again if it ran; without, it is pointed at the folder and re-checks what is there.</summary>
    /// <exception cref="WebApiException">400 a folder outside the downloads folder; 409 another torrent's data is there,
    /// a file is in the way, it is being checked or moved, or the move failed (the data stays whole in the old folder).</exception>
    public async Task MoveAsync(ManagedTorrent torrent, string? folder, bool moveData, CancellationToken ct = default)
    {
        var target = SaveFolderOf(folder);
        if (target == torrent.SaveFolder) return;
        if (torrent.State is TorrentState.Checking or TorrentState.Moving)
            throw new WebApiException(409, $"'{torrent.Torrent.Name}' is {torrent.State.ToString().ToLowerInvariant()}: its data cannot be moved now");
        DataPlaces.CheckPaths(torrent.Torrent, FolderPath(target));
        var origin = torrent.SaveFolder;
        lock (_lock)
        {
            _places.CheckFree(torrent.Torrent, target, except: torrent.InfoHash);
            if (!_places.BeginMove(torrent.InfoHash)) throw new WebApiException(409, $"'{torrent.Torrent.Name}' is being moved already");
            _places.Take(torrent.Torrent, target, torrent.InfoHash); // no other torrent goes there meanwhile
        }
        var moved = false;
        try
        {
            var resume = torrent.WantsRunning;
            await torrent.PauseAsync().ConfigureAwait(false);
            try { torrent.BeginMove(); }
            catch (WebApiException) when (resume)
            {
                Queue.Enqueue(torrent); // started, or checked, meanwhile by another request: as it was
                throw;
            }
            try
            {
                if (moveData) await torrent.Handle.MoveDataAsync(FolderPath(target), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException or OperationCanceledException)
            {
                torrent.EndMove(null, e.Message);
                if (resume) Queue.Enqueue(torrent);
                Save();
                Queue.Pump();
                if (e is OperationCanceledException) throw;
                throw new WebApiException(409, $"moving '{torrent.Torrent.Name}' to {Shown(target)} failed, its data stays whole where it was: {e.Message}", e);
            }
            torrent.EndMove(target, null);
            moved = true;
            _options.Log?.Invoke($"'{torrent.Torrent.Name}' {(moveData ? "moved" : "pointed")} to {Shown(target)}");
            // Pointed without moving: what is in the new folder is hashed (the handle takes the folder either way).
            if (!moveData) await CheckAsync(torrent, () => torrent.Handle.SetSaveFolderAsync(FolderPath(target), ct)).ConfigureAwait(false);
            if (resume) Queue.Enqueue(torrent);
            Save();
            Queue.Pump();
        }
        finally
        {
            lock (_lock)
            {
                _places.EndMove(torrent.InfoHash);
                _places.Leave(torrent.Torrent, moved ? origin : target);
            }
        }
    }

    private static string Shown(string saveFolder) => saveFolder.Length == 0 ? "the downloads folder" : $"'{saveFolder}'";
}
