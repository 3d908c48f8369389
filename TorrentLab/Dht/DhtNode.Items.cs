using System.Net;

namespace TorrentLab.Dht;

/// <summary>What a put reached: the item as sent and how many of the closest nodes stored it.</summary>
/// <param name="Item">The item put (for a mutable one, with the sequence number and signature used).</param>
/// <param name="Nodes">The closest nodes that accepted it (at most 8).</param>
public sealed record DhtPutResult(DhtItem Item, int Nodes);

public sealed partial class DhtNode
{
    /// <summary>Items other nodes put to this node (BEP 44).</summary>
    public int StoredItemCount => _items.Count;

    /// <summary>The item this node stores under <paramref name="target"/> (what it serves), or null.</summary>
    public DhtItem? StoredItem(NodeId target) => _items.Get(target);

    internal ItemStore Items => _items;

    /// <summary>BEP 44 get, served: the closest nodes and a write token, like get_peers, and the item when we hold it.</summary>
    private KrpcResponse AnswerGet(KrpcQuery query, IPEndPoint from)
    {
        var target = query.Target!.Value;
        // BEP 44: "Responses to get should always include nodes and nodes6 ... It should also include a write token".
        var answer = new KrpcResponse(query.TransactionId, Id) { Token = _tokens.Issue(from.Address), Nodes = ClosestFor(target) };
        if (_items.Get(target) is not { } item) return answer;
        // BEP 44: "The optional seq field specifies that an item's value should only be sent if its sequence number is
        // greater than the given value." The sequence number itself is still sent.
        if (item.IsMutable && query.Sequence is { } known && item.Sequence <= known) return answer with { Sequence = item.Sequence };
        return answer with { Item = item };
    }

    /// <summary>BEP 44 put, served: null when the item was stored, else the KRPC error that refuses it.</summary>
    private (int Code, string Message)? RefusePut(KrpcQuery query, IPEndPoint from)
    {
        // BEP 44: the token "has the same semantics as in get_peers": given by our get answer to this address.
        if (!_tokens.IsValid(query.Token, from.Address)) return (KrpcError.Protocol, "bad token");
        var item = query.Item!;
        if (item.Value.Length > DhtItem.MaxValueLength)
            return (KrpcError.ValueTooBig, $"message (v field) too big: {item.Value.Length} bytes, at most {DhtItem.MaxValueLength}");
        if (item.IsMutable)
        {
            if (item.Salt.Length > DhtItem.MaxSaltLength)
                return (KrpcError.SaltTooBig, $"salt (salt field) too big: {item.Salt.Length} bytes, at most {DhtItem.MaxSaltLength}");
            // BEP 44: a storing node verifies the signature of a mutable item before storing it (error 206).
            if (!item.IsSignatureValid()) return (KrpcError.InvalidSignature, "invalid signature");
        }
        return _items.Put(item, query.Cas, from.Address) switch
        {
            0 => null,
            KrpcError.CasMismatch => (KrpcError.CasMismatch, "the CAS hash mismatched, re-read value and try again"),
            var code => (code, "sequence number less than current"),
        };
    }

    /// <summary>Looks up the immutable item stored under <paramref name="target"/> (the SHA-1 of its bencoded value);
    /// null when no node holds it. An answer whose value does not hash to the target is ignored.</summary>
    public async Task<DhtItem?> GetImmutableAsync(NodeId target, CancellationToken ct = default) =>
        (await LookupItemAsync(target, null, ct).ConfigureAwait(false)).Best;

    /// <summary>Looks up the mutable item of <paramref name="publicKey"/> and <paramref name="salt"/>: the one with the
    /// highest sequence number among those whose signature checks; null when no node holds one.</summary>
    public async Task<DhtItem?> GetMutableAsync(byte[] publicKey, byte[]? salt = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(publicKey.Length, Ed25519.KeyLength);
        return (await LookupItemAsync(DhtItem.MutableTarget(publicKey, salt ?? []), salt ?? [], ct).ConfigureAwait(false)).Best;
    }

    /// <summary>Puts the immutable item <paramref name="bencodedValue"/> to the closest nodes of its target (BEP 44).</summary>
    /// <exception cref="ArgumentException">The value is over 1000 bytes or not canonical bencode.</exception>
    public async Task<DhtPutResult> PutImmutableAsync(byte[] bencodedValue, CancellationToken ct = default)
    {
        var item = DhtItem.Immutable(bencodedValue);
        var (_, lookup) = await LookupItemAsync(item.Target, null, ct).ConfigureAwait(false);
        return new DhtPutResult(item, await PutToClosestAsync(item, lookup, null, ct).ConfigureAwait(false));
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
        var (current, lookup) = await LookupItemAsync(item.Target, salt, ct).ConfigureAwait(false);
        if (sequence is null && current is not null) item = DhtItem.SignMutable(seed, bencodedValue, current.Sequence + 1, salt);
        return new DhtPutResult(item, await PutToClosestAsync(item, lookup, cas, ct).ConfigureAwait(false));
    }

    /// <summary>A BEP 44 get lookup towards <paramref name="target"/>: the best valid item the closest nodes hold (the
    /// highest sequence number for a mutable one) and the lookup's closest nodes with their write tokens.</summary>
    /// <param name="target">The item's target.</param>
    /// <param name="salt">Null for an immutable item; the salt (maybe empty) of a mutable one, which answers leave out.</param>
    /// <param name="ct">Stops the lookup.</param>
    private async Task<(DhtItem? Best, LookupResult Lookup)> LookupItemAsync(NodeId target, byte[]? salt, CancellationToken ct)
    {
        if (!Bootstrapped.IsCompleted) await Task.WhenAny(Bootstrapped, Task.Delay(_options.QueryTimeout, _options.Clock, ct)).ConfigureAwait(false);
        var best = _items.Get(target) is { } stored && stored.IsMutable == salt is not null ? stored : null;
        var query = new KrpcQuery([], KrpcMethods.Get, Id) { Target = target };
        // Answers are absorbed one at a time by the lookup's loop: no lock needed around best.
        var lookup = StartLookup(target, getPeers: true, query, (response, from) =>
        {
            if (response.Item is not { } item) return;
            if (salt is not null) item = item with { Salt = salt };
            // BEP 44: a requesting node checks what it gets: the value's hash (immutable) or the signature (mutable).
            if (item.IsMutable != salt is not null || !item.IsValidFor(target))
            {
                _options.Log?.Invoke($"ignored an item from {from} that does not verify for {target}");
                return;
            }
            if (best is null || item.Sequence > best.Sequence) best = item;
        });
        var result = await lookup.RunAsync(null, null, ct).ConfigureAwait(false);
        return (best, result);
    }

    /// <summary>BEP 44 put to each of the lookup's closest nodes that gave a write token; returns how many stored it.</summary>
    private async Task<int> PutToClosestAsync(DhtItem item, LookupResult lookup, long? cas, CancellationToken ct)
    {
        var puts = lookup.Closest.Where(c => c.Token is not null).Select(async c =>
        {
            var query = new KrpcQuery([], KrpcMethods.Put, Id) { Token = c.Token, Item = item, Cas = cas };
            try
            {
                await QueryAsync(c.Node.EndPoint, query, ct).ConfigureAwait(false);
                return true;
            }
            catch (DhtException e)
            {
                _options.Log?.Invoke($"put to {c.Node.EndPoint}: {e.Message}");
                return false;
            }
        });
        return (await Task.WhenAll(puts).ConfigureAwait(false)).Count(ok => ok);
    }
}
