using System.Diagnostics;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>A burst of announces at the embeddable tracker over loopback, HTTP and UDP, from clients running side by
/// side (bounded concurrency): every one is answered, with the peers it should see. The rate is a figure, not an
/// assertion. CI: 10,000 per transport; TORRENTLAB_RELIABILITY=long: 100,000.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class TrackerLoadTests
{
    private const int Clients = 16;   // concurrent announcers; each TrackerClient sends one request at a time

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task BurstOfAnnounces_AllAnsweredWithoutErrors(string transport)
    {
        var total = ReliabilityMode.Count(10_000, 100_000);
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, MaxPeersPerAnswer = 50 }, Ct);
        var url = transport == "http" ? server.HttpAnnounceUrl : server.UdpAnnounceUrl;
        // 100 torrents, so answers carry peers and the swarm table grows to thousands of entries.
        var hashes = Enumerable.Range(0, 100).Select(i => new InfoHash(Enumerable.Range(0, 20).Select(b => (byte)(b * 7 + i)).ToArray())).ToArray();
        var answered = 0;
        var errors = new List<string>();
        var latencies = new double[total];
        var options = new TrackerClientOptions { HttpTimeout = TimeSpan.FromSeconds(10), UdpRetransmitSchedule = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)] };
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, Clients), new ParallelOptions { MaxDegreeOfParallelism = Clients, CancellationToken = Ct }, async (c, ct) =>
        {
            using var client = new TrackerClient([[url]], options);
            for (var i = c; i < total; i += Clients)
            {
                var request = new AnnounceRequest(hashes[i % hashes.Length], PeerId.CreateOurs(), 10_000 + i % 50_000, 0, 0, 1000,
                    i < hashes.Length * 2 ? AnnounceEvent.Started : AnnounceEvent.None);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var answer = await client.AnnounceAsync(request, ct);
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (answer.Peers.Count > 50) throw new InvalidOperationException($"{answer.Peers.Count} peers, more than the cap of 50");
                    Interlocked.Increment(ref answered);
                }
                catch (Exception e) when (e is TrackerException or InvalidOperationException)
                {
                    lock (errors) errors.Add(e.Message);
                }
            }
        });
        clock.Stop();

        Array.Sort(latencies);
        var figures = $"{ReliabilityReport.PerSecond(total, clock.Elapsed)} with {Clients} clients; latency p50 {latencies[total / 2]:0.0} ms, " +
                      $"p99 {latencies[(int)(total * 0.99)]:0.0} ms; {server.GetSwarm(hashes[0]).Peers.Count} peers tracked for one torrent";
        ReliabilityReport.Add(new ReliabilityRow("load", $"tracker: burst of announces over {transport.ToUpperInvariant()}", total, answered,
            errors.Count == 0 ? "none" : $"{errors.Count} errors ({errors[0]})", figures));
        Assert.True(errors.Count == 0, $"{errors.Count} announces failed, first: {errors.FirstOrDefault()}");
        Assert.Equal(total, answered);
    }
}
