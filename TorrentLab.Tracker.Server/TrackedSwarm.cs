using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>The tracker's memory: per torrent, the peers that announced and when, and the completed count.</summary>
/// <remarks>
/// Each torrent has its own lock, so an announce waits only for announces into the same torrent, and its cost does not
/// grow with the size of that torrent either (issue 53: a torrent of 69,000 peers took honest announces into another
/// from 8,046 to 2,170 a second, as every announce walked its swarm three times under one lock for all):
/// <list type="bullet">
/// <item>a peer is found by its id in a dictionary once a torrent has more than <see cref="ScanBelow"/> peers;</item>
/// <item>peers are kept on a list from the longest silent to the latest announced, so expiry looks only at the
/// peers it forgets (a peer silent past the peer timeout is forgotten on the next access, and by <see cref="Sweep"/>);</item>
/// <item>a forgotten peer leaves a hole in the array, filled in by a compaction (which keeps the order of the others)
/// once the holes outnumber the peers;</item>
/// <item>an answer draws one peer from each of numwant equal stretches of the array (stratified sampling, as opentracker
/// spreads its answer over its swarm), rather than shuffling every index.</item>
/// </list>
/// A torrent whose last peer leaves is forgotten with it, completed count and all, as opentracker forgets it. A torrent
/// holds at most <see cref="TrackerServerOptions.MaxPeersPerTorrent"/> peers: past it a newcomer gets its answer but is
/// not recorded (the peers already there keep their places). An address starts at most its share of torrents
/// (<c>TrackedSwarm.Share.cs</c>).
/// </remarks>
internal sealed partial class TrackedSwarm(TimeSpan peerTimeout, TimeProvider time, bool shufflePeers = true, int maxPeersPerTorrent = int.MaxValue,
    int maxTorrentsPerAddress = int.MaxValue)
{
    private const int ScanBelow = 16; // up to this many slots, a scan of 20-byte ids beats hashing one

    private sealed class Torrent
    {
        public readonly Lock Lock = new();
        public bool Forgotten;                           // removed from the table: an announce that found it tries again
        public Origin Starter;                           // the address whose announce made the tracker hold it
        public PeerSlot[] Peers = new PeerSlot[1];       // most torrents have one or two peers
        public int Length;                               // slots in use, live or holes, in the order peers first announced
        public int Count;                                // live peers
        public int Completed;
        public int Seeders;                              // live peers with left = 0
        public int PartialSeeds;                         // BEP 21: live peers with left > 0 whose last announce said paused
        public Dictionary<PeerKey, int>? Index;          // peer id -> slot, once Length passes ScanBelow
        public int Oldest = -1, Newest = -1;             // the live peers by last announce: Oldest is the longest silent

        public void Tally(in PeerSlot peer, int sign)
        {
            Seeders += peer.Left == 0 ? sign : 0;
            PartialSeeds += peer.Left > 0 && peer.Paused ? sign : 0;
        }

        public int IndexOf(ReadOnlySpan<byte> peerId)
        {
            if (Index is not null) return Index.TryGetValue(PeerKey.Of(peerId), out var found) ? found : -1;
            for (var i = 0; i < Length; i++)
                if (Peers[i].Live && Peers[i].IsPeer(peerId)) return i;
            return -1;
        }

        public void Unlink(int i)
        {
            ref var peer = ref Peers[i];
            if (peer.Older >= 0) Peers[peer.Older].Newer = peer.Newer; else Oldest = peer.Newer;
            if (peer.Newer >= 0) Peers[peer.Newer].Older = peer.Older; else Newest = peer.Older;
        }

        public void LinkNewest(int i)
        {
            Peers[i].Older = Newest;
            Peers[i].Newer = -1;
            if (Newest >= 0) Peers[Newest].Newer = i; else Oldest = i;
            Newest = i;
        }

        public void Remove(int i)
        {
            Tally(Peers[i], -1);
            Unlink(i);
            Index?.Remove(PeerKey.Of(Peers[i].Id));
            Peers[i] = default;   // Live = false: a hole
            Count--;
            if (i == Length - 1) Length--;   // a hole at the end is no hole
            if (Length - Count > Math.Max(8, Count)) Compact();
        }

        // Squeezes out the holes, keeping the live peers in the order they first announced and on the list in the
        // order they last announced: O(Length), once per Length / 2 removals.
        public void Compact()
        {
            var moved = new int[Length];
            var kept = 0;
            for (var i = 0; i < Length; i++)
            {
                if (!Peers[i].Live) continue;
                moved[i] = kept;
                Peers[kept++] = Peers[i];
            }
            Array.Clear(Peers, kept, Length - kept);
            Length = kept;
            for (var i = 0; i < Length; i++)
            {
                if (Peers[i].Older >= 0) Peers[i].Older = moved[Peers[i].Older];
                if (Peers[i].Newer >= 0) Peers[i].Newer = moved[Peers[i].Newer];
            }
            if (Oldest >= 0) (Oldest, Newest) = (moved[Oldest], moved[Newest]);
            if (Peers.Length > 4 * Math.Max(Length, 1)) Array.Resize(ref Peers, Math.Max(2 * Length, 1)); // give memory back
            if (Index is null) return;
            Index.Clear();
            for (var i = 0; i < Length; i++) Index[PeerKey.Of(Peers[i].Id)] = i;
        }

        public int Add(ReadOnlySpan<byte> peerId)
        {
            if (Length == Peers.Length)
            {
                if (Length - Count > Length / 4) Compact();   // room from holes, before more memory
                else Array.Resize(ref Peers, 2 * Length);
            }
            var i = Length++;
            peerId.CopyTo(Peers[i].Id);
            Peers[i].Live = true;
            Count++;
            if (Index is null && Length > ScanBelow)
            {
                Index = new Dictionary<PeerKey, int>(2 * Length);
                for (var j = 0; j < Length; j++)
                    if (Peers[j].Live) Index[PeerKey.Of(Peers[j].Id)] = j;
            }
            else Index?.Add(PeerKey.Of(peerId), i);
            LinkNewest(i);
            return i;
        }
    }

    /// <summary>A peer id as a dictionary key: its 20 bytes as three integers.</summary>
    private readonly record struct PeerKey(ulong A, ulong B, uint C)
    {
        public static PeerKey Of(ReadOnlySpan<byte> id) =>
            new(MemoryMarshal.Read<ulong>(id), MemoryMarshal.Read<ulong>(id[8..]), MemoryMarshal.Read<uint>(id[16..]));
    }

    private readonly ConcurrentDictionary<InfoHash, Torrent> _torrents = new();
    private readonly long _expiryTicks = peerTimeout.Ticks;

    [ThreadStatic] private static int[]? t_order; // per thread: the indices an answer is chosen from

    /// <summary>Records an announce and returns up to <paramref name="numWant"/> other peers, in random order (or, without
    /// shuffling, in the order they first announced).</summary>
    public (List<SwarmPeer> Peers, int Seeders, int Leechers) Announce(InfoHash infoHash, PeerId peerId, IPEndPoint endPoint,
        long left, AnnounceEvent evt, int numWant)
    {
        var where = PeerAddress.Of(endPoint);
        while (true)
        {
            if (TorrentFor(infoHash, where, evt) is not { } torrent) return ([], 0, 0);
            lock (torrent.Lock)
            {
                if (torrent.Forgotten) continue; // forgotten between the lookup and the lock: take the new one
                Record(infoHash, torrent, peerId.Bytes, where, left, evt);
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
    }

    /// <summary>The same announce for the UDP answer, allocation-free: the chosen peers of <paramref name="family"/> are
    /// written into <paramref name="compact"/> as BEP 15 entries (6 bytes for IPv4, 18 for IPv6), as many as fit.</summary>
    public (int Seeders, int Leechers, int Written) Announce(InfoHash infoHash, ReadOnlySpan<byte> peerId, in PeerAddress where,
        long left, AnnounceEvent evt, int numWant, Span<byte> compact, AddressFamily family)
    {
        while (true)
        {
            if (TorrentFor(infoHash, where, evt) is not { } torrent) return (0, 0, 0);
            lock (torrent.Lock)
            {
                if (torrent.Forgotten) continue;
                Record(infoHash, torrent, peerId, where, left, evt);
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
    }

    // Under the torrent's lock.
    private void Record(InfoHash infoHash, Torrent torrent, ReadOnlySpan<byte> peerId, in PeerAddress where, long left, AnnounceEvent evt)
    {
        var now = time.GetUtcNow().UtcTicks;
        Expire(torrent, now);
        var index = torrent.IndexOf(peerId);
        if (evt == AnnounceEvent.Stopped)
        {
            if (index >= 0) torrent.Remove(index);
            if (torrent.Count == 0) Forget(infoHash, torrent); // its last peer left
            return;
        }
        // Count a finished download once: the completed event, or a known leecher now reporting left = 0.
        if (evt == AnnounceEvent.Completed && (index < 0 || torrent.Peers[index].Left > 0)) torrent.Completed++;
        else if (index >= 0 && torrent.Peers[index].Left > 0 && left == 0) torrent.Completed++;
        if (index < 0)
        {
            if (torrent.Count >= maxPeersPerTorrent) return; // full: answered, not recorded
            index = torrent.Add(peerId);
        }
        else
        {
            torrent.Tally(torrent.Peers[index], -1); // a re-announce updates its slot in place
            torrent.Unlink(index);
            torrent.LinkNewest(index);
        }
        ref var peer = ref torrent.Peers[index];
        where.CopyTo(ref peer);
        peer.Left = left;
        peer.Seen = now;
        peer.Paused = evt == AnnounceEvent.Paused;   // BEP 21: in every announce while a partial seed
        torrent.Tally(peer, +1);
    }

    // Up to numWant slots of live peers other than the asker. Shuffled: in a small torrent, the first numWant of a
    // partial Fisher-Yates shuffle (each subset equally likely); in a big one, one random peer from each of numWant
    // equal stretches of the array, so the cost follows numwant, not the torrent. Unshuffled: the first numWant in the
    // order they first announced.
    private ReadOnlySpan<int> Choose(Torrent torrent, ReadOnlySpan<byte> asker, int numWant)
    {
        numWant = Math.Max(0, numWant);
        var small = !shufflePeers || torrent.Count <= 2 * numWant + 1;
        var room = small ? torrent.Length : numWant;
        if (t_order is null || t_order.Length < room) t_order = new int[Math.Max(64, room)];
        var order = t_order;
        var found = 0;
        if (small)
        {
            for (var i = 0; i < torrent.Length && (shufflePeers || found < numWant); i++)
                if (torrent.Peers[i].Live && !torrent.Peers[i].IsPeer(asker)) order[found++] = i;
            var count = Math.Min(numWant, found);
            if (shufflePeers)
            {
                for (var i = 0; i < count; i++)
                {
                    var j = Random.Shared.Next(i, found);
                    (order[i], order[j]) = (order[j], order[i]);
                }
            }
            return order.AsSpan(0, count);
        }
        var stretch = (double)torrent.Length / numWant; // more than 2: Length >= Count > 2 numWant + 1
        for (var k = 0; k < numWant; k++)
        {
            var low = (int)(k * stretch);
            var width = (int)((k + 1) * stretch) - low;
            var start = Random.Shared.Next(width);
            for (var j = 0; j < width; j++)
            {
                var i = low + (start + j) % width;
                if (!torrent.Peers[i].Live || torrent.Peers[i].IsPeer(asker)) continue;
                order[found++] = i;
                break;
            }
        }
        return order.AsSpan(0, found);
    }

    /// <summary>Seeders, leechers, completed downloads and (BEP 21) the leechers still downloading, of one torrent
    /// (zeros when unknown).</summary>
    public ScrapeResult Scrape(InfoHash infoHash)
    {
        if (!_torrents.TryGetValue(infoHash, out var torrent)) return new ScrapeResult(0, 0, 0, 0);
        lock (torrent.Lock)
        {
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
        var now = time.GetUtcNow().UtcTicks;
        var tracked = 0;
        foreach (var (hash, torrent) in _torrents) // a moment's view, each torrent under its own lock in turn
        {
            lock (torrent.Lock)
            {
                if (ExpireOrForget(hash, torrent, now)) continue;
                tracked++;
                if (biggest.Count == max && biggest.TryPeek(out _, out var smallest) && smallest >= torrent.Count) continue;
                biggest.Enqueue((hash, Stats(torrent)), torrent.Count);
                if (biggest.Count > max) biggest.Dequeue();
            }
        }
        var chosen = new List<(InfoHash, ScrapeResult)>(biggest.Count);
        while (biggest.TryDequeue(out var entry, out _)) chosen.Add(entry);
        chosen.Reverse(); // most peers first
        return (chosen, tracked);
    }

    /// <summary>Forgets every peer silent past the timeout, and every torrent left without peers (a timer of the
    /// server's calls it, so a torrent nobody asks about again is forgotten too).</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow().UtcTicks;
        foreach (var (hash, torrent) in _torrents)
            lock (torrent.Lock) ExpireOrForget(hash, torrent, now);
    }

    /// <summary>How many torrents are held now (without a sweep first).</summary>
    public int Count => _torrents.Count;

    /// <summary>Every torrent the tracker has a live peer for.</summary>
    public IReadOnlyList<InfoHash> InfoHashes
    {
        get
        {
            Sweep();
            return [.. _torrents.Keys];
        }
    }

    public SwarmSnapshot Snapshot(InfoHash infoHash)
    {
        if (!_torrents.TryGetValue(infoHash, out var torrent)) return new SwarmSnapshot(infoHash, 0, 0, 0, []);
        lock (torrent.Lock)
        {
            ExpireOrForget(infoHash, torrent, time.GetUtcNow().UtcTicks);
            var peers = new List<SwarmPeer>(torrent.Count);
            for (var i = 0; i < torrent.Length; i++)
                if (torrent.Peers[i].Live) peers.Add(new SwarmPeer(torrent.Peers[i].ToPeerId(), torrent.Peers[i].ToEndPoint(), torrent.Peers[i].Left));
            return new SwarmSnapshot(infoHash, torrent.Seeders, torrent.Count - torrent.Seeders, torrent.Completed, peers);
        }
    }

    // Under the torrent's lock: expires, and forgets the torrent when no peer is left. True when it was forgotten.
    private bool ExpireOrForget(InfoHash infoHash, Torrent torrent, long now)
    {
        Expire(torrent, now);
        if (torrent.Count > 0) return false;
        Forget(infoHash, torrent);
        return true;
    }

    // Under the torrent's lock; once per torrent, which gives its place back to the address that started it.
    private void Forget(InfoHash infoHash, Torrent torrent)
    {
        if (torrent.Forgotten) return;
        torrent.Forgotten = true;
        _torrents.TryRemove(new KeyValuePair<InfoHash, Torrent>(infoHash, torrent));
        Release(torrent.Starter);
    }

    // From the longest silent peer on: stops at the first one still live, so it costs only what it forgets.
    private void Expire(Torrent torrent, long now)
    {
        while (torrent.Oldest >= 0 && now - torrent.Peers[torrent.Oldest].Seen > _expiryTicks)
            torrent.Remove(torrent.Oldest);
    }
}
