using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Dht;

// BEP 32, the IPv6 DHT: "There are two distinct DHTs: the IPv4 DHT, and the IPv6 DHT. ... A node wishing to
// participate in both DHTs must maintain two distinct routing tables, one for IPv4 and one for IPv6." As in libtorrent,
// that is one node per address family here: each node serves the DHT of its local address's family, on a UDP socket of
// that family, with its own routing table, peer store and BEP 42 address. A dual-stack host pairs two nodes
// (CreateSibling): they share the node id where BEP 42 allows it and the state file, answer "want" with each other's
// nodes, and a lookup or an announce on either runs in both DHTs.
public sealed partial class DhtNode
{
    // BEP 32: "want" is "a list of flags"; "n4" asks for IPv4 nodes ("nodes"), "n6" for IPv6 nodes ("nodes6").
    internal const string WantIPv4 = "n4";
    internal const string WantIPv6 = "n6";

    /// <summary>Nodes of our family that the sibling heard of, kept to start lookups from while our table is small.</summary>
    private const int MaxLearned = 2 * RoutingTable.K;

    private readonly ConcurrentQueue<NodeContact> _learned = new();

    /// <summary>The address family of this node's DHT, that of its local address (<see cref="DhtNodeOptions.LocalEndPoint"/>):
    /// its table keeps nodes of this family only (BEP 32).</summary>
    public AddressFamily Family { get; }

    /// <summary>The node of the other family on a dual-stack host (<see cref="CreateSibling"/>), or null.</summary>
    public DhtNode? Sibling { get; private set; }

    /// <summary>Creates the node of the other address family for a dual-stack host: it sends through
    /// <paramref name="sender"/>, shares this node's state file and, BEP 42 permitting, its id (BEP 32: "a node should use
    /// the same node id in both tables"). The caller feeds it with <see cref="Receive"/> and makes it <see cref="Join"/>.</summary>
    /// <exception cref="InvalidOperationException">This node has a sibling already, or <paramref name="options"/> names
    /// a local address of this node's family.</exception>
    public DhtNode CreateSibling(DhtNodeOptions options, IDatagramSender sender)
    {
        if (Sibling is not null) throw new InvalidOperationException("this DHT node has a sibling already");
        if (FamilyOf(options.LocalEndPoint) == Family)
            throw new InvalidOperationException($"the sibling of a {Family} DHT node must listen on the other family, not on {options.LocalEndPoint}");
        var sibling = new DhtNode(options with { StatePath = _options.StatePath }, sender, this);
        Sibling = sibling;
        return sibling;
    }

    /// <summary>The family a DHT over <paramref name="endPoint"/> serves: IPv4-mapped IPv6 addresses are IPv4.</summary>
    internal static AddressFamily FamilyOf(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : endPoint.AddressFamily;

    /// <summary>Whether <paramref name="endPoint"/> may enter our routing table: a node we may send to, of our family.</summary>
    internal bool MayRoute(IPEndPoint endPoint) => FamilyOf(endPoint) == Family && MaySend(endPoint);

    /// <summary>The nodes of our family in an answer (<c>nodes</c> or <c>nodes6</c>).</summary>
    internal IReadOnlyList<NodeContact> OwnNodes(KrpcResponse response) =>
        Family == AddressFamily.InterNetworkV6 ? response.Nodes6 : response.Nodes;

    /// <summary>The "want" our find_node and get_peers queries carry: none while the sibling's table is fine (the answer
    /// then holds the nodes of the family the query went over); both families while the sibling knows fewer than K
    /// nodes, so this DHT helps the other one start (BEP 32's bootstrapping of a double-stack node).</summary>
    internal IReadOnlyList<string> WantInQueries => Sibling is { } sibling && sibling.NodeCount < RoutingTable.K ? [WantIPv4, WantIPv6] : [];

    /// <summary>Hands the sibling the nodes of its family that an answer to us held (when we asked for them).</summary>
    internal void OfferToSibling(KrpcResponse response, IPEndPoint from)
    {
        if (Sibling is not { } sibling) return;
        sibling.Learn(sibling.OwnNodes(response), from);
    }

    /// <summary>Keeps <paramref name="contacts"/> (of our family, heard of through the sibling from
    /// <paramref name="from"/>) to start our next lookups from while the table is small; they enter the table only once
    /// they answer us. The scope rule of a lookup holds here too (<see cref="MayFollow"/>).</summary>
    private void Learn(IReadOnlyList<NodeContact> contacts, IPEndPoint from)
    {
        foreach (var contact in contacts)
        {
            if (contact.Id == Id || !MayRoute(contact.EndPoint) || !MayFollow(contact.EndPoint, from)
                || _learned.Any(c => c.EndPoint.Equals(contact.EndPoint))) continue;
            _learned.Enqueue(contact);
            while (_learned.Count > MaxLearned) _learned.TryDequeue(out _);
        }
    }

    /// <summary>The nodes heard of through the sibling, to seed a lookup from.</summary>
    internal IEnumerable<NodeContact> Learned => _learned;

    /// <summary>An answer to find_node or get_peers with the nodes closest to <paramref name="target"/> that
    /// <paramref name="want"/> asks for.</summary>
    /// <remarks>BEP 32: "the requestor may optionally request that the reply should contain IPv4 node information,
    /// IPv6 node information, or both"; without "want" (or with no flag we know), the reply holds the nodes of the
    /// family the query came over, the family of this node. A family this host has no node for gives no list.</remarks>
    private KrpcResponse WithNodes(KrpcResponse answer, NodeId target, IReadOnlyList<string> want)
    {
        var asked = want.Where(w => w is WantIPv4 or WantIPv6).ToList();
        var v4 = asked.Count == 0 ? Family == AddressFamily.InterNetwork : asked.Contains(WantIPv4);
        var v6 = asked.Count == 0 ? Family == AddressFamily.InterNetworkV6 : asked.Contains(WantIPv6);
        return answer with
        {
            Nodes = v4 && NodeOf(AddressFamily.InterNetwork) is { } n4 ? n4.ClosestFor(target) : [],
            Nodes6 = v6 && NodeOf(AddressFamily.InterNetworkV6) is { } n6 ? n6.ClosestFor(target) : [],
        };
    }

    private DhtNode? NodeOf(AddressFamily family) => Family == family ? this : Sibling?.Family == family ? Sibling : null;

    /// <summary>The nodes of this DHT and of the sibling's, for a lookup or an announce that runs in both.</summary>
    private IEnumerable<DhtNode> BothFamilies => Sibling is { } sibling ? [this, sibling] : [this];
}
