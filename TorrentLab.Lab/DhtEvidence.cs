namespace TorrentLab.Lab;

/// <summary>What the synthetic DHT nodes log when a client gets the protocol wrong, and the hint each line points to.</summary>
internal static class DhtEvidence
{
    public const string NoTransactionId = "got a query without a transaction id 't'";
    public const string HexInfoHash = "got an info_hash or target that is not 20 raw bytes";
    public const string TokenNotEchoed = "got announce_peer with a token this node never gave that address";
    public const string DecoySent = "sent first an answer under another transaction id";

    /// <summary>The hint the nodes' log points to, or null.</summary>
    public static string? Hint(LabDht dht)
    {
        var log = dht.Log;
        if (log.Any(l => l.Contains(NoTransactionId, StringComparison.Ordinal)))
            return "every KRPC message needs a transaction id: put a short byte string under 't' (2 bytes is usual); " +
                "the node echoes it in its answer, which is how you pair answers with queries";
        if (dht.ClientSentNonDictionary)
            return "a KRPC message is one bencoded dictionary, e.g. d1:ad2:id20:<your id>e1:q4:ping1:t2:aa1:y1:qe";
        if (log.Any(l => l.Contains("has no 20-byte 'id'", StringComparison.Ordinal)))
            return "the query's arguments 'a' must hold your own node id under 'id': 20 raw bytes";
        if (log.Any(l => l.Contains(HexInfoHash, StringComparison.Ordinal)))
            return "send the info hash as its 20 raw bytes, not as 40 hex characters";
        if (log.Any(l => l.Contains(TokenNotEchoed, StringComparison.Ordinal)))
            return "announce_peer must carry the 'token' that the same node gave you in its get_peers answer, byte for byte";
        return null;
    }

    /// <summary>The hint for a lookup that stopped early: which nodes of the chain it never reached.</summary>
    public static string? LookupHint(LabDht dht)
    {
        if (dht.Bootstrap.Received == 0) return null;
        var log = dht.Log;
        var askedGetPeers = log.Any(l => l.Contains("got get_peers", StringComparison.Ordinal));
        if (!askedGetPeers && log.Any(l => l.Contains("got find_node", StringComparison.Ordinal)))
            return "the nodes were asked find_node only: ask get_peers with the info hash; only get_peers answers carry 'values'";
        var reached = dht.Chain.TakeWhile(n => n.Received > 0).Count();
        if (reached < dht.Chain.Count)
            return $"your lookup stopped after {reached} of the {dht.Chain.Count} nodes on the way to the info hash: when an answer has " +
                "no 'values', its 'nodes' (26 bytes each: 20-byte id, 4-byte IP, 2-byte port) are closer to the info hash; " +
                "ask them next, and keep going until an answer carries 'values'";
        return null;
    }

    /// <summary>The nodes' log, bounded, for the report.</summary>
    public static IReadOnlyList<string> Lines(LabDht dht) => [.. dht.Log.Take(40)];
}
