namespace TorrentLab.Dht;

/// <summary>What happened to a node offered to the routing table.</summary>
internal enum InsertOutcome
{
    /// <summary>The node was already there; its liveness was updated.</summary>
    Updated,
    /// <summary>The node took a free slot, or the slot of a bad node.</summary>
    Added,
    /// <summary>The bucket is full of good nodes and cannot split: the node was dropped.</summary>
    Dropped,
    /// <summary>The bucket is full but holds questionable nodes: the node waits as a replacement while the
    /// questionable one is pinged.</summary>
    Pending,
}

/// <summary>The routing table of k-buckets (BEP 5, K = 8; the four farthest buckets larger, <see cref="Capacity"/>):
/// many nodes close to our own id, few far away.</summary>
/// <remarks>Bucket i (all but the last) holds the nodes whose ids share exactly i leading bits with ours; the last
/// bucket holds every node sharing at least as many, and is the only one our own id falls in, so it is the only one
/// that splits. Not thread-safe: the node serializes calls. Liveness rules are in <see cref="RoutingEntry"/>.</remarks>
internal sealed class RoutingTable
{
    /// <summary>BEP 5: "Each bucket can only hold K nodes, currently eight, before becoming full."</summary>
    public const int K = 8;

    // BEP 5: "Buckets that have not been changed in 15 minutes should be "refreshed.""
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(15);

    private readonly List<KBucket> _buckets = [];
    private readonly TimeProvider _clock;
    private readonly bool _extended;

    // The entries' endpoints and addresses (with how many entries have each: local addresses may repeat), so the
    // one-per-address rules need no pass over a table of a few hundred nodes for every datagram heard.
    private readonly HashSet<System.Net.IPEndPoint> _endPoints = [];
    private readonly Dictionary<System.Net.IPAddress, int> _addresses = [];

    /// <param name="own">Our node id.</param>
    /// <param name="clock">The clock liveness is judged on.</param>
    /// <param name="extended">The four farthest buckets hold more than K nodes (<see cref="Capacity"/>); false: every
    /// bucket holds K, as BEP 5 describes.</param>
    public RoutingTable(NodeId own, TimeProvider? clock = null, bool extended = true)
    {
        Own = own;
        _clock = clock ?? TimeProvider.System;
        _extended = extended;
        _buckets.Add(new KBucket(0, Now));
    }

    /// <summary>How many nodes bucket <paramref name="index"/> holds: 128, 64, 32 and 16 for the four farthest (half,
    /// a quarter, an eighth and a sixteenth of the id space), K for the others.</summary>
    /// <remarks>libtorrent's <c>dht_extended_routing_table</c> (on by default) sizes its first buckets so. A lookup
    /// starts from the nodes of our table closest to the target, which for most targets lie in the farthest buckets:
    /// the closest of 128 nodes in the target's half shares about 7 bits with it where the closest of 8 shares 3, so the
    /// walk needs about one round trip less (bench/sim/run.sh dht). A bucket is still one /24 per node.</remarks>
    public int Capacity(int index) => !_extended ? K : index switch { 0 => 16 * K, 1 => 8 * K, 2 => 4 * K, 3 => 2 * K, _ => K };

    public NodeId Own { get; }

    /// <summary>The buckets, from the farthest half of the id space to the one holding our id.</summary>
    public IReadOnlyList<KBucket> Buckets => _buckets;

    /// <summary>Nodes in the table (not counting replacements).</summary>
    public int Count => _buckets.Sum(b => b.Entries.Count);

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>Every entry, bucket by bucket.</summary>
    public IEnumerable<RoutingEntry> Entries => _buckets.SelectMany(b => b.Entries);

