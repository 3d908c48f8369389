namespace TorrentLab.Web;

/// <summary>Where a queue move puts the torrents it names (Transmission's <c>queue-move-*</c>).</summary>
internal enum QueueMove { Top, Up, Down, Bottom }

/// <summary>Moves in the queue: what the remote-control APIs need beyond the page's own routes.</summary>
internal sealed partial class TorrentManager
{
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
