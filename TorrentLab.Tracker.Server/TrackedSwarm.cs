using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's memory: per torrent, the peers that announced and when, and the completed count.</summary>
/// <remarks>Peers are keyed by peer id. A peer that stays silent for two intervals is forgotten (checked lazily
/// on every access, so no timer runs). One lock guards everything: a classroom tracker sees few requests.</remarks>
internal sealed class TrackedSwarm(TimeSpan interval, TimeProvider time, bool shufflePeers = true)
{
    private sealed class Entry(IPEndPoint endPoint, long left, DateTimeOffset seen)
    {
        public IPEndPoint EndPoint = endPoint;
        public long Left = left;
        public DateTimeOffset Seen = seen;
    }

    private sealed class Torrent
    {
        public readonly Dictionary<PeerId, Entry> Peers = [];
        public int Completed;
    }

    private readonly Dictionary<InfoHash, Torrent> _torrents = [];
    private readonly Lock _lock = new();
    private readonly TimeSpan _expiry = interval * 2;

    /// <summary>Records an announce and returns up to <paramref name="numWant"/> other peers, in random order (or, without
    /// shuffling, in the order they first announced).</summary>
    public (List<SwarmPeer> Peers, int Seeders, int Leechers) Announce(InfoHash infoHash, PeerId peerId, IPEndPoint endPoint,
        long left, AnnounceEvent evt, int numWant)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (!_torrents.TryGetValue(infoHash, out var torrent)) _torrents[infoHash] = torrent = new Torrent();
            Expire(torrent, now);
            if (evt == AnnounceEvent.Stopped)
            {
                torrent.Peers.Remove(peerId);
            }
            else
            {
                var known = torrent.Peers.TryGetValue(peerId, out var entry);
                // Count a finished download once: the completed event, or a known leecher now reporting left = 0.
                if (evt == AnnounceEvent.Completed && (!known || entry!.Left > 0)) torrent.Completed++;
                else if (known && entry!.Left > 0 && left == 0) torrent.Completed++;
                torrent.Peers[peerId] = new Entry(endPoint, left, now);
            }
            var others = torrent.Peers.Where(p => !p.Key.Equals(peerId))
                .Select(p => new SwarmPeer(p.Key, p.Value.EndPoint, p.Value.Left)).ToArray();
            if (shufflePeers) Random.Shared.Shuffle(others);   // without removals, a Dictionary enumerates in insertion order
            var (seeders, leechers) = Count(torrent);
            return ([.. others.Take(Math.Max(0, numWant))], seeders, leechers);
        }
    }

    /// <summary>Seeders, leechers and completed downloads of one torrent (zeros when unknown).</summary>
    public ScrapeResult Scrape(InfoHash infoHash)
    {
        var snapshot = Snapshot(infoHash);
        return new ScrapeResult(snapshot.Seeders, snapshot.Leechers, snapshot.Completed);
    }

    /// <summary>Every torrent the tracker has seen.</summary>
    public IReadOnlyList<InfoHash> InfoHashes
    {
        get { lock (_lock) return [.. _torrents.Keys]; }
    }

    public SwarmSnapshot Snapshot(InfoHash infoHash)
    {
        lock (_lock)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent)) return new SwarmSnapshot(infoHash, 0, 0, 0, []);
            Expire(torrent, time.GetUtcNow());
            var (seeders, leechers) = Count(torrent);
            var peers = torrent.Peers.Select(p => new SwarmPeer(p.Key, p.Value.EndPoint, p.Value.Left)).ToArray();
            return new SwarmSnapshot(infoHash, seeders, leechers, torrent.Completed, peers);
        }
    }

    private void Expire(Torrent torrent, DateTimeOffset now)
    {
        foreach (var (peerId, entry) in torrent.Peers.ToArray())
            if (now - entry.Seen > _expiry) torrent.Peers.Remove(peerId);
    }

    private static (int Seeders, int Leechers) Count(Torrent torrent)
    {
        var seeders = torrent.Peers.Values.Count(e => e.Left == 0);
        return (seeders, torrent.Peers.Count - seeders);
    }
}
