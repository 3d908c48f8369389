using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An in-memory datagram network for DHT nodes: each node gets a 127.0.0.x address (or, for the IPv6 DHT of
/// BEP 32, a port of its own on ::1), and a datagram sent to it is handed to its <see cref="DhtNode.Receive"/> on the
/// thread pool. No sockets; a node can be made silent.</summary>
internal sealed class DhtTestNetwork
{
    private readonly ConcurrentDictionary<IPEndPoint, DhtNode> _nodes = new();
    private readonly ConcurrentDictionary<IPEndPoint, bool> _silent = new();
    private int _next;

    /// <summary>Datagrams sent on the network so far.</summary>
    public int Sent => Volatile.Read(ref _sent);
    private int _sent;

    /// <summary>A node on a fresh loopback address; <paramref name="bootstrap"/> is given explicitly, as always in tests.</summary>
    /// <param name="readOnly">A BEP 43 read-only node (<see cref="DhtNodeOptions.ReadOnly"/>).</param>
    /// <param name="at">Another address for the node (BEP 42 tests need ones outside local networks). The network is in
    /// memory: nothing is sent to it, or anywhere.</param>
    public (DhtNode Node, IPEndPoint EndPoint) Add(NodeId? id = null, TimeProvider? clock = null, TimeSpan? queryTimeout = null,
        IPEndPoint? at = null, string? statePath = null, bool enforceNodeIds = false, bool readOnly = false)
    {
        var endPoint = at ?? NextIPv4();
        var node = new DhtNode(Options(endPoint, id, clock, queryTimeout, statePath, enforceNodeIds) with { ReadOnly = readOnly }, new Sender(this, endPoint));
        _nodes[endPoint] = node;
        return (node, endPoint);
    }

    /// <summary>A node of the IPv6 DHT (BEP 32) on ::1 and a port of its own.</summary>
    public (DhtNode Node, IPEndPoint EndPoint) AddIPv6(NodeId? id = null, TimeSpan? queryTimeout = null, string? statePath = null) =>
        Add(id, queryTimeout: queryTimeout, at: NextIPv6(), statePath: statePath);

    /// <summary>The node of the other family for <paramref name="node"/> (<see cref="DhtNode.CreateSibling"/>): on ::1
    /// for an IPv4 node, on a fresh 127.0.x.y for an IPv6 one.</summary>
    public (DhtNode Node, IPEndPoint EndPoint) AddSibling(DhtNode node, TimeSpan? queryTimeout = null)
    {
        var endPoint = node.Family == System.Net.Sockets.AddressFamily.InterNetwork ? NextIPv6() : NextIPv4();
        var sibling = node.CreateSibling(Options(endPoint, null, null, queryTimeout, null, false), new Sender(this, endPoint));
        _nodes[endPoint] = sibling;
        return (sibling, endPoint);
    }

    private IPEndPoint NextIPv4()
    {
        var n = Interlocked.Increment(ref _next);
        return new IPEndPoint(IPAddress.Parse($"127.0.{n / 250}.{n % 250 + 1}"), 6881);
    }

    private IPEndPoint NextIPv6() => new(IPAddress.IPv6Loopback, 20000 + Interlocked.Increment(ref _next));

    private static DhtNodeOptions Options(IPEndPoint endPoint, NodeId? id, TimeProvider? clock, TimeSpan? queryTimeout, string? statePath,
        bool enforceNodeIds) => new()
    {
        Bootstrap = [], Id = id, Clock = clock ?? TimeProvider.System, LoopbackOnly = IPAddress.IsLoopback(endPoint.Address),
        LocalEndPoint = endPoint, QueryTimeout = queryTimeout ?? TimeSpan.FromSeconds(2), StatePath = statePath,
        EnforceNodeIds = enforceNodeIds,
    };

    /// <summary>Makes the node at <paramref name="endPoint"/> drop everything it receives (a dead node).</summary>
    public void Silence(IPEndPoint endPoint) => _silent[endPoint] = true;

    private sealed class Sender(DhtTestNetwork network, IPEndPoint from) : IDatagramSender
    {
        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken ct)
        {
            Interlocked.Increment(ref network._sent);
            if (network._nodes.TryGetValue(to, out var node) && !network._silent.ContainsKey(to))
            {
                var copy = datagram.ToArray();
                ThreadPool.QueueUserWorkItem(_ => node.Receive(copy, from));
            }
            return ValueTask.CompletedTask;
        }
    }
}
