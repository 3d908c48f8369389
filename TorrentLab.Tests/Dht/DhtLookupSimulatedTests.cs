using System.Net;
using TorrentLab.Dht;
using TorrentLab.Network;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>How a lookup (<c>Dht/DhtLookup.cs</c>) gets past nodes that are slow or silent, on the simulated network:
/// a query not answered within the node's short timeout makes room for one more beside it, within a bound, and its
/// late answer is still taken. Virtual time, deterministic from the seed (each scenario runs twice, with one event
/// log); the times asserted are simulated ones.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class DhtLookupSimulatedTests
{
    private static readonly TimeSpan QueryTimeout = new DhtNodeOptions { Bootstrap = [] }.QueryTimeout;

    [Fact]
    public void Lookup_PastThreeSilentNodes_AsksTheNextOneAfterTheShortTimeout_NotAfterTheQueryTimeout() =>
        Simulated.Deterministic(PastSilentNodes, seed: 1);

    [Fact]
    public void Lookup_AmongSilentNodesOnly_KeepsAlphaQueriesBeforeTheShortTimeout_AndNeverMoreThanKInFlight() =>
        Simulated.Deterministic(BoundInFlight, seed: 2);

    [Fact]
    public void Lookup_TakesTheLateAnswerOfASlowQuery_AfterAskingAnotherNodeMeanwhile() =>
        Simulated.Deterministic(LateAnswer, seed: 3);

    [Fact]
    public void Lookup_AsksTheCloserNodesAnAnswerNames_AtOnce_NotOneAtATimeBehindTheFirstRoundsSlowerQueries() =>
        Simulated.Deterministic(CloserAtOnce, seed: 4);

    /// <summary>The lookup starts from three nodes: a near one (40 ms round trip) and two far ones (640 ms, under the
    /// short timeout of a second: nothing timed yet). The near one answers with the K nodes it knows closest to the
    /// target, all closer than the far two; the third closest of them stores the peer. The first round's two other
    /// queries no longer hold a slot (their nodes fell out of the K closest), so three of the K are asked at once and
    /// the peer comes one round trip after the first answer, at about 80 ms. Before (alpha a hard limit): one at a
    /// time as each answered, the peer at about 160 ms.</summary>
    internal static async Task CloserAtOnce(SimRun sim)
    {
        await using var setup = new Setup(sim);
        var target = NodeId.Random(new Random(sim.Seed + 7919)); // not the querier's id: Setup draws ids from Random(seed)
        var querier = await setup.Node("q", 10);
        var near = await setup.Node("near", 10, Near(target, 20));
        var far = new[] { await setup.Node("far0", 310, Near(target, 21)), await setup.Node("far1", 310, Near(target, 22)) };
        var closer = new List<DhtNode>();
        for (var i = 0; i < RoutingTable.K; i++) closer.Add(await setup.Node($"c{i}", 10, Near(target, 100 + i)));
        foreach (var node in closer) await near.PingAsync(setup.EndPointOf(node)); // near's table: the K closer nodes
        closer[^3].Peers.Add(target, Peer);

        var lookup = new DhtLookup(querier, target, getPeers: true);
        lookup.Seed(setup.EndPointOf(near), near.Id);
        foreach (var node in far) lookup.Seed(setup.EndPointOf(node), node.Id);
        var started = sim.Clock.Now;
        TimeSpan? found = null;
        var hops = new List<(TimeSpan At, LookupHop Hop)>();
        await lookup.RunAsync(_ => found ??= sim.Clock.Now - started, hop => hops.Add((sim.Clock.Now - started, hop)), CancellationToken.None);
        sim.Log.Line("scenario", $"peer after {found?.TotalMilliseconds:0} ms; hops {string.Join(" ", hops.Select(h => $"{h.Hop.LogDistance}@{h.At.TotalMilliseconds:0}"))}");

        Assert.NotNull(found);
        Assert.InRange(found.Value, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(100));
        // The three closest of the K answered together, one round trip after the near node's answer.
        var firstCloser = hops.Where(h => h.Hop.LogDistance <= 60).Take(DhtNode.Alpha).ToList();
        Assert.Equal(DhtNode.Alpha, firstCloser.Count);
        Assert.All(firstCloser, h => Assert.InRange(h.At, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(100)));
    }

    /// <summary>The querying node has timed a few answers (80 ms round trips), so its short timeout is far below a
    /// second. Its lookup starts from three silent nodes close to the target and a live one farther that stores the
    /// peer: the three go first (alpha), and the live one is asked once they turned slow, so the peer comes about one
    /// short timeout and a round trip after the start. Before: once the first silent one timed out, after 3 s.</summary>
    internal static async Task PastSilentNodes(SimRun sim)
    {
        await using var setup = new Setup(sim);
        var target = NodeId.Random(new Random(sim.Seed));
        var querier = await setup.Node("q", 20);
        var live = await setup.Node("live", 20, Near(target, 40));
        live.Peers.Add(target, Peer);
        var silent = Enumerable.Range(0, 3).Select(i => setup.SilentHost($"s{i}", 20)).ToArray();
        for (var i = 0; i < 4; i++) await querier.PingAsync(setup.EndPointOf(live));
        var shortTimeout = querier.ShortTimeout;
        sim.Log.Line("scenario", $"short timeout {shortTimeout.TotalMilliseconds:0} ms after four 80 ms round trips");
        Assert.InRange(shortTimeout, RoundTripEstimator.MinShortTimeout, TimeSpan.FromMilliseconds(300));

        var lookup = new DhtLookup(querier, target, getPeers: true);
        for (var i = 0; i < silent.Length; i++) lookup.Seed(silent[i].EndPoint, Near(target, 150 + i));
        lookup.Seed(setup.EndPointOf(live), live.Id);
        var started = sim.Clock.Now;
        TimeSpan? found = null;
        var result = await lookup.RunAsync(_ => found ??= sim.Clock.Now - started, null, CancellationToken.None);
        sim.Log.Line("scenario", $"peer after {found?.TotalMilliseconds:0} ms, lookup over after {(sim.Clock.Now - started).TotalMilliseconds:0} ms");

        Assert.NotNull(found);
        Assert.InRange(found.Value, shortTimeout, shortTimeout + TimeSpan.FromMilliseconds(200));
        Assert.Equal(4, result.Queries);
        Assert.All(silent, s => Assert.Single(s.Arrivals));
    }

    /// <summary>Twelve silent nodes and nothing else (no answer timed yet: the short timeout is its first value, a
    /// second). Alpha queries go out first; each second more turn slow and as many more are sent, until K are in flight;
    /// a query leaves only when it times out (3 s), so no window of 3 s ever holds more than K sends, and all twelve
    /// are asked in the end. Before: 3 in flight, never more.</summary>
    internal static async Task BoundInFlight(SimRun sim)
    {
        await using var setup = new Setup(sim);
        var target = NodeId.Random(new Random(sim.Seed));
        var querier = await setup.Node("q", 20);
        var silent = Enumerable.Range(0, 12).Select(i => setup.SilentHost($"s{i}", 20)).ToArray();
        Assert.Equal(RoundTripEstimator.MaxShortTimeout, querier.ShortTimeout);
        var lookup = new DhtLookup(querier, target, getPeers: true);
        for (var i = 0; i < silent.Length; i++) lookup.Seed(silent[i].EndPoint, Near(target, 100 + i));
        var started = sim.Clock.Now;
        var result = await lookup.RunAsync(null, null, CancellationToken.None);

        // Every host is 40 ms from the querier, so an arrival time is a send time plus 40 ms.
        var sends = silent.SelectMany(s => s.Arrivals).Select(t => t - started).Order().ToList();
        sim.Log.Line("scenario", $"sends at {string.Join(" ", sends.Select(t => $"{t.TotalMilliseconds:0}"))} ms");
        Assert.Equal(12, result.Queries);
        Assert.Equal(12, sends.Count);
        Assert.Equal(DhtNode.Alpha, sends.Count(t => t < RoundTripEstimator.MaxShortTimeout));
        Assert.Equal(DhtLookup.MaxInFlight, sends.Count(t => t < QueryTimeout));
        foreach (var t in sends)
        {
            var inFlight = sends.Count(s => s > t - QueryTimeout && s <= t);
            Assert.True(inFlight <= DhtLookup.MaxInFlight, $"{inFlight} queries in flight at {t.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>Three live nodes close to the target answer after 1.22 s (600 ms away), under the query timeout but
    /// over the short timeout (a second: nothing timed yet); the closest stores the peer. A fourth node, farther and
    /// fast, is asked once the three turned slow and answers first; the slow answers still count: the peer comes from
    /// the closest, and all four end the lookup answered. Before: the fourth node was asked only after the slow answers.</summary>
    internal static async Task LateAnswer(SimRun sim)
    {
        await using var setup = new Setup(sim);
        var target = NodeId.Random(new Random(sim.Seed));
        var querier = await setup.Node("q", 10);
        var slow = new List<DhtNode>();
        for (var i = 0; i < 3; i++) slow.Add(await setup.Node($"slow{i}", 600, Near(target, 150 + i)));
        slow[0].Peers.Add(target, Peer);
        var fast = await setup.Node("fast", 10, Near(target, 100));
        var lookup = new DhtLookup(querier, target, getPeers: true);
        foreach (var node in slow) lookup.Seed(setup.EndPointOf(node), node.Id);
        lookup.Seed(setup.EndPointOf(fast), fast.Id);
        var started = sim.Clock.Now;
        TimeSpan? found = null;
        var hops = new List<(TimeSpan At, LookupHop Hop)>();
        var result = await lookup.RunAsync(_ => found ??= sim.Clock.Now - started, hop => hops.Add((sim.Clock.Now - started, hop)),
            CancellationToken.None);
        sim.Log.Line("scenario", $"hops {string.Join(" ", hops.Select(h => $"{h.Hop.Node}@{h.At.TotalMilliseconds:0}:{h.Hop.Error ?? "ok"}"))}");

        Assert.NotNull(found);
        Assert.InRange(found.Value, TimeSpan.FromMilliseconds(1220), TimeSpan.FromMilliseconds(1300));
        Assert.Equal(4, hops.Count);
        Assert.All(hops, h => Assert.Null(h.Hop.Error));
        var fastHop = Assert.Single(hops, h => h.Hop.Id == fast.Id);
        var slowHop = Assert.Single(hops, h => h.Hop.Id == slow[0].Id);
        Assert.True(fastHop.At < slowHop.At, $"the fast node answered at {fastHop.At.TotalMilliseconds:0} ms, the slow one at {slowHop.At.TotalMilliseconds:0} ms");
        Assert.Equal(4, result.Closest.Count);
        Assert.Equal(4, result.Queries);
    }

    private static readonly IPEndPoint Peer = new(IPAddress.Parse("198.51.100.7"), 6881);

    /// <summary>An id whose XOR distance to <paramref name="target"/> has its highest bit at <paramref name="bit"/>
    /// counted from the left (0: the farthest half; larger: closer).</summary>
    private static NodeId Near(NodeId target, int bit)
    {
        var bytes = target.Bytes.ToArray();
        bytes[bit / 8] ^= (byte)(0x80 >> (bit % 8));
        return new NodeId(bytes);
    }

    /// <summary>Hosts of one scenario, each on a /24 of its own, with their DHT nodes (on port 6881) or a silent port.</summary>
    private sealed class Setup(SimRun sim) : IAsyncDisposable
    {
        private readonly Random _random = new(sim.Seed);
        private readonly List<DhtNode> _nodes = [];
        private readonly Dictionary<NodeId, SimHost> _hosts = [];

        public async Task<DhtNode> Node(string name, int oneWayMs, NodeId? id = null)
        {
            sim.Network.SpreadAddresses = true;
            var host = sim.Network.AddHost(name, new LinkSpec(TimeSpan.FromMilliseconds(oneWayMs)));
            var node = await DhtNode.StartAsync(new DhtNodeOptions
            {
                Bootstrap = [], LocalEndPoint = new IPEndPoint(IPAddress.Any, 6881), Network = host, Clock = sim.Clock,
                LoopbackOnly = false, Id = id ?? NodeId.Random(_random),
            });
            _nodes.Add(node);
            _hosts[node.Id] = host;
            return node;
        }

        public IPEndPoint EndPointOf(DhtNode node) => new(_hosts[node.Id].Address, 6881);

        /// <summary>A host whose port 6881 takes every datagram and answers none, noting when each arrived.</summary>
        public Silent SilentHost(string name, int oneWayMs)
        {
            sim.Network.SpreadAddresses = true;
            var host = sim.Network.AddHost(name, new LinkSpec(TimeSpan.FromMilliseconds(oneWayMs)));
            var port = host.BindUdp(new IPEndPoint(IPAddress.Any, 6881), new UdpPortOptions());
            var silent = new Silent(new IPEndPoint(host.Address, 6881));
            port.Start((_, _) => silent.Arrivals.Add(sim.Clock.Now));
            return silent;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in _nodes) await node.DisposeAsync();
        }
    }

    private sealed record Silent(IPEndPoint EndPoint)
    {
        public List<TimeSpan> Arrivals { get; } = [];
    }
}
