using System.Net;

namespace TorrentLab.Dht;

/// <summary>BEP 44 on one node: answers get and put from the items it stores, and walks the DHT to get an item or to
/// put one to the closest nodes.</summary>
/// <param name="node">The node whose id, routing table, lookups and queries it uses.</param>
/// <param name="tokens">The node's write tokens, those of its get_peers answers too.</param>
internal sealed class ItemExchange(DhtNode node, TokenIssuer tokens)
{
    /// <summary>The items other nodes put to this node.</summary>
    public ItemStore Store { get; } = new(node.Options.Clock);

    /// <summary>BEP 44 get, served: the closest nodes and a write token, like get_peers, and the item when we hold it.</summary>
    public KrpcResponse AnswerGet(KrpcQuery query, IPEndPoint from)
    {
        var target = query.Target!.Value;
        // BEP 44: "Responses to get should always include nodes and nodes6 ... It should also include a write token".
        var answer = new KrpcResponse(query.TransactionId, node.Id) { Token = tokens.Issue(from.Address), Nodes = node.ClosestFor(target) };
        if (Store.Get(target) is not { } item) return answer;
        // BEP 44: "The optional seq field specifies that an item's value should only be sent if its sequence number is
        // greater than the given value." The sequence number itself is still sent.
        if (item.IsMutable && query.Sequence is { } known && item.Sequence <= known) return answer with { Sequence = item.Sequence };
        return answer with { Item = item };
    }

    /// <summary>BEP 44 put, served: null when the item was stored, else the KRPC error that refuses it.</summary>
    public (int Code, string Message)? RefusePut(KrpcQuery query, IPEndPoint from)
    {
        // BEP 44: the token "has the same semantics as in get_peers": given by our get answer to this address.
        if (!tokens.IsValid(query.Token, from.Address)) return (KrpcError.Protocol, "bad token");
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
        return Store.Put(item, query.Cas, from.Address) switch
        {
            0 => null,
            KrpcError.CasMismatch => (KrpcError.CasMismatch, "the CAS hash mismatched, re-read value and try again"),
            var code => (code, "sequence number less than current"),
        };
    }

    /// <summary>A BEP 44 get lookup towards <paramref name="target"/>: the best valid item the closest nodes hold (the
    /// highest sequence number for a mutable one) and the lookup's closest nodes with their write tokens.</summary>
    /// <param name="target">The item's target.</param>
    /// <param name="salt">Null for an immutable item; the salt (maybe empty) of a mutable one, which answers leave out.</param>
    /// <param name="ct">Stops the lookup.</param>
    public async Task<(DhtItem? Best, LookupResult Lookup)> LookupAsync(NodeId target, byte[]? salt, CancellationToken ct)
    {
        if (!node.Bootstrapped.IsCompleted) await Task.WhenAny(node.Bootstrapped, Task.Delay(node.Options.QueryTimeout, node.Options.Clock, ct)).ConfigureAwait(false);
        var best = Store.Get(target) is { } stored && stored.IsMutable == salt is not null ? stored : null;
        var query = new KrpcQuery([], KrpcMethods.Get, node.Id) { Target = target };
        // Answers are absorbed one at a time by the lookup's loop: no lock needed around best.
        var lookup = node.StartLookup(target, getPeers: true, query, (response, from) =>
        {
            if (response.Item is not { } item) return;
            if (salt is not null) item = item with { Salt = salt };
            // BEP 44: a requesting node checks what it gets: the value's hash (immutable) or the signature (mutable).
            if (item.IsMutable != salt is not null || !item.IsValidFor(target))
            {
                node.Options.Log?.Invoke($"ignored an item from {from} that does not verify for {target}");
                return;
            }
            if (best is null || item.Sequence > best.Sequence) best = item;
        });
        var result = await lookup.RunAsync(null, null, ct).ConfigureAwait(false);
        return (best, result);
    }

    /// <summary>BEP 44 put to each of the lookup's closest nodes that gave a write token; returns how many stored it.</summary>
    public async Task<int> PutToClosestAsync(DhtItem item, LookupResult lookup, long? cas, CancellationToken ct)
    {
        var puts = lookup.Closest.Where(c => c.Token is not null).Select(async c =>
        {
            var query = new KrpcQuery([], KrpcMethods.Put, node.Id) { Token = c.Token, Item = item, Cas = cas };
            try
            {
                await node.QueryAsync(c.Node.EndPoint, query, ct).ConfigureAwait(false);
                return true;
            }
            catch (DhtException e)
            {
                node.Options.Log?.Invoke($"put to {c.Node.EndPoint}: {e.Message}");
                return false;
            }
        });
        return (await Task.WhenAll(puts).ConfigureAwait(false)).Count(ok => ok);
    }
}
