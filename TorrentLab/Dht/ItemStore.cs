namespace TorrentLab.Dht;

/// <summary>The BEP 44 items other nodes put to us, by target, bounded in number and expiring.</summary>
/// <remarks>BEP 44 leaves storage limits to the node. Ours: at most <see cref="MaxItems"/> items of at most 1000 bytes
/// each (about 1 MiB), the one put longest ago evicted when full; an item not put again within <see cref="Lifetime"/>
/// expires (publishers re-put their items well within that). The rules of a mutable put (seq, cas) are in
/// <see cref="Put"/>; the signature is checked before, by the caller.</remarks>
internal sealed class ItemStore(TimeProvider? clock = null)
{
    public const int MaxItems = 1_000;

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<NodeId, (DhtItem Item, DateTimeOffset PutAt)> _items = [];
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
    public int Put(DhtItem item, long? cas = null)
    {
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
            if (held is null && _items.Count >= MaxItems)
            {
                Expire(now);
                if (_items.Count >= MaxItems) _items.Remove(_items.MinBy(i => i.Value.PutAt).Key);
            }
            _items[target] = (item, now);
            return 0;
        }
    }

    /// <summary>Drops every item older than <see cref="Lifetime"/>.</summary>
    public void Expire() => Expire(_clock.GetUtcNow());

    private void Expire(DateTimeOffset now)
    {
        lock (_lock)
            foreach (var old in _items.Where(i => now - i.Value.PutAt >= Lifetime).Select(i => i.Key).ToList()) _items.Remove(old);
    }
}