    /// <summary>Records that <paramref name="contact"/> answered one of our queries (<paramref name="responded"/>) or
    /// sent us a query, and inserts it when there is room (BEP 5's insertion rules).</summary>
    public InsertOutcome Heard(NodeContact contact, bool responded)
    {
        if (contact.Id == Own) return InsertOutcome.Dropped;
        var now = Now;
        while (true)
        {
            var bucket = BucketFor(contact.Id);
            if (bucket.Find(contact.Id) is { } known)
            {
                if (!known.Contact.EndPoint.Equals(contact.EndPoint)) return InsertOutcome.Dropped; // an id does not move
                if (responded) { known.LastResponse = now; known.Failures = 0; }
                else known.LastQuery = now;
                bucket.LastChanged = now;
                return InsertOutcome.Updated;
            }
            if (_endPoints.Contains(contact.EndPoint)) return InsertOutcome.Dropped; // one id per address
            if (!MayHold(contact, bucket)) return InsertOutcome.Dropped;

            var entry = new RoutingEntry(contact) { LastResponse = responded ? now : null, LastQuery = responded ? null : now };
            if (bucket.Entries.Count < Capacity(bucket.Depth))
            {
                bucket.Entries.Add(entry);
                Track(entry);
                bucket.LastChanged = now;
                return InsertOutcome.Added;
            }
            // BEP 5: "If any nodes in the bucket are known to have become bad, then one is replaced by the new node."
            var bad = bucket.Entries.FirstOrDefault(e => e.StatusAt(now) == NodeStatus.Bad);
            if (bad is not null)
            {
                Replace(bucket, bad, entry);
                bucket.LastChanged = now;
                return InsertOutcome.Added;
            }
            // BEP 5: "When a bucket is full of known good nodes, no more nodes may be added unless our own node ID falls
            // within the range of the bucket. In that case, the bucket is replaced by two new buckets each with half the
            // range of the old bucket and the nodes from the old bucket are distributed among the two new ones."
            if (bucket == _buckets[^1] && _buckets.Count < NodeId.Bits)
            {
                Split();
                continue;
            }
            // BEP 5: questionable nodes are pinged; one that fails is replaced. The newcomer waits for that.
            if (bucket.Entries.Any(e => e.StatusAt(now) == NodeStatus.Questionable))
            {
                bucket.AddReplacement(contact);
                return InsertOutcome.Pending;
            }
            return InsertOutcome.Dropped;
        }
    }

    /// <summary>Records a query to <paramref name="id"/> that got no answer; a node that turns bad gives its slot to
    /// the newest waiting replacement. Returns the node's status afterwards (null when it is not in the table).</summary>
    public NodeStatus? Failed(NodeId id)
    {
        var bucket = BucketFor(id);
        if (bucket.Find(id) is not { } entry) return null;
        entry.Failures++;
        var status = entry.StatusAt(Now);
        if (status == NodeStatus.Bad && bucket.TakeReplacement() is { } replacement)
        {
            Replace(bucket, entry, new RoutingEntry(replacement) { LastQuery = Now });
            bucket.LastChanged = Now;
        }
        return status;
    }

    /// <summary>Up to <paramref name="count"/> nodes closest to <paramref name="target"/>, bad nodes left out.</summary>
    public List<NodeContact> Closest(NodeId target, int count = K)
    {
        var now = Now;
        return Entries.Where(e => e.StatusAt(now) != NodeStatus.Bad).Select(e => e.Contact)
            .OrderBy(c => c, Comparer<NodeContact>.Create((a, b) => target.CompareDistance(a.Id, b.Id)))
            .Take(count).ToList();
    }

    /// <summary>The questionable nodes of full buckets with waiting replacements: the ones to ping now.</summary>
    public List<NodeContact> ToPing()
    {
        var now = Now;
        return _buckets.Where(b => b.Replacements.Count > 0)
            .SelectMany(b => b.Entries.Where(e => e.StatusAt(now) == NodeStatus.Questionable).OrderBy(e => e.LastSeen).Take(1))
            .Select(e => e.Contact).ToList();
    }

    /// <summary>A random target inside each bucket not changed for <see cref="RefreshAfter"/>; a find_node lookup of it
    /// refreshes the bucket (BEP 5).</summary>
    public List<NodeId> RefreshTargets(Random random)
    {
        var now = Now;
        var targets = new List<NodeId>();
        for (var i = 0; i < _buckets.Count; i++)
        {
            if (now - _buckets[i].LastChanged < RefreshAfter) continue;
            targets.Add(Own.RandomWithPrefix(i, random)); // shares exactly i bits: inside bucket i (the last one too)
            _buckets[i].LastChanged = now; // one refresh per period, whether or not the lookup finds anyone
        }
        return targets;
    }

