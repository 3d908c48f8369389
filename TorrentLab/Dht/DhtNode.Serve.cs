using System.Net;

namespace TorrentLab.Dht;

public sealed partial class DhtNode
{
    /// <summary>Answers a query from another node: the whole serving side of BEP 5 (with BEP 44's get and put, in
    /// <see cref="ItemExchange"/>, and BEP 51's sample_infohashes, in <c>DhtNode.Samples.cs</c>) in one switch.</summary>
    /// <remarks>Never an amplifier: a source over its rate, or any source once the global cap is reached, gets no
    /// answer at all; answers are small (at most 8 nodes, 50 peers: about 600 bytes).</remarks>
    private void Serve(KrpcQuery query, IPEndPoint from)
    {
        if (!Allowed(from)) return;
        // BEP 43: a read-only sender is answered but never routed to: it answers no queries, so in our table it would
        // only cost every lookup that picked it a timeout.
        if (!query.ReadOnly && MayRoute(from))
            lock (_tableLock) _table.Heard(new NodeContact(query.SenderId, from), responded: false);

        KrpcMessage answer;
        switch (query.Method)
        {
            case KrpcMethods.Ping:
                answer = new KrpcResponse(query.TransactionId, Id);
                break;
            case KrpcMethods.FindNode:
                // BEP 5: "the queried node should respond with ... the compact node info for the target node or the K
                // (8) closest good nodes in its own routing table." BEP 32: of the families "want" asks for.
                answer = WithNodes(new KrpcResponse(query.TransactionId, Id), query.Target!.Value, query.Want);
                break;
            case KrpcMethods.GetPeers:
                // BEP 5: "If the queried node has peers for the infohash, they are returned in a key "values" ...
                // If the queried node has no peers for the infohash, a key "nodes" is returned". Like libtorrent we
                // send the closest nodes either way, so the asker can keep walking towards the hash. BEP 32: the values
                // are peers of the family the query came over (our store holds only those: announces came over it too).
                var infoHash = query.InfoHash!.Value;
                answer = WithNodes(new KrpcResponse(query.TransactionId, Id) { Token = _tokens.Issue(from.Address), Values = _peers.Get(infoHash) },
                    infoHash, query.Want);
                break;
            case KrpcMethods.AnnouncePeer:
                // BEP 5: "the queried node must verify that the token was previously sent to the same IP address as the
                // querying node. Then the queried node should store the IP address of the querying node and the
                // supplied port number under the infohash in its store of peer contact information."
                if (!_tokens.IsValid(query.Token, from.Address))
                {
                    SendError(query.TransactionId, KrpcError.Protocol, "bad token", from);
                    return;
                }
                _peers.Add(query.InfoHash!.Value, new IPEndPoint(from.Address, query.ImpliedPort ? from.Port : query.Port));
                answer = new KrpcResponse(query.TransactionId, Id);
                break;
            case KrpcMethods.Get:
                answer = _itemExchange.AnswerGet(query, from);
                break;
            case KrpcMethods.Put:
                if (_itemExchange.RefusePut(query, from) is { } refusal)
                {
                    SendError(query.TransactionId, refusal.Code, refusal.Message, from);
                    return;
                }
                answer = new KrpcResponse(query.TransactionId, Id);
                break;
            case KrpcMethods.SampleInfohashes:
                answer = AnswerSample(query);
                break;
            default:
                SendError(query.TransactionId, KrpcError.MethodUnknown, "Method Unknown", from);
                return;
        }
        Interlocked.Increment(ref Stats._queriesAnswered);
        _options.Log?.Invoke($"answered {query.Method} from {from}");
        Send(answer, from);
    }

    /// <summary>The nodes of our family closest to <paramref name="target"/> in the routing table, for an answer.</summary>
    internal List<NodeContact> ClosestFor(NodeId target)
    {
        lock (_tableLock) return _table.Closest(target).Where(c => FamilyOf(c.EndPoint) == Family).ToList();
    }

    private bool Allowed(IPEndPoint from)
    {
        if (_limiter.Allow(from)) return true;
        Interlocked.Increment(ref Stats._rateLimited);
        return false;
    }

    private void SendError(byte[] transactionId, int code, string message, IPEndPoint to)
    {
        Interlocked.Increment(ref Stats._errorsSent);
        Send(new KrpcError(transactionId, code, message.Length > 200 ? message[..200] : message), to);
    }
}
