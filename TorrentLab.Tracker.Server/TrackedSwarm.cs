using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's memory: per torrent, the peers that announced and when, and the completed count.</summary>
/// <remarks>Each torrent keeps its peers in one array of <see cref="PeerSlot"/> values, in the order they first
/// announced, found by peer id with a scan (an announce already walks the swarm to expire and to choose peers). A peer
/// silent for longer than the peer timeout (<see cref="TrackerServerOptions.PeerTimeout"/>) is forgotten (checked
/// lazily on every access, and by <see cref="Sweep"/>); a torrent whose last peer left is forgotten with it, as
/// opentracker forgets it, completed count and all. One lock guards
/// everything: an announce holds it for a few microseconds (BENCHMARKS.md, "The tracker at opentracker's rate").</remarks>
internal sealed class TrackedSwarm(TimeSpan peerTimeout, TimeProvider time, bool shufflePeers = true)
{
    private sealed class Torrent
    {
        public PeerSlot[] Peers = new PeerSlot[1]; // most torrents have one or two peers
        public int Count;
        public int Completed;
        public int Seeders; // peers with left = 0, kept as entries come and go so an announce need not count them
        public int PartialSeeds; // BEP 21: peers with left > 0 whose last announce said event=paused

        public void Remember(in PeerSlot peer)
        {
            Seeders += peer.Left == 0 ? 1 : 0;
            PartialSeeds += peer.Left > 0 && peer.Paused ? 1 : 0;
        }

        public void Forget(in PeerSlot peer)
        {
            Seeders -= peer.Left == 0 ? 1 : 0;
            PartialSeeds -= peer.Left > 0 && peer.Paused ? 1 : 0;
        }

        public int IndexOf(ReadOnlySpan<byte> peerId)
        {
            for (var i = 0; i < Count; i++)
                if (Peers[i].IsPeer(peerId)) return i;
            return -1;
        }

        // Removes the peer at index, keeping the others in order (the unshuffled lab lists them in that order).
        public void RemoveAt(int index)
        {
            Forget(Peers[index]);
            Array.Copy(Peers, index + 1, Peers, index, Count - index - 1);
            Peers[--Count] = default;
        }
    }

    private readonly Dictionary<InfoHash, Torrent> _torrents = [];
    private readonly Lock _lock = new();
    private readonly long _expiryTicks = peerTimeout.Ticks;

    [ThreadStatic] private static int[]? t_order; // per thread: the indices an answer is chosen from

    /// <summary>Records an announce and returns up to <paramref name="numWant"/> other peers, in random order (or, without
    /// shuffling, in the order they first announced).</summary>
    public (List<SwarmPeer> Peers, int Seeders, int Leechers) Announce(InfoHash infoHash, PeerId peerId, IPEndPoint endPoint,
        long left, AnnounceEvent evt, int numWant)
    {
        lock (_lock)
        {
            var torrent = Record(infoHash, peerId.Bytes, PeerAddress.Of(endPoint), left, evt);
            var chosen = Choose(torrent, peerId.Bytes, numWant);
            var peers = new List<SwarmPeer>(chosen.Length);
            foreach (var index in chosen)
            {
                ref readonly var peer = ref torrent.Peers[index];
                peers.Add(new SwarmPeer(peer.ToPeerId(), peer.ToEndPoint(), peer.Left));
            }
            return (peers, torrent.Seeders, torrent.Count - torrent.Seeders);
        }
    }

    /// <summary>The same announce for the UDP answer, allocation-free: the chosen peers of <paramref name="family"/> are
    /// written into <paramref name="compact"/> as BEP 15 entries (6 bytes for IPv4, 18 for IPv6), as many as fit.</summary>
    public (int Seeders, int Leechers, int Written) Announce(InfoHash infoHash, ReadOnlySpan<byte> peerId, in PeerAddress where,
        long left, AnnounceEvent evt, int numWant, Span<byte> compact, AddressFamily family)
    {
        lock (_lock)
        {
            var torrent = Record(infoHash, peerId, where, left, evt);
            var written = 0;
            var size = family == AddressFamily.InterNetworkV6 ? CompactPeers.IPv6Size : CompactPeers.IPv4Size;
            foreach (var index in Choose(torrent, peerId, numWant))
            {
                ref readonly var peer = ref torrent.Peers[index];
                if (!peer.IsOf(family)) continue;
                if (written + size > compact.Length) break;
                written += peer.WriteCompact(compact[written..]);
            }
            return (torrent.Seeders, torrent.Count - torrent.Seeders, written);
        }
    }

