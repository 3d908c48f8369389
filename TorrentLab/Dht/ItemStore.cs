namespace TorrentLab.Dht;

/// <summary>The BEP 44 items other nodes put to us, by target, bounded in number and expiring.</summary>
/// <remarks>BEP 44 leaves storage limits to the node. Ours: at most <see cref="MaxItems"/> items of at most 1000 bytes
/// each (about 1 MiB); an item not put again within <see cref="Lifetime"/> expires (publishers re-put their items well
/// within that). Each item belongs to the network of its last putter (its /24, or /64 for IPv6; its address on a local
/// network, which BEP 42 exempts too), and one network holds at most <see cref="MaxItemsPerSource"/>: a source over its
/// quota replaces its own oldest item, and a full store evicts the oldest item of the source holding the most. So a put
/// flood from one address (or one /24) cannot push out the items others stored. The rules of a mutable put (seq, cas)
/// are in <see cref="Put"/>; the signature is checked before, by the caller.</remarks>
internal sealed class ItemStore(TimeProvider? clock = null)
{
    public const int MaxItems = 1_000;

    /// <summary>Items one source (one /24, one /64, or one local address) may hold: 5 % of the store, so at least twenty
    /// sources share it whatever one of them puts.</summary>
    public const int MaxItemsPerSource = 50;

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<NodeId, (DhtItem Item, DateTimeOffset PutAt, string? Source)> _items = [];
    private readonly Lock _lock = new();

    /// <summary>Items held.</summary>
    public int Count { get { lock (_lock) return _items.Count; } }

    /// <summary>The live item stored under <paramref name="target"/>, or null.</summary>
    public DhtItem? Get(NodeId target)
    {
        var now = _clock.GetUtcNow();
        lock (_lock) return _items.TryGetValue(target, out var held) && now - held.PutAt < Lifetime ? held.Item : null;
    }

    /// <summary>Stores <paramref name="item"/> under its target, or says which BEP 44 rule refuses it: 0 when stored,
    /// else the KRPC error code (301 cas mismatch, 302 older sequence number).</summary>
    /// <param name="item">A checked item: an immutable value, or a mutable one whose signature verified.</param>
    /// <param name="cas">Mutable puts: the sequence number the writer expects to replace, or null.</param>
    /// <param name="from">The putter's address, charged with the item; null for this node's own items (no quota).</param>
    public int Put(DhtItem item, long? cas = null, System.Net.IPAddress? from = null)
    {
        var source = from is null ? null : SourceOf(from);
        var now = _clock.GetUtcNow();
        var target = item.Target;
        lock (_lock)
        {
            var held = _items.TryGetValue(target, out var found) && now - found.PutAt < Lifetime ? found.Item : null;
            if (item.IsMutable && held is not null)
            {
                // BEP 44: "If specified [cas], the put is only executed if the sequence number of the current item
                // matches cas"; error 301 otherwise.
                if (cas is { } expected && expected != held.Sequence) return KrpcError.CasMismatch;
                // BEP 44: "If the sequence number in the put message is lower than the sequence number associated
                // with the currently stored value, the storing node MAY reject the write" (error 302); we do.
                if (item.Sequence < held.Sequence) return KrpcError.SequenceTooLow;
                // An equal sequence number with another value: the first one stays (it was signed first), and its
                // time is refreshed like BEP 44's "If the sequence number is equal, and the value is also the same".
                if (item.Sequence == held.Sequence) item = held;
            }
            if (held is null && source is not null && _items.Count(i => i.Value.Source == source) >= MaxItemsPerSource)
            {
                Expire(now);
                var own = _items.Where(i => i.Value.Source == source).ToList();
                if (own.Count >= MaxItemsPerSource) _items.Remove(own.MinBy(i => i.Value.PutAt).Key); // its own oldest
            }
            if (held is null && _items.Count >= MaxItems)
            {
                Expire(now);
                if (_items.Count >= MaxItems)
                {
                    // The oldest item of the source that holds the most (this node's own items count as one source).
                    var largest = _items.GroupBy(i => i.Value.Source).MaxBy(g => g.Count())!;
                    _items.Remove(largest.MinBy(i => i.Value.PutAt).Key);
                }
            }
            // A re-put keeps the item charged to its first putter: re-putting others' items (anyone may read them) must
            // not move them into a flooder's quota, where its own puts would evict them.
            _items[target] = (item, now, held is null ? source : found.Source);
            return 0;
        }
    }

    /// <summary>The source an item is charged to: the /24 of an IPv4 address, the /64 of an IPv6 one, the whole address
    /// on loopback and local networks (where neighbours are not strangers and several nodes may share a /24).</summary>
    internal static string SourceOf(System.Net.IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (SecureNodeId.IsExempt(address)) return address.ToString();
        var bytes = address.GetAddressBytes();
        return bytes.Length == 4 ? $"{bytes[0]}.{bytes[1]}.{bytes[2]}.0/24" : Convert.ToHexString(bytes, 0, 8) + "/64";
    }

    /// <summary>Drops every item older than <see cref="Lifetime"/>.</summary>
    public void Expire() => Expire(_clock.GetUtcNow());

    private void Expire(DateTimeOffset now)
    {
        lock (_lock)
            foreach (var old in _items.Where(i => now - i.Value.PutAt >= Lifetime).Select(i => i.Key).ToList()) _items.Remove(old);
    }
}
