using System.Net;

namespace TorrentLab.Dht;

/// <summary>The peers other nodes announced to us (announce_peer), per info hash, bounded in size and expiring.</summary>
/// <remarks>BEP 5 leaves the store to the implementation. Bounds: at most <see cref="MaxTorrents"/> info hashes of
/// <see cref="MaxPeersPerTorrent"/> peers each, so a flood of announces holds a few MiB at most; when full, the entry
/// heard from longest ago goes. A peer not re-announced within <see cref="Lifetime"/> expires (clients re-announce
/// every 15 to 30 minutes).</remarks>
internal sealed class PeerStore(TimeProvider? clock = null)
{
    public const int MaxTorrents = 2_000;
    public const int MaxPeersPerTorrent = 200;

    /// <summary>Values returned per get_peers answer: 50 compact peers are 400 bytes, keeping the answer in one datagram.</summary>
    public const int MaxValuesPerAnswer = 50;

    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<NodeId, Dictionary<IPEndPoint, DateTimeOffset>> _torrents = [];
    private readonly Lock _lock = new();

    /// <summary>Info hashes held.</summary>
    public int TorrentCount { get { lock (_lock) return _torrents.Count; } }

    /// <summary>Peers held, over every info hash.</summary>
    public int PeerCount { get { lock (_lock) return _torrents.Values.Sum(p => p.Count); } }

    /// <summary>Adds or refreshes <paramref name="peer"/> for <paramref name="infoHash"/>.</summary>
    public void Add(NodeId infoHash, IPEndPoint peer)
    {
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (!_torrents.TryGetValue(infoHash, out var peers))
            {
                if (_torrents.Count >= MaxTorrents)
                {
                    Expire(now);
                    if (_torrents.Count >= MaxTorrents)
                        _torrents.Remove(_torrents.MinBy(t => t.Value.Values.Max()).Key);
                }
                _torrents[infoHash] = peers = [];
            }
            if (!peers.ContainsKey(peer) && peers.Count >= MaxPeersPerTorrent)
                peers.Remove(peers.MinBy(p => p.Value).Key);
            peers[peer] = now;
        }
    }

    /// <summary>Up to <paramref name="max"/> live peers of <paramref name="infoHash"/>, in random order.</summary>
    public List<IPEndPoint> Get(NodeId infoHash, int max = MaxValuesPerAnswer)
    {
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (!_torrents.TryGetValue(infoHash, out var peers)) return [];
            var live = peers.Where(p => now - p.Value < Lifetime).Select(p => p.Key).ToList();
            Randomness.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(live));
            return live.Take(max).ToList();
        }
    }

    /// <summary>Up to <paramref name="max"/> info hashes with live peers, chosen at random (BEP 51 samples).</summary>
    public List<NodeId> SampleInfoHashes(int max)
    {
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            var live = _torrents.Where(t => t.Value.Values.Any(seen => now - seen < Lifetime)).Select(t => t.Key).ToList();
            Randomness.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(live));
            return live.Take(max).ToList();
        }
    }

    /// <summary>Drops every peer older than <see cref="Lifetime"/> and every info hash left empty.</summary>
    public void Expire() => Expire(_clock.GetUtcNow());

    private void Expire(DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var (hash, peers) in _torrents.ToList())
            {
                foreach (var old in peers.Where(p => now - p.Value >= Lifetime).Select(p => p.Key).ToList()) peers.Remove(old);
                if (peers.Count == 0) _torrents.Remove(hash);
            }
        }
    }
}
