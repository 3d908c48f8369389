using System.Net;
using TorrentLab.Dht;
using TorrentLab.Metainfo;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary><see cref="DhtNode"/>'s lookups where what is tested waits out query timeouts: on the simulated network,
/// each node on a host of its own, so a dead node's timeout passes in virtual time (nothing is waited for on the wall
/// clock, and nothing races it). Deterministic from the seed: each scenario runs twice with one event log.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class DhtNodeSimulatedTests
{
    private static readonly InfoHash Hash = InfoHash.FromHex("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");

    [Fact]
    public void Ping_ToASilentNode_TimesOutWithADhtException() => Simulated.Deterministic(PingSilent, seed: 1);

    /// <summary>Two nodes on hosts of their own; the second host vanishes, so the ping is never answered: it fails with
    /// a <see cref="DhtException"/> naming the query, at the node's query timeout (not before), and counts one
    /// timeout.</summary>
    internal static async Task PingSilent(SimRun sim)
    {
        var timeout = TimeSpan.FromMilliseconds(200);
        var a = sim.Network.AddHost("a", new LinkSpec(TimeSpan.FromMilliseconds(10)));
        var b = sim.Network.AddHost("b", new LinkSpec(TimeSpan.FromMilliseconds(10)));
        var random = new Random(sim.Seed);
        await using var asking = await DhtNode.StartAsync(new DhtNodeOptions
        {
            Bootstrap = [], LocalEndPoint = new IPEndPoint(IPAddress.Any, 6881), Network = a, Clock = sim.Clock,
            LoopbackOnly = false, Id = NodeId.Random(random), QueryTimeout = timeout,
        });
        await using var silent = await DhtNode.StartAsync(new DhtNodeOptions
        {
            Bootstrap = [], LocalEndPoint = new IPEndPoint(IPAddress.Any, 6881), Network = b, Clock = sim.Clock,
            LoopbackOnly = false, Id = NodeId.Random(random),
        });
        b.Vanish();

        var started = sim.Clock.Now;
        var e = await Assert.ThrowsAsync<DhtException>(() => asking.PingAsync(new IPEndPoint(b.Address, 6881), CancellationToken.None));
        var waited = sim.Clock.Now - started;
        sim.Log.Line("scenario", $"the ping failed after {waited.TotalMilliseconds:0} ms: {e.Message}");

        Assert.Contains("did not answer 'ping'", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, asking.Stats.Timeouts);
        Assert.True(waited >= timeout, $"the ping was given up after {waited.TotalMilliseconds} ms, before its timeout");
    }

    [Fact]
    public void Lookup_Terminates_WhenTheClosestNodesHaveAllAnswered_EvenWithDeadNodes() =>
        Simulated.Deterministic(DeadClosest, seed: 1);

    /// <summary>Thirty nodes, each joined through the first and then once more (as a refresh would); the ten closest
    /// to the target (but the one asking) vanish, so the lookup meets them, waits out their timeouts, and still ends:
    /// with no peer (nobody announced), within its bound of queries, having asked nobody twice.</summary>
    internal static async Task DeadClosest(SimRun sim)
    {
        sim.Network.SpreadAddresses = true; // a /24 each: a bucket keeps one node per /24
        var random = new Random(sim.Seed);
        var hosts = Enumerable.Range(0, 30).Select(i => sim.Network.AddHost($"n{i}", new LinkSpec(TimeSpan.FromMilliseconds(10 + i % 7 * 5)))).ToArray();
        var nodes = new List<DhtNode>();
        try
        {
            foreach (var host in hosts)
            {
                nodes.Add(await DhtNode.StartAsync(new DhtNodeOptions
                {
                    Bootstrap = [], LocalEndPoint = new IPEndPoint(IPAddress.Any, 6881), Network = host, Clock = sim.Clock,
                    LoopbackOnly = false, Id = NodeId.Random(random),
                }));
            }
            var first = new IPEndPoint(hosts[0].Address, 6881);
            foreach (var node in nodes.Skip(1)) await node.BootstrapAsync([first], CancellationToken.None);
            foreach (var node in nodes) await node.BootstrapAsync([], CancellationToken.None); // a second round, as a refresh would

            var target = DhtNode.ToNodeId(Hash);
            // Silence the nodes closest to the target, so the lookup must meet them (the ids come from the seed).
            var dead = Enumerable.Range(0, nodes.Count).Where(i => i != 1)
                .OrderBy(i => nodes[i].Id, Comparer<NodeId>.Create(target.CompareDistance)).Take(10).ToList();
            foreach (var i in dead) hosts[i].Vanish();
            var hops = new List<LookupHop>();

            var found = new List<IPEndPoint>();
            var started = sim.Clock.Now;
            await foreach (var peer in nodes[1].GetPeersAsync(target, hops.Add, CancellationToken.None)) found.Add(peer);
            sim.Log.Line("scenario", $"the lookup ended after {(sim.Clock.Now - started).TotalMilliseconds:0} ms, {hops.Count} hops, {hops.Count(h => h.Error is not null)} failed");

            Assert.Empty(found);                                   // nobody announced: the lookup still ends
            Assert.InRange(hops.Count, 1, DhtLookup.MaxQueries);
            Assert.Contains(hops, h => h.Error is not null);       // the dead nodes were tried and given up on
            var answered = hops.Where(h => h.Error is null).ToList();
            Assert.Equal(answered.Count, answered.Select(h => h.Node).Distinct().Count()); // nobody asked twice
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }
}
