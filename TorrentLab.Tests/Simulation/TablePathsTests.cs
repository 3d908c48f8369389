using System.Net;
using TorrentLab.Network;
using TorrentLab.Simulation;
using TorrentLab.Simulation.Experiments;

namespace TorrentLab.Tests.Simulation;

/// <summary>Path delays from the round-trip table: one round trip per pair of hosts, fixed by the seed, half of it each
/// way; and the DHT experiment's median round trip, which must be the table's.</summary>
public class TablePathsTests
{
    private static (SimClock Clock, SimNetwork Network) World(int seed = 1)
    {
        var clock = new SimClock();
        return (clock, new SimNetwork(clock, new EventLog(clock), seed));
    }

    private static SimHost[] Placed(SimNetwork network, TablePaths paths, int count, int seed)
    {
        var random = new Random(seed);
        var hosts = new SimHost[count];
        for (var i = 0; i < count; i++)
        {
            hosts[i] = network.AddHost($"n{i}", new LinkSpec(TimeSpan.Zero));
            paths.Place(hosts[i], paths.Table.Region(random.NextDouble()));
        }
        return hosts;
    }

    [Fact]
    public void RttMs_IsOneValuePerPair_TheSameBothWaysAndForTheSameSeed()
    {
        var (_, network) = World();
        var paths = new TablePaths(RttTable.Published, seed: 7);
        var hosts = Placed(network, paths, 50, seed: 1);
        var again = new TablePaths(RttTable.Published, seed: 7);
        var other = new TablePaths(RttTable.Published, seed: 8);
        foreach (var host in hosts)
        {
            again.Place(host, paths.RegionOf(host));
            other.Place(host, paths.RegionOf(host));
        }
        var differs = 0;
        for (var a = 0; a < hosts.Length; a++)
        {
            for (var b = a + 1; b < hosts.Length; b++)
            {
                var rtt = paths.RttMs(hosts[a], hosts[b]);
                Assert.NotNull(rtt);
                Assert.Equal(rtt, paths.RttMs(hosts[b], hosts[a]));
                Assert.Equal(rtt, again.RttMs(hosts[a], hosts[b]));
                if (rtt != other.RttMs(hosts[a], hosts[b])) differs++;
            }
        }
        Assert.True(differs > 1000, $"another seed should draw other round trips; {differs} of 1,225 pairs differ");
    }

    [Fact]
    public void Datagram_TakesHalfThePairsRoundTrip_AndAHostNotPlacedKeepsItsLinks()
    {
        var (clock, network) = World();
        var paths = new TablePaths(RttTable.Published, seed: 3);
        network.PathDelay = paths;
        var hosts = Placed(network, paths, 2, seed: 1);
        var outside = network.AddHost("outside", new LinkSpec(TimeSpan.FromMilliseconds(10)));
        var got = new List<(IPEndPoint From, TimeSpan At)>();
        using var port = hosts[1].BindUdp(new IPEndPoint(IPAddress.Any, 7), new UdpPortOptions());
        port.Start((_, from) => got.Add((from, clock.Now)));
        using var a = hosts[0].BindUdp(new IPEndPoint(IPAddress.Any, 5), new UdpPortOptions());
        using var c = outside.BindUdp(new IPEndPoint(IPAddress.Any, 5), new UdpPortOptions());
        a.Send(new byte[100], new IPEndPoint(hosts[1].Address, 7));
        c.Send(new byte[100], new IPEndPoint(hosts[1].Address, 7));
        while (clock.NextDue is not null) clock.Step();
        Assert.Equal(2, got.Count);
        var fromPlaced = got.Single(g => g.From.Address.Equals(hosts[0].Address)).At;
        Assert.Equal(TimeSpan.FromMilliseconds(paths.RttMs(hosts[0], hosts[1])!.Value / 2).TotalMilliseconds, fromPlaced.TotalMilliseconds, 3);
        // Not placed: both ends' link latencies, 10 ms and the placed host's 0.
        Assert.Equal(TimeSpan.FromMilliseconds(10), got.Single(g => g.From.Address.Equals(outside.Address)).At);
    }

    [Fact]
    public void TheExperimentsMedianRtt_IsTheMedianTheTableGives()
    {
        var (_, network) = World();
        var table = RttTable.Published;
        var paths = new TablePaths(table, seed: 1);
        var hosts = Placed(network, paths, 3000, seed: 1);
        var sampled = DhtExperiment.SampleRtts(paths, hosts, new Random(2)).Order().ToList()[5_000];

        // The table's own median: the x where the mixture of the pairs' distributions, weighted by both regions'
        // shares, reaches one half (each pair's distribution linear between its quantiles, as RttMs reads it).
        double Below(int a, int b, double x)
        {
            var q = table.Quantiles;
            var rtts = table.Between(a, b);
            if (x < rtts[0]) return 0;
            if (x >= rtts[^1]) return 1;
            var i = 1;
            while (rtts[i] <= x) i++;
            return q[i - 1] + (q[i] - q[i - 1]) * (x - rtts[i - 1]) / (rtts[i] - rtts[i - 1]);
        }
        double Mixture(double x) => Enumerable.Range(0, 6).Sum(a => Enumerable.Range(0, 6).Sum(b => table.Share(a) * table.Share(b) * Below(a, b, x)));
        double low = 0, high = 1000;
        while (high - low > 0.01)
        {
            var mid = (low + high) / 2;
            if (Mixture(mid) < 0.5) low = mid; else high = mid;
        }
        // 10,000 pairs among 3,000 hosts whose regions are drawn, not exact shares: within 5 %.
        Assert.InRange(sampled, low * 0.95, low * 1.05);
    }
}
