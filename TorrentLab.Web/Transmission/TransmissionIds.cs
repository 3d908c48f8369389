using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>Transmission's torrent ids: small whole numbers given out in the order torrents are first seen (oldest
/// first), stable while the server runs, never reused (as <c>tr_torrent::id</c>). RPC requests name torrents by id,
/// by info hash, or as <c>"recently-active"</c>.</summary>
internal sealed class TransmissionIds(TorrentManager torrents, TimeProvider clock)
{
    /// <summary>Transmission's RECENTLY_ACTIVE_SECONDS: how long a removed torrent is reported as removed.</summary>
    private static readonly TimeSpan Recent = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    // Read without the lock (10,000 rows ask for their id per request), written under it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private int _syncedList = -1; // the list version the ids were last given out for; guarded by _lock
    private readonly Dictionary<int, string> _hashes = [];
    private readonly Dictionary<int, DateTimeOffset> _removed = [];
    private readonly Dictionary<string, (int Version, DateTimeOffset Changed)> _seen = new(StringComparer.Ordinal); // guarded by _lock
    private int _last;

    /// <summary>The torrent's id (given now when it has none).</summary>
    public int IdOf(ManagedTorrent torrent)
    {
        if (_ids.TryGetValue(torrent.InfoHash, out var id)) return id;
        var all = Sync(); // the older ones first: ids follow the list's order
        lock (_lock) return IdOfLocked(torrent.InfoHash);
    }

    /// <summary>The list, oldest first, with an id for every torrent in it: given out again only when a torrent was added
    /// or removed since the last call, so a poll of 10,000 torrents walks no dictionary for them.</summary>
    private IReadOnlyList<ManagedTorrent> Sync()
    {
        var version = torrents.ListVersion; // read first: a list made after a change is synced again next time
        var all = torrents.Listed;
        lock (_lock)
        {
            if (_syncedList != version)
            {
                SyncLocked(all);
                _syncedList = version;
            }
        }
        return all;
    }

    /// <summary>The torrents a request's <c>ids</c> names, oldest first: every torrent when absent; ids or hashes
    /// naming no torrent are left out, as Transmission does.</summary>
    /// <exception cref="WebApiException">400: ids is neither a number, a string nor an array of them.</exception>
    public IReadOnlyList<ManagedTorrent> Resolve(JsonElement arguments)
    {
        var all = Sync();
        if (!arguments.TryGetProperty("ids", out var ids)) return all;
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        switch (ids.ValueKind)
        {
            case JsonValueKind.String when ids.GetString() == "recently-active":
                return RecentlyActive(all);
            case JsonValueKind.Array:
                foreach (var id in ids.EnumerateArray()) Add(id, wanted);
                break;
            default:
                Add(ids, wanted);
                break;
        }
        return [.. all.Where(t => wanted.Contains(t.InfoHash))];
    }

    /// <summary>Transmission's "recently-active": the torrents that did something (payload moved, state, settings, files:
    /// their <see cref="ManagedTorrent.ActivityVersion"/>) within the last <see cref="Recent"/>, as Transmission's
    /// torrents whose latest date (added, active, done, started, edited) is within RECENTLY_ACTIVE_SECONDS. A download
    /// waiting for peers, whose status line alone moves each second, is left out as Transmission leaves it out (50 of
    /// them made the web client's refresh 24,651 bytes, against 62 from transmission-daemon). A torrent seen here for the first time counts as changed when it was
    /// added within that time (as Transmission's added date), not merely because no client asked before: the first poll
    /// after a restart of a server holding 10,000 idle torrents does not make every one "recent" for the next minute. A
    /// client polling 10,000 idle torrents gets the few that move, not all of them.</summary>
    private List<ManagedTorrent> RecentlyActive(IReadOnlyList<ManagedTorrent> all)
    {
        var now = clock.GetUtcNow();
        var active = new List<ManagedTorrent>();
        lock (_lock)
        {
            foreach (var torrent in all)
            {
                var version = torrent.ActivityVersion;
                if (!_seen.TryGetValue(torrent.InfoHash, out var seen))
                    // AddedAt is of the wall clock: compared with the wall clock, not with the server's (a test's manual) one.
                    _seen[torrent.InfoHash] = seen = (version, DateTimeOffset.UtcNow - torrent.AddedAt <= Recent ? now : DateTimeOffset.MinValue);
                else if (seen.Version != version) _seen[torrent.InfoHash] = seen = (version, now);
                if (now - seen.Changed <= Recent) active.Add(torrent);
            }
            if (_seen.Count > all.Count) // removed torrents: forgotten here, reported by RecentlyRemoved
            {
                var present = all.Select(t => t.InfoHash).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in _seen.Keys.Where(h => !present.Contains(h)).ToList()) _seen.Remove(gone);
            }
        }
        return active;
    }

    /// <summary>The ids of torrents removed within the last minute (torrent-get's <c>removed</c>).</summary>
    public int[] RecentlyRemoved()
    {
        Sync();
        lock (_lock)
        {
            var since = clock.GetUtcNow() - Recent;
            foreach (var old in _removed.Where(r => r.Value < since).Select(r => r.Key).ToList()) _removed.Remove(old);
            return [.. _removed.Keys.Order()];
        }
    }

    private void Add(JsonElement id, HashSet<string> wanted)
    {
        if (id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var number))
        {
            lock (_lock)
                if (_hashes.TryGetValue(number, out var hash)) wanted.Add(hash);
        }
        else if (id.ValueKind == JsonValueKind.String && id.GetString() is { } text && TorrentManager.IsInfoHash(text))
            wanted.Add(text.ToLowerInvariant());
        else if (id.ValueKind != JsonValueKind.String) // a string that is not a hash names no torrent, as in Transmission
            throw new WebApiException(400, $"invalid ids: expected a torrent id, an info hash or \"recently-active\", got {id.ValueKind}");
    }

    private int IdOfLocked(string hash)
    {
        if (_ids.TryGetValue(hash, out var id)) return id;
        id = ++_last;
        _ids[hash] = id;
        _hashes[id] = hash;
        return id;
    }

    // Ids for torrents new to the list, oldest first; an id whose torrent left the list is remembered as removed.
    private void SyncLocked(IReadOnlyList<ManagedTorrent> all)
    {
        foreach (var torrent in all) IdOfLocked(torrent.InfoHash);
        if (_ids.Count == all.Count) return; // every id has its torrent: nothing was removed
        var present = all.Select(t => t.InfoHash).ToHashSet(StringComparer.Ordinal);
        foreach (var (hash, id) in _ids.Where(p => !present.Contains(p.Key)).ToList())
        {
            _ids.TryRemove(hash, out _);
            _hashes.Remove(id);
            _removed[id] = clock.GetUtcNow();
        }
    }
}
