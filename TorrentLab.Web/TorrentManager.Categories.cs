namespace TorrentLab.Web;

/// <summary>Where a queue move puts the torrents it names (Transmission's <c>queue-move-*</c>).</summary>
internal enum QueueMove { Top, Up, Down, Bottom }

/// <summary>Categories (Transmission's labels, qBittorrent's categories) and moves in the queue: what the
/// remote-control APIs need beyond the page's own routes.</summary>
internal sealed partial class TorrentManager
{
    private const int MaxCategoryLength = 100; // a name for a list, not a text
    private readonly SortedSet<string> _categories = new(StringComparer.Ordinal); // guarded by _lock

    /// <summary>Every category, in order: those created and those a torrent has.</summary>
    public IReadOnlyList<string> Categories
    {
        get { lock (_lock) return [.. _categories]; }
    }

    /// <summary>Creates a category (nothing happens when it exists).</summary>
    /// <exception cref="WebApiException">400: an empty name, a control character, or longer than 100 characters.</exception>
    public void CreateCategory(string name)
    {
        RequireValidCategory(name);
        lock (_lock)
            if (!_categories.Add(name)) return;
        Save();
    }

    /// <summary>Puts the torrent in a category (created when missing), or in none with null or "".</summary>
    /// <exception cref="WebApiException">400: not a valid category name.</exception>
    public void SetCategory(ManagedTorrent torrent, string? name)
    {
        if (string.IsNullOrEmpty(name)) name = null;
        else RequireValidCategory(name);
        lock (_lock)
        {
            if (name is not null) _categories.Add(name);
            torrent.Category = name;
        }
        Save();
    }

    /// <summary>True for a name a category may have: 1 to 100 characters, no control characters, no spaces at either end.</summary>
    public static bool ValidCategory(string name) =>
        name.Length is > 0 and <= MaxCategoryLength && !name.Any(char.IsControl) && name.Trim() == name;

    private static void RequireValidCategory(string name)
    {
        if (!ValidCategory(name))
            throw new WebApiException(400, $"a category is 1 to {MaxCategoryLength} characters without control characters or spaces at either end, got '{UntrustedText.Clean(name, 40)}'");
    }

    /// <summary>Moves torrents in the queue order (the order in which waiting downloads start); the others keep theirs.</summary>
    public void MoveInQueue(IReadOnlyList<ManagedTorrent> moved, QueueMove move) => Reorder(order =>
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
    public void MoveToQueuePosition(IReadOnlyList<ManagedTorrent> moved, int position) => Reorder(order =>
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
            var order = reorder(QueueOrderLocked());
            // Tickets renumbered from 1 in the new order; the next start request gets a later one.
            for (var i = 0; i < order.Count; i++) order[i].SetQueueTicket(i + 1);
            if (Interlocked.Read(ref _nextTicket) < order.Count) Interlocked.Exchange(ref _nextTicket, order.Count);
            QueueChangedLocked();
        }
        Pump();
    }

    /// <summary>A torrent's place in the queue order, from 0 (Transmission's <c>queuePosition</c>). The places are
    /// worked out once after each change of the order and kept, so a list of 10,000 torrents reads each in constant
    /// time (sorting per row cost 10 s for one torrent-get of that list).</summary>
    public int QueuePosition(ManagedTorrent torrent)
    {
        lock (_lock)
        {
            _queuePositions ??= QueueOrderLocked().Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
            return _queuePositions.GetValueOrDefault(torrent, -1);
        }
    }

    private Dictionary<ManagedTorrent, int>? _queuePositions; // guarded by _lock; null after a change of the order

    /// <summary>The order changed (a torrent added, removed, queued or moved): the kept places are worked out again.</summary>
    private void QueueChangedLocked()
    {
        _queuePositions = null;
        Interlocked.Increment(ref _changes);
    }

    // Every torrent by queue ticket: those never queued (ticket 0) first, in the order they were added.
    private List<ManagedTorrent> QueueOrderLocked() =>
        [.. _torrents.Values.OrderBy(t => t.QueueTicket).ThenBy(t => t.AddedAt).ThenBy(t => t.InfoHash, StringComparer.Ordinal)];
}
