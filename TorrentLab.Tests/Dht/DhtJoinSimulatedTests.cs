using System.Net;
using TorrentLab.Dht;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

/// <summary>How a <see cref="DhtNode"/> joins (<c>Dht/DhtNode.Lifecycle.cs</c>), on the simulated network: hundreds of
/// unchanged nodes, each on a host of its own, one virtual clock, deterministic from the seed.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class DhtJoinSimulatedTests
{
    [Fact]
    public void Join_FillsTheBucketsFartherThanItsNeighbours_NotOnlyTheOnesItsOwnLookupPassed() =>
        Simulated.Passes(FarBuckets, seed: 1);

    [Fact]
    public void Join_ThroughABootstrapNodeThatDidNotAnswer_IsTriedAgainAtTheNextMaintenanceRound() =>
        Simulated.Passes(JoinAgain, seed: 2);

    /// <summary>200 nodes join through the first, 20 ms apart; right after its join the last one knows at least K nodes
    /// of the half and of the quarter of the id space farthest from it (about 100 and 50 nodes), and more than K of the
    /// half, whose bucket holds 128 (libtorrent's extended routing table). Its own lookup passes through about one node
    /// of each: Kademlia's join refreshes every distance farther than the nearest neighbour.</summary>
    internal static async Task FarBuckets(SimRun sim)
    {
        const int count = 200;
        sim.Network.SpreadAddresses = true; // a /24 each, as on the internet (a bucket keeps one node per /24)
        var random = new Random(sim.Seed);
        var hosts = Enumerable.Range(0, count).Select(i => sim.Network.AddHost($"n{i}", new LinkSpec(TimeSpan.FromMilliseconds(10 + i % 30)))).ToArray();
        var nodes = new List<DhtNode>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                nodes.Add(await DhtNode.StartAsync(Options(sim, hosts[i], random, i == 0 ? [] : [$"{hosts[0].Address}:6881"])));
                await sim.Delay(TimeSpan.FromMilliseconds(20));
            }
            var last = nodes[^1];
            await last.Bootstrapped;
            // Nodes by how many leading bits they share with the last node's id: 0 is the far half, 1 the next quarter.
            int[] regions;
            lock (last.TableLock) regions = [.. Enumerable.Range(0, 4).Select(i => last.Table.Entries.Count(e => last.Id.CommonPrefixLength(e.Contact.Id) == i))];
            sim.Log.Line("scenario", $"the last node's table by shared bits 0-3: {string.Join(" ", regions)}");
            Assert.True(regions[0] > RoutingTable.K, $"{regions[0]} nodes of the far half"); // its bucket holds 128 (the extended table)
            Assert.True(regions[1] >= RoutingTable.K, $"{regions[1]} nodes of the next quarter");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    /// <summary>A node joins through a bootstrap host on which no DHT node runs yet: its table stays empty. Then the
    /// bootstrap node starts and another node joins through it; at the first node's next maintenance round (a minute
    /// later) it looks up its own id through the bootstrap node again and knows both.</summary>
    internal static async Task JoinAgain(SimRun sim)
    {
        sim.Network.SpreadAddresses = true; // a /24 each: a bucket keeps one node per /24
        var random = new Random(sim.Seed);
        var link = new LinkSpec(TimeSpan.FromMilliseconds(20));
        var routerHost = sim.Network.AddHost("router", link);
        var aHost = sim.Network.AddHost("a", link);
        var bHost = sim.Network.AddHost("b", link);
        var router = $"{routerHost.Address}:6881";
        var nodes = new List<DhtNode>();
        try
        {
            var a = await DhtNode.StartAsync(Options(sim, aHost, random, [router]));
            nodes.Add(a);
            await a.Bootstrapped;
            Assert.Equal(0, a.NodeCount);

            nodes.Add(await DhtNode.StartAsync(Options(sim, routerHost, random, [])));
            var b = await DhtNode.StartAsync(Options(sim, bHost, random, [router]));
            nodes.Add(b);
            await b.Bootstrapped;
            Assert.Equal(0, a.NodeCount); // nothing told a yet

            Assert.True(await sim.WaitUntil(() => a.NodeCount == 2, TimeSpan.FromMinutes(2)),
                $"a knows {a.NodeCount} nodes two minutes later");
            sim.Log.Line("scenario", $"a knows router and b at {sim.Clock.Now}");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    private static DhtNodeOptions Options(SimRun sim, SimHost host, Random random, string[] bootstrap) => new()
    {
        Bootstrap = bootstrap, LocalEndPoint = new IPEndPoint(IPAddress.Any, 6881), Network = host, Clock = sim.Clock,
        LoopbackOnly = false, Id = NodeId.Random(random),
    };
}
