using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's memory: per torrent, the peers that announced and when, and the completed count.</summary>
/// <remarks>Peers are keyed by peer id. A peer that stays silent for two intervals is forgotten (checked lazily
/// on every access, so no timer runs). One lock guards everything: an announce holds it for a few
/// microseconds (measured in BENCHMARKS.md, "The tracker at opentracker's rate").</remarks>
internal sealed class TrackedSwarm(TimeSpan interval, TimeProvider time, bool shufflePeers = true)
{
    private sealed class Entry(IPEndPoint endPoint, long left, DateTimeOffset seen)
    {
        public IPEndPoint EndPoint = endPoint;
        public long Left = left;
        public DateTimeOffset Seen = seen;
        public bool Paused;   // BEP 21: its last announce said event=paused (a partial seed)
    }

    private sealed class Torrent
    {
        public readonly Dictionary<PeerId, Entry> Peers = [];
        public int Completed;
        public int Seeders; // peers with left = 0, kept as entries come and go so an announce need not count them
        public int PartialSeeds; // BEP 21: peers with left > 0 whose last announce said event=paused

        public void Remember(Entry entry)
        {
            Seeders += entry.Left == 0 ? 1 : 0;
            PartialSeeds += entry.Left > 0 && entry.Paused ? 1 : 0;
        }

        public void Forget(Entry entry)
        {
            Seeders -= entry.Left == 0 ? 1 : 0;
            PartialSeeds -= entry.Left > 0 && entry.Paused ? 1 : 0;
        }
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
            var torrent = Record(infoHash, peerId, endPoint, left, evt);
            var chosen = Choose(torrent, peerId, numWant);
            var peers = new List<SwarmPeer>(chosen.Count);
            foreach (var (id, entry) in chosen) peers.Add(new SwarmPeer(id, entry.EndPoint, entry.Left));
            var (seeders, leechers) = Count(torrent);
            return (peers, seeders, leechers);
        }
    }

    /// <summary>The same announce for the UDP answer, which needs only addresses: they are added to
    /// <paramref name="endPoints"/> (cleared first; the caller reuses one list), with no record allocated per peer.</summary>
    public (int Seeders, int Leechers) Announce(InfoHash infoHash, PeerId peerId, IPEndPoint endPoint,
        long left, AnnounceEvent evt, int numWant, List<IPEndPoint> endPoints)
    {
        endPoints.Clear();
        lock (_lock)
        {
            var torrent = Record(infoHash, peerId, endPoint, left, evt);
            foreach (var (_, entry) in Choose(torrent, peerId, numWant)) endPoints.Add(entry.EndPoint);
            return Count(torrent);
        }
    }

    private Torrent Record(InfoHash infoHash, PeerId peerId, IPEndPoint endPoint, long left, AnnounceEvent evt)
    {
        var now = time.GetUtcNow();
        if (!_torrents.TryGetValue(infoHash, out var torrent)) _torrents[infoHash] = torrent = new Torrent();
        Expire(torrent, now);
        if (evt == AnnounceEvent.Stopped)
        {
            if (torrent.Peers.Remove(peerId, out var gone)) torrent.Forget(gone);
            return torrent;
        }
        var known = torrent.Peers.TryGetValue(peerId, out var entry);
        // Count a finished download once: the completed event, or a known leecher now reporting left = 0.
        if (evt == AnnounceEvent.Completed && (!known || entry!.Left > 0)) torrent.Completed++;
        else if (known && entry!.Left > 0 && left == 0) torrent.Completed++;
        if (known)
        {
            // A re-announce updates the entry in place: no allocation for the common case.
            torrent.Forget(entry!);
            if (!entry!.EndPoint.Equals(endPoint)) entry.EndPoint = endPoint;
            entry.Left = left;
            entry.Seen = now;
            entry.Paused = evt == AnnounceEvent.Paused;   // BEP 21: in every announce while a partial seed
            torrent.Remember(entry);
        }
        else
        {
            torrent.Remember(torrent.Peers[peerId] = new Entry(endPoint, left, now) { Paused = evt == AnnounceEvent.Paused });
        }
        return torrent;
    }

    // Up to numWant peers other than the asker: the first numWant of a partial Fisher-Yates shuffle (each subset
    // equally likely), or the first numWant in insertion order. The list is per thread and reused.
    private List<KeyValuePair<PeerId, Entry>> Choose(Torrent torrent, PeerId asker, int numWant)
    {
        var candidates = t_candidates ??= [];
        candidates.Clear();
        foreach (var pair in torrent.Peers)
            if (!pair.Key.Equals(asker)) candidates.Add(pair);
        var count = Math.Min(Math.Max(0, numWant), candidates.Count);
        if (shufflePeers)
        {
            for (var i = 0; i < count; i++)
            {
                var j = Random.Shared.Next(i, candidates.Count);
                (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
            }
        }
        candidates.RemoveRange(count, candidates.Count - count);
        return candidates;
    }

    [ThreadStatic] private static List<KeyValuePair<PeerId, Entry>>? t_candidates;

    /// <summary>Seeders, leechers, completed downloads and (BEP 21) the leechers still downloading, of one torrent
    /// (zeros when unknown).</summary>
    public ScrapeResult Scrape(InfoHash infoHash)
    {
        lock (_lock)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent)) return new ScrapeResult(0, 0, 0, 0);
            Expire(torrent, time.GetUtcNow());
            var (seeders, leechers) = Count(torrent);
            return new ScrapeResult(seeders, leechers, torrent.Completed, leechers - torrent.PartialSeeds);
        }
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

    // Removing while enumerating a Dictionary is allowed (since .NET Core 3.0), so this walk allocates nothing.
    private void Expire(Torrent torrent, DateTimeOffset now)
    {
        foreach (var (peerId, entry) in torrent.Peers)
            if (now - entry.Seen > _expiry && torrent.Peers.Remove(peerId)) torrent.Forget(entry);
    }

    private static (int Seeders, int Leechers) Count(Torrent torrent) => (torrent.Seeders, torrent.Peers.Count - torrent.Seeders);
}
