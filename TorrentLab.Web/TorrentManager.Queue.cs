using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>The queue (at most <see cref="WebSettings.MaxActiveDownloads"/> downloads at once, the rest started in the
/// order they were asked for), the seeding defaults, and the re-check.</summary>
internal sealed partial class TorrentManager
{
    private long _nextTicket;
    private bool _closing;

    /// <summary>The settings in force: queue size and seeding defaults, every field set.</summary>
    public WebSettings Settings => _settings.Current;

    /// <summary>Changes the fields <paramref name="update"/> sets (0 clears a seeding limit), saves them, and starts
    /// queued downloads when the queue grew.</summary>
    /// <exception cref="WebApiException">400: a value out of range.</exception>
    public WebSettings UpdateSettings(WebSettings update)
    {
        _settings.Update(update);
        Save();
        Pump();
        return Settings;
    }

    /// <summary>Sets a torrent's own seeding limits (null fields take the defaults); they apply from its next run.</summary>
    /// <exception cref="WebApiException">400: a value out of range.</exception>
    public void SetSeeding(ManagedTorrent torrent, SeedPolicy policy)
    {
        ServerSettings.CheckSeedLimits(policy.Ratio, policy.Minutes);
        torrent.Seeding = policy;
        Save();
    }

    /// <summary>Puts the torrent at the end of the queue (a complete one only when it will seed).</summary>
    private void Enqueue(ManagedTorrent torrent)
    {
        if (!torrent.Queue(Interlocked.Increment(ref _nextTicket), SeedFor(torrent, OptionsFor()).Seed)) return;
        lock (_lock)
        {
            _queued.Add(torrent);
            QueueChangedLocked();
        }
    }

    // The torrents queued since the pump last looked (one may have been paused or removed meanwhile: the pump drops
    // those), so a pump costs the queue's length, not the list's: 10,000 torrents added one by one each pump once.
    private readonly HashSet<ManagedTorrent> _queued = [];

    private int _pumpPending; // 1 while a pump asked for by a state change has not run yet

    /// <summary>Pumps the queue on the thread pool, once for any number of state changes meanwhile: each pump looks at
    /// every torrent, and 10,000 torrents starting to seed at once each report a change.</summary>
    private void PumpSoon()
    {
        if (Interlocked.Exchange(ref _pumpPending, 1) == 1) return;
        ThreadPool.UnsafeQueueUserWorkItem(static manager =>
        {
            Volatile.Write(ref manager._pumpPending, 0);
            manager.Pump();
        }, this, preferLocal: false);
    }

    /// <summary>Starts queued torrents while fewer than the limit download; seeding ones take no download slot.</summary>
    private void Pump()
    {
        lock (_lock)
        {
            if (_closing) return;
            _queued.RemoveWhere(t => t.State != TorrentState.Queued || _torrents.GetValueOrDefault(t.InfoHash) != t);
            int? free = null; // counted over every torrent only when an incomplete one waits
            foreach (var torrent in _queued.OrderBy(t => t.QueueTicket).ToList())
            {
                if (!torrent.Handle.IsComplete)
                {
                    free ??= _settings.Current.MaxActiveDownloads!.Value - _torrents.Values.Count(t => t.State == TorrentState.Downloading);
                    if (free <= 0) continue;
                    free--;
                }
                torrent.Start(SeedFor(torrent, OptionsFor()), _options.ConfigureDownload);
                if (torrent.State != TorrentState.Queued) _queued.Remove(torrent);
            }
        }
    }

    // The torrent's own seeding limits over the defaults; only the swarm engine seeds (the single-peer path downloads only).
    private (bool Seed, double? Ratio, TimeSpan? Time) SeedFor(ManagedTorrent torrent, DownloadOptions options)
    {
        var defaults = Settings;
        var policy = torrent.Seeding;
        var seed = (policy.Seed ?? defaults.SeedAfterDownload ?? false) && TorrentClient.EngineFor(options) == DownloadEngine.Swarm;
        var ratio = policy.Ratio ?? defaults.SeedRatio;
        var minutes = policy.Minutes ?? defaults.SeedMinutes;
        return (seed, ratio is > 0 ? ratio : null, minutes is > 0 ? TimeSpan.FromMinutes(minutes.Value) : null);
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
        if (resume) Enqueue(torrent);
        Save();
        Pump();
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
