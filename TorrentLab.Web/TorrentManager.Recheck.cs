
namespace TorrentLab.Web;

/// <summary>The re-check: a torrent's data hashed again, what is intact recorded, and the torrent queued again.</summary>
internal sealed partial class TorrentManager
{
    /// <summary>Re-hashes the torrent's data through its handle (the download is paused first), which records the
    /// intact pieces, then queues it again: a recheck ends with the torrent resumed (with <paramref name="resume"/>
    /// false, only when it was running before, as Transmission's verify does).</summary>
    /// <exception cref="WebApiException">409: it is being checked already, or its data could not be read.</exception>
    public async Task RecheckAsync(ManagedTorrent torrent, CancellationToken ct = default, bool resume = true)
    {
        resume |= torrent.WantsRunning;
        if (torrent.State is TorrentState.Checking or TorrentState.Moving)
            throw new WebApiException(409, $"'{torrent.Torrent.Name}' is being {(torrent.State == TorrentState.Checking ? "checked" : "moved")} already");
        await torrent.PauseAsync().ConfigureAwait(false);
        await CheckAsync(torrent, () => torrent.Handle.RecheckAsync(ct)).ConfigureAwait(false);
        if (resume) Queue.Enqueue(torrent);
        Save();
        Queue.Pump();
    }

    /// <summary>Runs a re-hash of the handle (<paramref name="rehash"/>) as the torrent's checking step.</summary>
    /// <exception cref="WebApiException">409: its data could not be read (the torrent is failed, with the reason).</exception>
    private async Task CheckAsync(ManagedTorrent torrent, Func<Task> rehash)
    {
        torrent.BeginCheck();
        try
        {
            await rehash().ConfigureAwait(false);
            torrent.EndCheck(error: null);
        }
        catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
        {
            torrent.EndCheck($"recheck failed: {e.Message}");
            Save();
            throw new WebApiException(409, $"recheck of '{torrent.Torrent.Name}' failed: {e.Message}", e);
        }
    }
}
