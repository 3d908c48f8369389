using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>A node never sends to an address that no client may contact, whatever a reply names: unspecified,
/// broadcast, multicast, link-local, "this network" and port 0 (the one policy, <c>Tracker/PeerAddressPolicy.cs</c>),
/// with the loopback-only test switch off so the policy alone is what stops them. Nothing leaves the process: the
/// node's sender only records. Every node asked answers, and the node's clock is a manual one that no test moves, so
/// no query times out: what a node asks never depends on how fast a loaded machine delivers the answers.</summary>
public class DhtAddressPolicyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IPEndPoint Hostile = IPEndPoint.Parse("127.0.0.9:6881");
    private static readonly IPEndPoint Honest = IPEndPoint.Parse("127.0.0.10:6881");   // named too: proves names are followed

    private static readonly IPEndPoint[] Forbidden =
    [
        IPEndPoint.Parse("0.0.0.0:6881"),          // unspecified
        IPEndPoint.Parse("224.0.0.1:6881"),        // multicast
        IPEndPoint.Parse("239.255.255.250:1900"),  // multicast (SSDP)
        IPEndPoint.Parse("255.255.255.255:6881"),  // broadcast
        IPEndPoint.Parse("169.254.169.254:80"),    // link-local (cloud metadata)
        IPEndPoint.Parse("169.254.1.1:6881"),      // link-local
        IPEndPoint.Parse("0.1.2.3:6881"),          // 0/8 "this network"
        IPEndPoint.Parse("127.0.0.11:0"),          // port 0
    ];

    /// <summary>What a reply can name: a record with port 0 makes the decoder drop the whole reply (KrpcCodecTests).</summary>
    private static readonly IPEndPoint[] Named = [.. Forbidden.Where(e => e.Port != 0)];

    /// <summary>Records every datagram; the hostile node answers each query with nodes and values naming
    /// <see cref="Named"/> (and one honest node, which answers naming none), any other node with no contacts.</summary>
    private sealed class HostileNetwork : IDatagramSender
    {
        public ConcurrentQueue<IPEndPoint> SentTo { get; } = new();
        public DhtNode? Node { get; set; }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
        {
            SentTo.Enqueue(to);
            if (KrpcCodec.Decode(datagram) is KrpcQuery query)
            {
                var hostile = to.Equals(Hostile);
                var answer = new KrpcResponse(query.TransactionId, NodeId.Random())
                {
                    Nodes = hostile ? [.. Named.Append(Honest).Select(e => new NodeContact(NodeId.Random(), e))] : [],
                    Values = hostile ? [.. Named] : [],
                    Token = [1, 2, 3, 4],
                };
                var bytes = KrpcCodec.Encode(answer);
                ThreadPool.QueueUserWorkItem(_ => Node!.Receive(bytes, to));
            }
            return ValueTask.CompletedTask;
        }
    }

    private static (DhtNode Node, HostileNetwork Network) Start()
    {
        var network = new HostileNetwork();
        var options = new DhtNodeOptions { Bootstrap = [], LoopbackOnly = false, Clock = new ManualClock() };
        var node = new DhtNode(options, network);
        network.Node = node;
        return (node, network);
    }

    [Fact]
    public async Task GetPeers_RepliesNamingAddressesNoClientMayContact_NothingIsSentToThem_NoneIsYieldedAsAPeer()
    {
        var (node, network) = Start();
        await node.BootstrapAsync([Hostile], Ct);

        var peers = new List<IPEndPoint>();
        await foreach (var peer in node.GetPeersAsync(NodeId.Random(), null, Ct)) peers.Add(peer);

        var sent = network.SentTo.ToHashSet();
        Assert.Contains(Hostile, sent);
        Assert.Contains(Honest, sent);   // a node a reply names is asked: only the policy keeps the others out
        Assert.Empty(sent.Intersect(Forbidden));
        Assert.Empty(peers);
    }

    /// <summary>Records every datagram; each node in <c>Answers</c> answers a query with the contacts listed for it, any
    /// other node with none.</summary>
    private sealed class ScriptedNetwork : IDatagramSender
    {
        public ConcurrentQueue<IPEndPoint> SentTo { get; } = new();
        public Dictionary<IPEndPoint, IPEndPoint[]> Answers { get; } = [];
        public DhtNode? Node { get; set; }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
        {
            SentTo.Enqueue(to);
            if (KrpcCodec.Decode(datagram) is KrpcQuery query)
            {
                var named = Answers.GetValueOrDefault(to, []);
                var bytes = KrpcCodec.Encode(new KrpcResponse(query.TransactionId, NodeId.Random())
                {
                    Nodes = [.. named.Select(e => new NodeContact(NodeId.Random(), e))],
                    Token = [1, 2, 3, 4],
                });
                ThreadPool.QueueUserWorkItem(_ => Node!.Receive(bytes, to));
            }
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task GetPeers_NodesNamedByANodeOfAWiderScope_AreQueriedOnlyWhenNoNarrower()
    {
        var network = new ScriptedNetwork();
        var node = new DhtNode(new DhtNodeOptions { Bootstrap = [], LoopbackOnly = false, Clock = new ManualClock() }, network);
        network.Node = node;
        // Nothing leaves the process: the scripted network only records where the node would send.
        var publicNode = IPEndPoint.Parse("203.0.113.9:6881");
        var lanNode = IPEndPoint.Parse("192.168.1.20:6881");          // named by the public node: refused, so never asked
        var honestPublic = IPEndPoint.Parse("198.51.100.10:6881");    // named by the public node: followed
        var lanSeed = IPEndPoint.Parse("10.0.0.9:6881");              // our own LAN bootstrap
        IPEndPoint[] narrower =
        [
            IPEndPoint.Parse("127.0.0.1:6881"), IPEndPoint.Parse("127.0.0.53:53"), IPEndPoint.Parse("10.0.0.1:6881"),
            lanNode, IPEndPoint.Parse("172.16.0.1:6881"), IPEndPoint.Parse("100.64.0.1:6881"),
        ];
        network.Answers[publicNode] = [.. narrower, honestPublic];
        var lanPeer = IPEndPoint.Parse("10.0.0.2:6881");
        var publicViaLan = IPEndPoint.Parse("198.51.100.11:6881");
        network.Answers[lanSeed] = [lanPeer, publicViaLan, IPEndPoint.Parse("127.0.0.2:6881")]; // a LAN node may name LAN and internet nodes

        await node.BootstrapAsync([publicNode, lanSeed], Ct);
        await foreach (var _ in node.GetPeersAsync(NodeId.Random(), null, Ct)) { }

        var sent = network.SentTo.ToHashSet();
        Assert.Contains(honestPublic, sent);
        Assert.Contains(lanPeer, sent);
        Assert.Contains(publicViaLan, sent);
        Assert.Empty(sent.Intersect(narrower));
        Assert.DoesNotContain(IPEndPoint.Parse("127.0.0.2:6881"), sent);
        Assert.True(node.Stats.RefusedContacts >= narrower.Length + 1);
    }

    [Fact]
    public void Serve_QueryFromAnAddressNoClientMayContact_GetsNoAnswer()
    {
        var (node, network) = Start();
        var ping = KrpcCodec.Encode(new KrpcQuery([7, 7], KrpcMethods.Ping, NodeId.Random()));

        foreach (var from in Forbidden) node.Receive(ping, from);
        node.Receive(ping, Honest);

        Assert.Equal([Honest], network.SentTo.ToArray());
    }
}