    private Torrent Record(InfoHash infoHash, ReadOnlySpan<byte> peerId, in PeerAddress where, long left, AnnounceEvent evt)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (!_torrents.TryGetValue(infoHash, out var torrent)) _torrents[infoHash] = torrent = new Torrent();
        Expire(torrent, now);
        var index = torrent.IndexOf(peerId);
        if (evt == AnnounceEvent.Stopped)
        {
            if (index >= 0) torrent.RemoveAt(index);
            if (torrent.Count == 0) _torrents.Remove(infoHash); // its last peer left: forgotten
            return torrent;
        }
        // Count a finished download once: the completed event, or a known leecher now reporting left = 0.
        if (evt == AnnounceEvent.Completed && (index < 0 || torrent.Peers[index].Left > 0)) torrent.Completed++;
        else if (index >= 0 && torrent.Peers[index].Left > 0 && left == 0) torrent.Completed++;
        if (index < 0)
        {
            if (torrent.Count == torrent.Peers.Length) Array.Resize(ref torrent.Peers, 2 * torrent.Count);
            index = torrent.Count++;
            peerId.CopyTo(torrent.Peers[index].Id);
        }
        else
        {
            torrent.Forget(torrent.Peers[index]); // a re-announce updates its slot in place
        }
        ref var peer = ref torrent.Peers[index];
        where.CopyTo(ref peer);
        peer.Left = left;
        peer.Seen = now;
        peer.Paused = evt == AnnounceEvent.Paused;   // BEP 21: in every announce while a partial seed
        torrent.Remember(peer);
        return torrent;
    }

    // Up to numWant indices of peers other than the asker: the first numWant of a partial Fisher-Yates shuffle (each
    // subset equally likely), or the first numWant in the order they first announced.
    private ReadOnlySpan<int> Choose(Torrent torrent, ReadOnlySpan<byte> asker, int numWant)
    {
        if (t_order is null || t_order.Length < torrent.Count) t_order = new int[Math.Max(64, torrent.Count)];
        var order = t_order;
        var candidates = 0;
        for (var i = 0; i < torrent.Count; i++)
            if (!torrent.Peers[i].IsPeer(asker)) order[candidates++] = i;
        var count = Math.Min(Math.Max(0, numWant), candidates);
        if (shufflePeers)
        {
            for (var i = 0; i < count; i++)
            {
                var j = Random.Shared.Next(i, candidates);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return order.AsSpan(0, count);
    }

    /// <summary>Seeders, leechers, completed downloads and (BEP 21) the leechers still downloading, of one torrent
    /// (zeros when unknown).</summary>
    public ScrapeResult Scrape(InfoHash infoHash)
    {
        lock (_lock)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent)) return new ScrapeResult(0, 0, 0, 0);
            ExpireOrForget(infoHash, torrent, time.GetUtcNow().UtcTicks);
            return Stats(torrent);
        }
    }

    private static ScrapeResult Stats(Torrent torrent)
    {
        var leechers = torrent.Count - torrent.Seeders;
        return new ScrapeResult(torrent.Seeders, leechers, torrent.Completed, leechers - torrent.PartialSeeds);
    }

    /// <summary>The scrape of at most <paramref name="max"/> torrents, those with most peers (a heap of
    /// <paramref name="max"/>: time grows with the torrents tracked, memory only with <paramref name="max"/>), and how
    /// many torrents are tracked.</summary>
    public (List<(InfoHash InfoHash, ScrapeResult Stats)> Torrents, int Tracked) FullScrape(int max)
    {
        var biggest = new PriorityQueue<(InfoHash, ScrapeResult), int>(max + 1);
        lock (_lock)
        {
            var now = time.GetUtcNow().UtcTicks;
            foreach (var (hash, torrent) in _torrents)
            {
                if (ExpireOrForget(hash, torrent, now)) continue;
                if (biggest.Count == max && biggest.TryPeek(out _, out var smallest) && smallest >= torrent.Count) continue;
                biggest.Enqueue((hash, Stats(torrent)), torrent.Count);
                if (biggest.Count > max) biggest.Dequeue();
            }
            var chosen = new List<(InfoHash, ScrapeResult)>(biggest.Count);
            while (biggest.TryDequeue(out var entry, out _)) chosen.Add(entry);
            chosen.Reverse(); // most peers first
            return (chosen, _torrents.Count);
        }
    }

    /// <summary>Forgets every peer silent past the timeout, and every torrent left without peers (a timer of the
    /// server's calls it, so a torrent nobody asks about again is forgotten too).</summary>
    public void Sweep()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow().UtcTicks;
            foreach (var (hash, torrent) in _torrents) ExpireOrForget(hash, torrent, now); // removing while enumerating is allowed
        }
    }

    /// <summary>How many torrents are held now (without a sweep first).</summary>
    public int Count
    {
        get { lock (_lock) return _torrents.Count; }
    }

    /// <summary>Every torrent the tracker has a live peer for.</summary>
    public IReadOnlyList<InfoHash> InfoHashes
    {
        get
        {
            Sweep();
            lock (_lock) return [.. _torrents.Keys];
        }
    }

    public SwarmSnapshot Snapshot(InfoHash infoHash)
    {
        lock (_lock)
        {
            if (!_torrents.TryGetValue(infoHash, out var torrent)) return new SwarmSnapshot(infoHash, 0, 0, 0, []);
            ExpireOrForget(infoHash, torrent, time.GetUtcNow().UtcTicks);
            var peers = new SwarmPeer[torrent.Count];
            for (var i = 0; i < torrent.Count; i++)
                peers[i] = new SwarmPeer(torrent.Peers[i].ToPeerId(), torrent.Peers[i].ToEndPoint(), torrent.Peers[i].Left);
            return new SwarmSnapshot(infoHash, torrent.Seeders, torrent.Count - torrent.Seeders, torrent.Completed, peers);
        }
    }

    // Under the lock: expires, and forgets the torrent when no peer is left. True when it was forgotten.
    private bool ExpireOrForget(InfoHash infoHash, Torrent torrent, long now)
    {
        Expire(torrent, now);
        return torrent.Count == 0 && _torrents.Remove(infoHash);
    }

    // One pass that keeps the live peers in order: nothing allocated, and nothing moved while no one expired.
    private void Expire(Torrent torrent, long now)
    {
        var kept = 0;
        for (var i = 0; i < torrent.Count; i++)
        {
            if (now - torrent.Peers[i].Seen > _expiryTicks)
            {
                torrent.Forget(torrent.Peers[i]);
                continue;
            }
            if (kept != i) torrent.Peers[kept] = torrent.Peers[i];
            kept++;
        }
        if (kept == torrent.Count) return;
        Array.Clear(torrent.Peers, kept, torrent.Count - kept);
        torrent.Count = kept;
    }
}
