namespace TorrentLab.Storage;

/// <summary>How many file handles the storages that share it keep open at once: a session's torrents share one (as
/// libtorrent's file pool and Transmission's open-file limit), a storage on its own has one of its own. When the budget
/// is full, keeping one more file closes the least recently used one, which its storage opens again at its next access.
/// A file being read or written is never closed under its user: it closes when that access ends. Handles are given
/// back when their storage closes (a seeding torrent closes its storage a while after its last peer left).</summary>
internal sealed class OpenFileBudget
{
    private readonly int _limit;
    private readonly Lock _lock = new();
    private readonly LinkedList<KeptFile> _recent = new(); // most recently used first; guarded by _lock

    /// <param name="limit">Handles kept open at once, over every storage sharing the budget.</param>
    public OpenFileBudget(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _limit = limit;
    }

    /// <summary>Handles kept open now.</summary>
    public int Kept { get { lock (_lock) return _recent.Count; } }

    /// <summary>Keeps <paramref name="file"/> open, closing the least recently used handle first when the budget is
    /// full; null (and <paramref name="file"/> left to the caller) when the budget keeps nothing at all.</summary>
    /// <param name="file">The handle to keep.</param>
    /// <param name="closed">Told when the budget closes the handle to make room (not when <see cref="Release"/> does).</param>
    public KeptFile? Keep(IStorageFile file, Action<KeptFile> closed)
    {
        if (_limit == 0) return null;
        var kept = new KeptFile(file, closed);
        KeptFile? evicted = null;
        lock (_lock)
        {
            if (_recent.Count >= _limit)
            {
                evicted = _recent.Last!.Value;
                _recent.RemoveLast();
                evicted.Node = null;
            }
            kept.Node = _recent.AddFirst(kept);
        }
        if (evicted is not null)
        {
            evicted.Closed(evicted);
            evicted.Close();
        }
        return kept;
    }

    /// <summary>Marks <paramref name="kept"/> as just used: it is the last to be closed for room.</summary>
    public void Touch(KeptFile kept)
    {
        lock (_lock)
        {
            if (kept.Node is { } node && _recent.First != node)
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
            }
        }
    }

    /// <summary>Gives back <paramref name="kept"/>'s place and closes it (at once, or when its current access ends).</summary>
    public void Release(KeptFile kept)
    {
        lock (_lock)
        {
            if (kept.Node is { } node) _recent.Remove(node);
            kept.Node = null;
        }
        kept.Close();
    }
}

/// <summary>A handle an <see cref="OpenFileBudget"/> keeps open. Each access enters and exits it; a close asked for
/// during an access happens when the last access exits.</summary>
internal sealed class KeptFile(IStorageFile file, Action<KeptFile> closed)
{
    private const int Closing = int.MinValue / 2; // added to the user count: negative from then on, so no one enters
    private int _users;

    public IStorageFile File { get; } = file;

    internal Action<KeptFile> Closed { get; } = closed;

    internal LinkedListNode<KeptFile>? Node { get; set; } // its place in the budget's list; guarded by the budget's lock

    /// <summary>Starts an access: false when the handle is closing or closed (open the file anew).</summary>
    public bool TryEnter()
    {
        while (true)
        {
            var users = Volatile.Read(ref _users);
            if (users < 0) return false;
            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users) return true;
        }
    }

    /// <summary>Ends an access; the last one out of a closing handle closes it.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _users) == Closing) File.Dispose();
    }

    /// <summary>Closes the handle now, or when the accesses in progress end. Idempotent.</summary>
    internal void Close()
    {
        while (true)
        {
            var users = Volatile.Read(ref _users);
            if (users < 0) return; // closing already
            if (Interlocked.CompareExchange(ref _users, users + Closing, users) != users) continue;
            if (users == 0) File.Dispose();
            return;
        }
    }
}
