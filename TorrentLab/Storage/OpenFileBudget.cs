namespace TorrentLab.Storage;

/// <summary>How many file handles the storages that share it keep open at once: a session's torrents share one (as
/// libtorrent's file pool and Transmission's open-file limit), a storage on its own has one of its own. A file a
/// storage cannot keep is opened for each access instead, so the budget bounds descriptors, never what can be read or
/// written. Handles are kept first come, first kept, and given back when their storage closes (a seeding torrent
/// closes its storage a while after its last peer left).</summary>
internal sealed class OpenFileBudget
{
    private readonly int _limit;
    private int _kept;

    /// <param name="limit">Handles kept open at once, over every storage sharing the budget.</param>
    public OpenFileBudget(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _limit = limit;
    }

    /// <summary>Handles kept open now.</summary>
    public int Kept => Volatile.Read(ref _kept);

    /// <summary>Takes one handle's place, if the budget has room.</summary>
    public bool TryTake()
    {
        while (true)
        {
            var kept = Volatile.Read(ref _kept);
            if (kept >= _limit) return false;
            if (Interlocked.CompareExchange(ref _kept, kept + 1, kept) == kept) return true;
        }
    }

    /// <summary>Gives back the places of <paramref name="count"/> handles, closed.</summary>
    public void GiveBack(int count) => Interlocked.Add(ref _kept, -count);
}
