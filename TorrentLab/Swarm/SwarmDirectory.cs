using System.Collections;
using System.Collections.Concurrent;
using TorrentLab.Metainfo;

namespace TorrentLab.Swarm;

/// <summary>The session's torrents by info hash: what an incoming handshake is routed by. A hybrid torrent is listed
/// under its v1 hash and its truncated v2 hash (BEP 52: a peer may name either).</summary>
/// <remarks>Thread-safe. As a collection it is the info hashes served, which an MSE/PE handshake is matched against
/// (it names its torrent only by a hash of one).</remarks>
internal sealed class SwarmDirectory : IReadOnlyCollection<InfoHash>
{
    private readonly ConcurrentDictionary<InfoHash, ISessionTorrent> _byHash = new();
    private readonly ConcurrentDictionary<ISessionTorrent, byte> _swarms = new();

    /// <summary>Info hashes served (a hybrid counts twice).</summary>
    public int Count => _byHash.Count;

    /// <summary>Torrents attached.</summary>
    public int SwarmCount => _swarms.Count;

    /// <summary>Adds a torrent under each of its hashes; false (and nothing added) when one is taken.</summary>
    public bool TryAdd(ISessionTorrent swarm)
    {
        var added = new List<InfoHash>();
        foreach (var hash in swarm.IncomingHashes)
        {
            if (_byHash.TryAdd(hash, swarm)) { added.Add(hash); continue; }
            foreach (var undo in added) _byHash.TryRemove(undo, out _);
            return false;
        }
        _swarms[swarm] = 0;
        return true;
    }

    public void Remove(ISessionTorrent swarm)
    {
        if (!_swarms.TryRemove(swarm, out _)) return;
        foreach (var hash in swarm.IncomingHashes) _byHash.TryRemove(new KeyValuePair<InfoHash, ISessionTorrent>(hash, swarm));
    }

    /// <summary>Routes <paramref name="old"/>'s hashes to <paramref name="now"/> (the same torrent), with no moment in
    /// which a handshake finds neither; false when <paramref name="old"/> is not listed.</summary>
    public bool Replace(ISessionTorrent old, ISessionTorrent now)
    {
        if (!_swarms.TryRemove(old, out _)) return false;
        _swarms[now] = 0;
        foreach (var hash in old.IncomingHashes) _byHash.TryUpdate(hash, now, old);
        return true;
    }

    public ISessionTorrent? Find(InfoHash hash) => _byHash.GetValueOrDefault(hash);

    /// <summary>Every torrent attached now (a copy).</summary>
    public IReadOnlyList<ISessionTorrent> All() => [.. _swarms.Keys];

    /// <summary>Torrents with at least one peer connected (those sharing the upload slots).</summary>
    public int CountWithPeers() => _swarms.Keys.Count(s => s.ConnectedCount > 0);

    // The dictionary's own enumerator, not Keys: that would copy every hash for each encrypted handshake.
    public IEnumerator<InfoHash> GetEnumerator()
    {
        foreach (var pair in _byHash) yield return pair.Key;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