    /// <summary>A random target at each distance farther than our nearest neighbour (sharing 0, 1, ... bits with our
    /// id, up to the bits our nearest known node shares), each bucket they fall in counted as refreshed now: what a node
    /// looks up right after joining (Kademlia: "u refreshes all k-buckets further away than its closest neighbor").</summary>
    /// <remarks>By distance rather than by bucket: a bucket of the extended table (<see cref="Capacity"/>) splits only once
    /// it holds more than K, so right after the first lookup the whole table may still be one bucket.</remarks>
    public List<NodeId> FartherTargets(Random random)
    {
        var now = Now;
        var nearest = Entries.Select(e => Own.CommonPrefixLength(e.Contact.Id)).DefaultIfEmpty(0).Max();
        var targets = new List<NodeId>();
        for (var i = 0; i < Math.Min(nearest, NodeId.Bits - 1); i++)
        {
            var target = Own.RandomWithPrefix(i, random); // shares exactly i bits
            targets.Add(target);
            BucketFor(target).LastChanged = now;
        }
        return targets;
    }

    /// <summary>Whether a new node at <paramref name="contact"/>'s address may enter <paramref name="bucket"/> (or wait
    /// as its replacement): one node per IP address in the whole table, and one per /24 (IPv4) or /64 (IPv6) in a
    /// bucket, so one host with many ports, or one subnet, cannot fill the table (libtorrent's
    /// <c>dht_restrict_routing_ips</c> makes the same two rules). Loopback and local networks are exempt, as BEP 42
    /// exempts them: several nodes there may share a machine.</summary>
    private bool MayHold(NodeContact contact, KBucket bucket)
    {
        var address = Plain(contact.EndPoint.Address);
        if (SecureNodeId.IsExempt(address)) return true;
        if (_addresses.ContainsKey(address)) return false;
        var prefix = Prefix(address);
        return !bucket.Entries.Any(e => Prefix(Plain(e.Contact.EndPoint.Address)) == prefix)
            && !bucket.Replacements.Any(r => r.Id != contact.Id && Prefix(Plain(r.EndPoint.Address)) == prefix);
    }

    private void Replace(KBucket bucket, RoutingEntry old, RoutingEntry entry)
    {
        bucket.Entries[bucket.Entries.IndexOf(old)] = entry;
        Untrack(old);
        Track(entry);
    }

    private void Track(RoutingEntry entry)
    {
        _endPoints.Add(entry.Contact.EndPoint);
        var address = Plain(entry.Contact.EndPoint.Address);
        _addresses[address] = _addresses.GetValueOrDefault(address) + 1;
    }

    private void Untrack(RoutingEntry entry)
    {
        _endPoints.Remove(entry.Contact.EndPoint);
        var address = Plain(entry.Contact.EndPoint.Address);
        if (_addresses.TryGetValue(address, out var n) && n > 1) _addresses[address] = n - 1;
        else _addresses.Remove(address);
    }

    private static System.Net.IPAddress Plain(System.Net.IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    /// <summary>The /24 of an IPv4 address, the /64 of an IPv6 one, as a number.</summary>
    private static UInt128 Prefix(System.Net.IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var length);
        return length == 4
            ? (UInt128)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b) >> 8)
            : (UInt128)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b) << 64 | 1; // distinct from any /24
    }

    private KBucket BucketFor(NodeId id) => _buckets[Math.Min(Own.CommonPrefixLength(id), _buckets.Count - 1)];

    private void Split()
    {
        var last = _buckets[^1];
        var depth = _buckets.Count - 1;
        var next = new KBucket(depth + 1, Now);
        next.Entries.AddRange(last.Entries.Where(e => Own.CommonPrefixLength(e.Contact.Id) > depth));
        last.Entries.RemoveAll(next.Entries.Contains);
        _buckets.Add(next);
    }
}

/// <summary>One k-bucket: up to K nodes and a short list of replacements waiting for a slot.</summary>
internal sealed class KBucket(int depth, DateTimeOffset created)
{
    /// <summary>How many leading bits of our id its nodes share (at least, for the last bucket).</summary>
    public int Depth { get; } = depth;
    public List<RoutingEntry> Entries { get; } = [];
    public List<NodeContact> Replacements { get; } = [];
    public DateTimeOffset LastChanged { get; set; } = created;

    public RoutingEntry? Find(NodeId id) => Entries.FirstOrDefault(e => e.Contact.Id == id);

    public void AddReplacement(NodeContact contact)
    {
        Replacements.RemoveAll(r => r.Id == contact.Id);
        Replacements.Add(contact);
        if (Replacements.Count > RoutingTable.K) Replacements.RemoveAt(0); // bounded: the newest K wait
    }

    public NodeContact? TakeReplacement()
    {
        if (Replacements.Count == 0) return null;
        var newest = Replacements[^1];
        Replacements.RemoveAt(Replacements.Count - 1);
        return newest;
    }
}
