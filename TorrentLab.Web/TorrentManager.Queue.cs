using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>The settings in force (the queue's size, the seeding defaults; the queue itself is
/// <see cref="TorrentQueue"/>), and the re-check.</summary>
internal sealed partial class TorrentManager
{
    /// <summary>The settings in force: queue size and seeding defaults, every field set.</summary>
    public WebSettings Settings => _settings.Current;

    /// <summary>Changes the fields <paramref name="update"/> sets (0 clears a seeding limit), saves them, and starts
    /// queued downloads when the queue grew.</summary>
    /// <exception cref="WebApiException">400: a value out of range.</exception>
    public WebSettings UpdateSettings(WebSettings update)
    {
        _settings.Update(update);
        Save();
        Queue.Pump();
        return Settings;
    }

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

    /// <summary>Fetches a magnet link's metadata as one of the session's torrents: its peer id and port to the trackers, its DHT node.</summary>
    public Task<MagnetTorrent> FetchMagnetAsync(string link, CancellationToken ct) => Session.FetchMagnetAsync(link, OptionsFor(), ct);

    private static IReadOnlyList<IPEndPoint> PeersOf(IReadOnlyList<string>? saved) =>
        [.. (saved ?? []).Select(text => IPEndPoint.TryParse(text, out var peer) ? peer : null).OfType<IPEndPoint>()];
}
