using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>Where a queue move puts the torrents it names (Transmission's <c>queue-move-*</c>).</summary>
internal enum QueueMove { Top, Up, Down, Bottom }

/// <summary>The queue of the list: at most <see cref="WebSettings.MaxActiveDownloads"/> downloads at once, the rest
/// started in the order they were asked for, an order the remote-control APIs may change.</summary>
/// <remarks>Its state is guarded by the list's lock, which it is given: a pump starts only torrents the list still
/// holds, and an add or a removal changes the order in the same step as the list.</remarks>
internal sealed class TorrentQueue
{
    private readonly Lock _lock;
    private readonly IReadOnlyDictionary<string, ManagedTorrent> _torrents; // guarded by _lock
    private readonly ServerSettings _settings;
    private readonly Func<DownloadOptions> _options;
    private readonly Func<DownloadOptions, DownloadOptions>? _configure;
    private readonly Action _changed;
    private long _nextTicket;
    private bool _closing;

    /// <param name="listLock">The list's lock, which guards the queue too.</param>
    /// <param name="torrents">The list's torrents by info hash, guarded by <paramref name="listLock"/>.</param>
    /// <param name="settings">The settings in force: the queue's size and the seeding defaults.</param>
    /// <param name="options">The server's options for every torrent: the engine they pick (only the swarm engine seeds).</param>
    /// <param name="configure"><see cref="WebServerOptions.ConfigureDownload"/>, for a torrent's first start.</param>
    /// <param name="changed">Called when the order changed: a torrent's place may be another now.</param>
    public TorrentQueue(Lock listLock, IReadOnlyDictionary<string, ManagedTorrent> torrents, ServerSettings settings,
        Func<DownloadOptions> options, Func<DownloadOptions, DownloadOptions>? configure, Action changed)
    {
        (_lock, _torrents, _settings, _options, _configure, _changed) = (listLock, torrents, settings, options, configure, changed);
    }

    /// <summary>Whether a download waits for disk space (the disk guard's answer for its volume); set by the list.</summary>
    public Func<ManagedTorrent, bool> WaitsForSpace { get; init; } = _ => false;

    /// <summary>Holds a running download for disk space: it waits in the queue at the place it had, its run stopped.</summary>
    public async Task HoldAsync(ManagedTorrent torrent, string reason)
    {
        if (!torrent.HoldForSpace(reason)) return;
        lock (_lock)
        {
            _queued.Add(torrent);
            ChangedLocked();
        }
        await PauseForSpace(torrent).ConfigureAwait(false); // its ledger saved; the torrent still wants to run
        torrent.Observe();
    }

    /// <summary>How <see cref="HoldAsync"/> stops a held download's run: its handle's pause (tests make it fail).</summary>
    public Func<ManagedTorrent, Task> PauseForSpace { get; set; } = static torrent => torrent.Handle.PauseAsync();

    /// <summary>Puts the torrent at the end of the queue (a complete one only when it will seed).</summary>
    public void Enqueue(ManagedTorrent torrent)
    {
        if (!torrent.Queue(Interlocked.Increment(ref _nextTicket), SeedFor(torrent).Seed)) return;
        lock (_lock)
        {
            _queued.Add(torrent);
            ChangedLocked();
        }
    }

    // The torrents queued since the pump last looked (one may have been paused or removed meanwhile: the pump drops
    // those), so a pump costs the queue's length, not the list's: 10,000 torrents added one by one each pump once.
    private readonly HashSet<ManagedTorrent> _queued = [];

    private int _pumpPending; // 1 while a pump asked for by a state change has not run yet

    /// <summary>Pumps the queue on the thread pool, once for any number of state changes meanwhile: each pump looks at
    /// every torrent, and 10,000 torrents starting to seed at once each report a change.</summary>
    public void PumpSoon()
    {
        if (Interlocked.Exchange(ref _pumpPending, 1) == 1) return;
        ThreadPool.UnsafeQueueUserWorkItem(static queue =>
        {
            Volatile.Write(ref queue._pumpPending, 0);
            queue.Pump();
        }, this, preferLocal: false);
    }

    /// <summary>Starts queued torrents while fewer than the limit download; seeding ones take no download slot.</summary>
    public void Pump()
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
                    if (WaitsForSpace(torrent)) continue; // its volume is full: it keeps its place
                    free ??= _settings.Current.MaxActiveDownloads!.Value - _torrents.Values.Count(t => t.State == TorrentState.Downloading);
                    if (free <= 0) continue;
                    free--;
                }
                torrent.Start(SeedFor(torrent), _configure);
                if (torrent.State != TorrentState.Queued) _queued.Remove(torrent);
            }
        }
    }

    /// <summary>Starts nothing from now on: the server stops.</summary>
    public void Close()
    {
        lock (_lock) _closing = true;
    }

    /// <summary>The seeding its next run does: the torrent's own limits over its category's over the defaults (<see cref="ShareLimits.Plan"/>);
    /// only the swarm engine seeds (the single-peer path downloads only).</summary>
    public SeedingRun SeedFor(ManagedTorrent torrent) =>
        ShareLimits.Plan(torrent, _settings.Current, TorrentClient.EngineFor(_options()) == DownloadEngine.Swarm, CategoryLimitsOf(torrent));

    /// <summary>The share limits of a torrent's category (<see cref="TorrentLabels.LimitsOf"/>), or null.</summary>
    public Func<ManagedTorrent, CategoryLimits?> CategoryLimitsOf { get; init; } = _ => null;

    /// <summary>Moves torrents in the queue order (the order in which waiting downloads start); the others keep theirs.</summary>
    public void Move(IReadOnlyList<ManagedTorrent> moved, QueueMove move) => Reorder(order =>
    {
        var set = moved.Select(t => t.InfoHash).ToHashSet(StringComparer.Ordinal);
        switch (move)
        {
            case QueueMove.Top:
                return [.. order.Where(t => set.Contains(t.InfoHash)), .. order.Where(t => !set.Contains(t.InfoHash))];
            case QueueMove.Bottom:
                return [.. order.Where(t => !set.Contains(t.InfoHash)), .. order.Where(t => set.Contains(t.InfoHash))];
            case QueueMove.Up: // each one swaps with the one before it, unless that one moves too
                for (var i = 1; i < order.Count; i++)
                    if (set.Contains(order[i].InfoHash) && !set.Contains(order[i - 1].InfoHash)) (order[i - 1], order[i]) = (order[i], order[i - 1]);
                return order;
            default: // Down
                for (var i = order.Count - 2; i >= 0; i--)
                    if (set.Contains(order[i].InfoHash) && !set.Contains(order[i + 1].InfoHash)) (order[i + 1], order[i]) = (order[i], order[i + 1]);
                return order;
        }
    });

    /// <summary>Puts the torrents at a place in the queue order, from 0 (Transmission's torrent-set
    /// <c>queuePosition</c>; a place past the end is the end), in the order given; the others keep their order.</summary>
    public void MoveTo(IReadOnlyList<ManagedTorrent> moved, int position) => Reorder(order =>
    {
        var set = moved.Select(t => t.InfoHash).ToHashSet(StringComparer.Ordinal);
        var rest = order.Where(t => !set.Contains(t.InfoHash)).ToList();
        rest.InsertRange(Math.Clamp(position, 0, rest.Count), order.Where(t => set.Contains(t.InfoHash)));
        return rest;
    });

    private void Reorder(Func<List<ManagedTorrent>, List<ManagedTorrent>> reorder)
    {
        lock (_lock)
        {
            var order = reorder(OrderLocked());
            // Tickets renumbered from 1 in the new order; the next start request gets a later one.
            for (var i = 0; i < order.Count; i++) order[i].SetQueueTicket(i + 1);
            if (Interlocked.Read(ref _nextTicket) < order.Count) Interlocked.Exchange(ref _nextTicket, order.Count);
            ChangedLocked();
        }
        Pump();
    }

    /// <summary>A torrent's place in the queue order, from 0 (Transmission's <c>queuePosition</c>). The places are
    /// worked out once after each change of the order and kept, so a list of 10,000 torrents reads each in constant
    /// time (sorting per row cost 10 s for one torrent-get of that list).</summary>
    public int Position(ManagedTorrent torrent)
    {
        lock (_lock)
        {
            _positions ??= OrderLocked().Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
            return _positions.GetValueOrDefault(torrent, -1);
        }
    }

    private Dictionary<ManagedTorrent, int>? _positions; // guarded by _lock; null after a change of the order

    /// <summary>The order changed (a torrent added, removed, queued or moved): the kept places are worked out again.
    /// The caller holds the list's lock.</summary>
    public void ChangedLocked()
    {
        _positions = null;
        _changed();
    }

    // Every torrent by queue ticket: those never queued (ticket 0) first, in the order they were added.
    private List<ManagedTorrent> OrderLocked() =>
        [.. _torrents.Values.OrderBy(t => t.QueueTicket).ThenBy(t => t.AddedAt).ThenBy(t => t.InfoHash, StringComparer.Ordinal)];
}
