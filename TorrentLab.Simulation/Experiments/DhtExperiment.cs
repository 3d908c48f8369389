using System.Globalization;
using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Simulation.Experiments;

/// <summary>A Mainline DHT of N unchanged <see cref="DhtNode"/>s, each on a simulated host: they join one after another
/// through the first (the router), a share of them then stops answering (their hosts vanish, still in everyone's
/// tables), one node announces a peer for a torrent, and lookups from random answering nodes look for it. Reports the
/// time to the first peer (median, p90, p99), the success rate, the queries (messages) and the hops that reported
/// closer nodes, per lookup, and the median round trip between two hosts.</summary>
internal static class DhtExperiment
{
    /// <param name="Nodes">N, the router included.</param>
    /// <param name="Lookups">How many get_peers lookups are timed.</param>
    /// <param name="Unresponsive">The share of nodes that stop answering after everyone joined.</param>
    /// <param name="Rtt">"atlas" (the default): each host placed in a region of <see cref="RttTable.Published"/> by
    /// the regions' shares, and each pair of hosts given a round trip drawn from their regions' measured distribution
    /// (RIPE Atlas pings; <see cref="TablePaths"/>). "lognormal": the earlier model, each host's one-way delay to the
    /// core from <paramref name="MedianOneWayMs"/>, a pair's delay the sum of both ends.</param>
    /// <param name="MedianOneWayMs">With "lognormal": the median one-way delay of a host to the core; delays are
    /// log-normal around it (sigma 0.6, at least 2 ms): a spread of our choosing, not a published measurement.</param>
    /// <param name="Loss">The chance each datagram is lost.</param>
    /// <param name="Spread">Hosts in different /24s (<see cref="SimNetwork.SpreadAddresses"/>) rather than 254 to a /24.</param>
    /// <param name="Memory">Print the calendar's size and the managed heap (after a full collection) at each phase, on
    /// stderr (not in the event log: the heap is not the same from run to run).</param>
    internal sealed record Options(int Nodes, int Lookups = 200, double Unresponsive = 0.2, double MedianOneWayMs = 25, double Loss = 0.01,
        bool Spread = true, bool Memory = false, string Rtt = "atlas");

