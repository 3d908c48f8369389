namespace TorrentLab.Dht;

/// <summary>How much a routing table trusts a node (BEP 5 "good", "questionable", "bad").</summary>
internal enum NodeStatus
{
    Good,
    Questionable,
    Bad,
}

/// <summary>One node in the routing table, with what its liveness is judged from.</summary>
internal sealed class RoutingEntry(NodeContact contact)
{
    // BEP 5: "A good node is a node has responded to one of our queries within the last 15 minutes. A node is also good
    // if it has ever responded to one of our queries and has sent us a query within the last 15 minutes. After 15
    // minutes of inactivity, a node becomes questionable."
    public static readonly TimeSpan GoodFor = TimeSpan.FromMinutes(15);

    // BEP 5: "Nodes become bad when they fail to respond to multiple queries in a row." Two in a row, here.
    public const int FailuresBeforeBad = 2;

    public NodeContact Contact { get; } = contact;
    public DateTimeOffset? LastResponse { get; set; }
    public DateTimeOffset? LastQuery { get; set; }
    public int Failures { get; set; }

    /// <summary>The node's status at <paramref name="now"/>.</summary>
    public NodeStatus StatusAt(DateTimeOffset now)
    {
        if (Failures >= FailuresBeforeBad) return NodeStatus.Bad;
        if (LastResponse is { } r && now - r < GoodFor) return NodeStatus.Good;
        if (LastResponse is not null && LastQuery is { } q && now - q < GoodFor) return NodeStatus.Good;
        return NodeStatus.Questionable;
    }

    /// <summary>When the node was last heard from at all.</summary>
    public DateTimeOffset LastSeen => (LastResponse ?? DateTimeOffset.MinValue) > (LastQuery ?? DateTimeOffset.MinValue)
        ? LastResponse!.Value : LastQuery ?? DateTimeOffset.MinValue;
}
