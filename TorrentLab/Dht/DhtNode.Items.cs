namespace TorrentLab.Dht;

/// <summary>What a put reached: the item as sent and how many of the closest nodes stored it.</summary>
/// <param name="Item">The item put (for a mutable one, with the sequence number and signature used).</param>
/// <param name="Nodes">The closest nodes that accepted it (at most 8).</param>
public sealed record DhtPutResult(DhtItem Item, int Nodes);

public sealed partial class DhtNode
{
    private readonly ItemExchange _itemExchange;

    /// <summary>Items other nodes put to this node (BEP 44).</summary>
    public int StoredItemCount => _itemExchange.Store.Count;

    /// <summary>The item this node stores under <paramref name="target"/> (what it serves), or null.</summary>
    public DhtItem? StoredItem(NodeId target) => _itemExchange.Store.Get(target);

    internal ItemStore Items => _itemExchange.Store;

    /// <summary>Looks up the immutable item stored under <paramref name="target"/> (the SHA-1 of its bencoded value);
    /// null when no node holds it. An answer whose value does not hash to the target is ignored.</summary>
    public async Task<DhtItem?> GetImmutableAsync(NodeId target, CancellationToken ct = default) =>
        (await _itemExchange.LookupAsync(target, null, ct).ConfigureAwait(false)).Best;

    /// <summary>Looks up the mutable item of <paramref name="publicKey"/> and <paramref name="salt"/>: the one with the
    /// highest sequence number among those whose signature checks; null when no node holds one.</summary>
    public async Task<DhtItem?> GetMutableAsync(byte[] publicKey, byte[]? salt = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(publicKey.Length, Ed25519.KeyLength);
        return (await _itemExchange.LookupAsync(DhtItem.MutableTarget(publicKey, salt ?? []), salt ?? [], ct).ConfigureAwait(false)).Best;
    }

    /// <summary>Puts the immutable item <paramref name="bencodedValue"/> to the closest nodes of its target (BEP 44).</summary>
    /// <exception cref="ArgumentException">The value is over 1000 bytes or not canonical bencode.</exception>
    public async Task<DhtPutResult> PutImmutableAsync(byte[] bencodedValue, CancellationToken ct = default)
    {
        var item = DhtItem.Immutable(bencodedValue);
        var (_, lookup) = await _itemExchange.LookupAsync(item.Target, null, ct).ConfigureAwait(false);
        return new DhtPutResult(item, await _itemExchange.PutToClosestAsync(item, lookup, null, ct).ConfigureAwait(false));
    }

    /// <summary>Signs <paramref name="bencodedValue"/> with the Ed25519 secret <paramref name="seed"/> and puts it to
    /// the closest nodes of its key and salt (BEP 44). The sequence number is <paramref name="sequence"/>, or one more
    /// than the highest the lookup found (1 when none).</summary>
    /// <param name="seed">The 32-byte Ed25519 secret; its public key names the item.</param>
    /// <param name="bencodedValue">The value, bencoded, at most 1000 bytes.</param>
    /// <param name="salt">Optional, up to 64 bytes: one key can publish several items under different salts.</param>
    /// <param name="sequence">The sequence number to sign, or null to follow the one found.</param>
    /// <param name="cas">BEP 44 "cas": nodes store it only if their item's sequence number is this.</param>
    /// <param name="ct">Stops the lookup and the puts.</param>
    /// <exception cref="ArgumentException">A value, salt or seed out of bounds.</exception>
    public async Task<DhtPutResult> PutMutableAsync(byte[] seed, byte[] bencodedValue, byte[]? salt = null, long? sequence = null,
        long? cas = null, CancellationToken ct = default)
    {
        salt ??= [];
        // Sign once before the lookup too, so bad arguments fail before any query goes out.
        var item = DhtItem.SignMutable(seed, bencodedValue, sequence ?? 1, salt);
        var (current, lookup) = await _itemExchange.LookupAsync(item.Target, salt, ct).ConfigureAwait(false);
        if (sequence is null && current is not null) item = DhtItem.SignMutable(seed, bencodedValue, current.Sequence + 1, salt);
        return new DhtPutResult(item, await _itemExchange.PutToClosestAsync(item, lookup, cas, ct).ConfigureAwait(false));
    }
}
