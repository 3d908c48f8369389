using TorrentLab.Metainfo;

namespace TorrentLab.Lsd;

/// <summary>When to announce which torrents on the local network (BEP 14's manners): each torrent every
/// <see cref="Interval"/> while it runs, a new one soon after it starts, and never two announces closer than
/// <see cref="MinGap"/>; what is due at a send goes out together, as many info hashes as one datagram holds.</summary>
/// <remarks>BEP 14: "As long as a client is participating in a swarm it should send a LSD announce every 5 minutes
/// [...]. To avoid causing multicast storms on large networks a client should send no more than 1 announce per minute.
/// If more than 5 torrents are active a client may either round-robin announce the active torrents or include multiple
/// infohashes per announce." We do both: the torrents due longest go first, as many as fit. Not thread-safe: the
/// session's one announce loop owns it (adds come in under the session's lock).</remarks>
internal sealed class LsdSchedule
{
    /// <summary>BEP 14: "every 5 minutes".</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    /// <summary>BEP 14: "no more than 1 announce per minute".</summary>
    public static readonly TimeSpan MinGap = TimeSpan.FromMinutes(1);

    /// <summary>How long a new torrent waits before its first announce, so torrents started together share one.</summary>
    public static readonly TimeSpan Gather = TimeSpan.FromSeconds(1);

    private readonly Dictionary<InfoHash, DateTimeOffset> _due = [];
    private DateTimeOffset? _lastSent;

    /// <summary>Info hashes scheduled.</summary>
    public int Count => _due.Count;

    /// <summary>Schedules a torrent's hash for its first announce, <see cref="Gather"/> from <paramref name="now"/>
    /// (a hash scheduled already keeps its turn).</summary>
    public void Add(InfoHash hash, DateTimeOffset now) => _due.TryAdd(hash, now + Gather);

    /// <summary>The hashes to announce now (at most <paramref name="capacity"/>, those due longest first; each next due
    /// an <see cref="Interval"/> later), or none and how long until a send may happen (null: nothing is scheduled).
    /// Hashes that <paramref name="keep"/> refuses (their torrent stopped, or is private now) are dropped.</summary>
    public (IReadOnlyList<InfoHash> Batch, TimeSpan? Wait) Take(DateTimeOffset now, int capacity, Func<InfoHash, bool> keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        foreach (var gone in _due.Keys.Where(h => !keep(h)).ToList()) _due.Remove(gone);
        if (_due.Count == 0) return ([], null);
        var earliest = _due.Values.Min();
        var allowed = _lastSent is { } last ? last + MinGap : DateTimeOffset.MinValue;
        var at = earliest > allowed ? earliest : allowed;
        if (at > now) return ([], at - now);
        var batch = _due.Where(p => p.Value <= now).OrderBy(p => p.Value).Take(capacity).Select(p => p.Key).ToList();
        foreach (var hash in batch) _due[hash] = now + Interval;
        _lastSent = now;
        return (batch, null);
    }
}