    public static async Task RunAsync(SimRun sim, Options o, Action<string> print)
    {
        var inv = CultureInfo.InvariantCulture;
        var random = new Random(sim.Seed);
        double OneWayMs() => Math.Max(2, o.MedianOneWayMs * Math.Exp(0.6 * Gaussian(random)));
        var latencies = new double[o.Nodes];
        var hosts = new SimHost[o.Nodes];
        sim.Network.SpreadAddresses = o.Spread;
        var paths = o.Rtt switch
        {
            "atlas" => new TablePaths(RttTable.Published, sim.Seed),
            "lognormal" => null,
            _ => throw new FormatException($"--rtt must be atlas or lognormal, got '{o.Rtt}'"),
        };
        sim.Network.PathDelay = paths;
        for (var i = 0; i < o.Nodes; i++)
        {
            if (paths is null)
            {
                latencies[i] = OneWayMs();
                hosts[i] = sim.Network.AddHost($"n{i}", new LinkSpec(TimeSpan.FromMilliseconds(latencies[i]), Loss: o.Loss));
            }
            else
            {
                // The path's whole delay comes from the table; the access link keeps its loss.
                hosts[i] = sim.Network.AddHost($"n{i}", new LinkSpec(TimeSpan.Zero, Loss: o.Loss));
                paths.Place(hosts[i], paths.Table.Region(random.NextDouble()));
            }
        }
        var router = $"{hosts[0].Address}:6881";
        var nodes = new DhtNode[o.Nodes];
        DhtNodeOptions Options(int i) => new()
        {
            Bootstrap = i == 0 ? [] : [router], LocalEndPoint = new IPEndPoint(IPAddress.Any, 6881), Network = hosts[i], Clock = sim.Clock,
            LoopbackOnly = false, Id = NodeId.Random(random),
        };
        void Phase(string name)
        {
            if (!o.Memory) return;
            var managed = GC.GetTotalMemory(forceFullCollection: true) >> 20;
            Console.Error.WriteLine(string.Create(inv, $"memory {name} at {sim.Clock.Now.TotalSeconds:0} s: calendar {sim.Clock.Waiting} entries " +
                $"({sim.Clock.Live} live), managed {managed} MiB after a full collection, working set {Environment.WorkingSet >> 20} MiB"));
        }
        try
        {
            // Joining: one node every 20 ms of virtual time, each bootstrapping through the router.
            for (var i = 0; i < o.Nodes; i++)
            {
                nodes[i] = await DhtNode.StartAsync(Options(i)).ConfigureAwait(false);
                await sim.Delay(TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
            }
            await Task.WhenAll(nodes.Select(n => n.Bootstrapped)).ConfigureAwait(false);
            Phase("joined");
            await sim.Delay(TimeSpan.FromMinutes(2)).ConfigureAwait(false); // a maintenance round or two
            var joinedAt = sim.Clock.Now;
            Phase("two minutes later");

            // A share stops answering, the router never (it is everyone's way in).
            var silent = new HashSet<int>(Enumerable.Range(1, o.Nodes - 1).OrderBy(_ => random.Next()).Take((int)(o.Unresponsive * o.Nodes)));
            foreach (var i in silent) hosts[i].Vanish();
            var answering = Enumerable.Range(0, o.Nodes).Where(i => !silent.Contains(i)).ToArray();

            var torrent = new Metainfo.InfoHash(NodeId.Random(random).Bytes);
            var announcer = answering[random.Next(answering.Length)];
            var stored = await nodes[announcer].AnnounceAsync(torrent, 6881).ConfigureAwait(false);
            // A peer stays on a node for 30 minutes (PeerStore.Lifetime); a client announces again every 15 (the
            // session's DhtInterval), and so does this one while the lookups run.
            using var stop = new CancellationTokenSource();
            var reannouncing = Reannounce(nodes[announcer], torrent, stop.Token);
            var peer = new IPEndPoint(hosts[announcer].Address, 6881);
            // The answering nodes by distance to the torrent (rank 0: the closest), and which of them store the peer.
            var target = DhtNode.ToNodeId(torrent);
            var rank = answering.OrderBy(i => nodes[i].Id, Comparer<NodeId>.Create(target.CompareDistance)).Select((node, r) => (node, r))
                .ToDictionary(x => hosts[x.node].Address, x => x.r);
            var storing = answering.Where(i => nodes[i].StoredPeers(torrent).Contains(peer)).Select(i => rank[hosts[i].Address]).Order().ToList();
            sim.Log.Line("experiment", $"stored on the answering nodes of ranks {string.Join(",", storing)}");
            var failedClosest = new List<double>();

            var times = new List<double>();
            var queries = new List<int>();
            var hops = new List<int>();
            var found = 0;
            for (var l = 0; l < o.Lookups; l++)
            {
                var from = answering[random.Next(answering.Length)];
                if (from == announcer) continue;
                var started = sim.Clock.Now;
                var asked = 0;
                var closer = 0;
                var silentAsked = 0;
                var best = int.MaxValue;
                var trail = new List<string>();
                TimeSpan? first = null;
                await foreach (var p in nodes[from].GetPeersAsync(target, hop =>
                {
                    asked++;
                    if (hop.Closer > 0) closer++;
                    if (hop.Error is not null) silentAsked++;
                    else if (rank.TryGetValue(hop.Node.Address, out var r)) best = Math.Min(best, r);
                    var at = (sim.Clock.Now - started).TotalMilliseconds;
                    trail.Add(hop.Error is not null
                        ? $"{at:0}ms {hop.Node.Address}:{(hop.Error.Contains("did not answer", StringComparison.Ordinal) ? "timeout" : hop.Error)}"
                        : $"{at:0}ms {(rank.TryGetValue(hop.Node.Address, out var k) ? k : -1)}:{hop.Nodes}n/{hop.Closer}c/{hop.Peers}p");
                }).ConfigureAwait(false))
                {
                    if (p.Equals(peer) && first is null) first = sim.Clock.Now - started;
                }
                queries.Add(asked);
                hops.Add(closer);
                if (first is { } t)
                {
                    found++;
                    times.Add(t.TotalMilliseconds);
                    // What the lookup's time was made of: each answer (or failure) at its time, with the answering
                    // node's rank by distance to the torrent (rank:nodes/closer/peers).
                    sim.Log.Line("experiment", string.Create(inv, $"lookup {l} from n{from} found the peer at {t.TotalMilliseconds:0} ms " +
                        $"({asked} queries); hops {string.Join(" ", trail)}"));
                }
                else
                {
                    // Why a lookup missed: how near the torrent the closest node that answered it was.
                    failedClosest.Add(best);
                    sim.Log.Line("experiment", $"lookup {l} from n{from} (buckets {Table(nodes[from], sim.Clock)}, log distance to " +
                        $"target {nodes[from].Id.LogDistanceTo(target)}) missed: {asked} queries ({silentAsked} unanswered), closest answering rank {best}, " +
                        $"{(sim.Clock.Now - started).TotalMilliseconds:0} ms; hops (rank:nodes/closer) {string.Join(" ", trail)}");
                }
            }

            Phase("lookups done");
            await stop.CancelAsync().ConfigureAwait(false);
            await reannouncing.ConfigureAwait(false);
            var rtts = paths is null
                ? Enumerable.Range(0, 10_000).Select(_ => 2 * (latencies[random.Next(o.Nodes)] + latencies[random.Next(o.Nodes)])).ToList()
                : SampleRtts(paths, hosts, random);
            var done = queries.Count;
            print(string.Create(inv,
                $"nodes={o.Nodes} seed={sim.Seed} rtt={o.Rtt} addresses={(o.Spread ? "spread" : "dense")} unresponsive={o.Unresponsive:0.00} " +
                $"loss={o.Loss:0.000} joined_s={joinedAt.TotalSeconds:0} " +
                $"announced_to={stored} lookups={done} queries_median={Percentile(queries.Select(q => (double)q), 0.5):0} " +
                $"closer_hops_median={Percentile(hops.Select(h => (double)h), 0.5):0} p90_ms={Percentile(times, 0.9):0} " +
                $"median_ms={Percentile(times, 0.5):0} p99_ms={Percentile(times, 0.99):0} success={(double)found / done:0.000} " +
                $"median_rtt_ms={Percentile(rtts, 0.5):0} stored_on_ranks={string.Join(",", storing)} " +
                $"missed_closest_rank_median={Percentile(failedClosest, 0.5):0}"));
        }
        finally
        {
            foreach (var node in nodes) if (node is not null) await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The round trips of 10,000 pairs of distinct hosts drawn from <paramref name="random"/>: what the last
    /// line's median_rtt_ms is the median of.</summary>
    internal static List<double> SampleRtts(TablePaths paths, IReadOnlyList<SimHost> hosts, Random random)
    {
        var rtts = new List<double>(10_000);
        while (rtts.Count < 10_000)
        {
            var (a, b) = (random.Next(hosts.Count), random.Next(hosts.Count));
            if (a != b && paths.RttMs(hosts[a], hosts[b]) is { } rtt) rtts.Add(rtt);
        }
        return rtts;
    }

    /// <summary>A node's buckets as "good/questionable/bad" counts, farthest first (a diagnostic of a missed lookup).</summary>
    private static string Table(DhtNode node, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        int Count(KBucket b, NodeStatus status) => b.Entries.Count(e => e.StatusAt(now) == status);
        lock (node.TableLock)
            return string.Join(" ", node.Table.Buckets.Select(b =>
                $"{Count(b, NodeStatus.Good)}/{Count(b, NodeStatus.Questionable)}/{Count(b, NodeStatus.Bad)}+{b.Replacements.Count}"));
    }

    private static async Task Reannounce(DhtNode node, Metainfo.InfoHash torrent, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Swarm.Session.DhtInterval, node.Options.Clock, ct).ConfigureAwait(false);
                await node.AnnounceAsync(torrent, 6881, ct: ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>The value below which <paramref name="share"/> of <paramref name="values"/> lie (nearest rank); NaN when empty.</summary>
    private static double Percentile(IEnumerable<double> values, double share)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
