using System.Net;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

/// <summary>The tracker's announce and scrape answers, asked in process (no socket): the full scrape's bounds.</summary>
public class HttpTrackerEndpointTests
{
    private const int Torrents = 300_000;

    private static InfoHash Hash(int i)
    {
        var bytes = new byte[InfoHash.Length];
        BitConverter.TryWriteBytes(bytes, i);
        bytes[19] = 0x5A;
        return new InfoHash(bytes);
    }

    // 300,000 distinct torrents of one peer each, announced through the swarm the endpoint answers from (the UDP path's
    // announce: no answer list allocated), and torrent 0 with three peers.
    private static TrackedSwarm Fill(TimeProvider time, TimeSpan peerTimeout)
    {
        var swarm = new TrackedSwarm(peerTimeout, time);
        var where = PeerAddress.Of(new IPEndPoint(IPAddress.Loopback, 7001));
        for (var i = 0; i < Torrents; i++)
            swarm.Announce(Hash(i), Peer('a').Bytes, where, 0, AnnounceEvent.Started, 0, [], System.Net.Sockets.AddressFamily.InterNetwork);
        foreach (var c in "bc") swarm.Announce(Hash(0), Peer(c).Bytes, where, 5, AnnounceEvent.Started, 0, [], System.Net.Sockets.AddressFamily.InterNetwork);
        return swarm;
    }

    private static BDictionary Scrape(HttpTrackerEndpoint endpoint, string target = "/scrape") =>
        BencodeDecoder.DecodeDictionary(endpoint.Answer(Encoding.ASCII.GetBytes(target), IPAddress.Loopback).Body);

    [Fact]
    public void FullScrape_After300000Torrents_IsRefusedByDefault_InAFewBytes()
    {
        // Issue 53: 24 bytes (GET /scrape) answered every torrent ever seen: after 300,000, no answer in 120 s.
        var options = new TrackerServerOptions();
        var endpoint = new HttpTrackerEndpoint(options, Fill(TimeProvider.System, options.EffectivePeerTimeout), new TrackerFaults());
        var before = GC.GetAllocatedBytesForCurrentThread();

        var answer = endpoint.Answer("/scrape"u8, IPAddress.Loopback);

        Assert.Contains("answers no full scrape", (BencodeDecoder.DecodeDictionary(answer.Body)["failure reason"] as BString)?.Text);
        Assert.True(answer.Body.Length < 200, $"{answer.Body.Length} bytes");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "a refused full scrape allocates next to nothing");
    }

    [Fact]
    public void FullScrape_WhenOn_After300000Torrents_AnswersAtMostItsCap_InBoundedMemory_BiggestFirst()
    {
        var options = new TrackerServerOptions { FullScrape = true };
        var endpoint = new HttpTrackerEndpoint(options, Fill(TimeProvider.System, options.EffectivePeerTimeout), new TrackerFaults());
        var before = GC.GetAllocatedBytesForCurrentThread();

        var body = endpoint.Answer("/scrape"u8, IPAddress.Loopback).Body;

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var files = Assert.IsType<BDictionary>(BencodeDecoder.DecodeDictionary(body)["files"]);
        Assert.Equal(options.FullScrapeMax, files.Entries.Count());
        Assert.True(body.Length <= options.FullScrapeMax * 100, $"{body.Length} bytes for {options.FullScrapeMax} torrents");
        Assert.True(allocated < 4 * 1024 * 1024, $"{allocated} bytes allocated: memory must follow the cap, not the 300,000 torrents");
        var biggest = (BDictionary)files.Entries.Single(e => e.Key.AsSpan().SequenceEqual(Hash(0).Bytes)).Value;
        Assert.Equal(2, ((BInteger)biggest["incomplete"]!).Value); // the torrent with most peers is never the one left out
    }

    [Fact]
    public void ExpiredTorrents_LeaveTheScrape_AndTheTracker()
    {
        var clock = new ManualClock();
        var options = new TrackerServerOptions { FullScrape = true, Time = clock };
        var swarm = Fill(clock, options.EffectivePeerTimeout);
        var endpoint = new HttpTrackerEndpoint(options, swarm, new TrackerFaults());
        clock.Advance(options.EffectivePeerTimeout);
        swarm.Announce(Hash(7), Peer('z'), new IPEndPoint(IPAddress.Loopback, 7002), 5, AnnounceEvent.Started, 0); // one stays alive

        clock.Advance(TimeSpan.FromSeconds(1));   // every other peer is now silent past the timeout
        swarm.Sweep();                            // what the server's timer does

        var files = Assert.IsType<BDictionary>(Scrape(endpoint)["files"]);
        Assert.Equal(Hash(7).Bytes.ToArray(), Assert.Single(files.Entries).Key);
        Assert.Equal([Hash(7)], swarm.InfoHashes);
        var forgotten = (BDictionary)Assert.IsType<BDictionary>(Scrape(endpoint, "/scrape?info_hash=" + Uri.EscapeDataString(Encoding.Latin1.GetString(Hash(3).Bytes)))["files"]).Entries.Single().Value;
        Assert.Equal(0, ((BInteger)forgotten["complete"]!).Value);
    }

    [Fact]
    public async Task TheServersOwnTimer_ForgetsTorrentsNobodyAsksAbout()
    {
        var clock = new ManualClock();
        await using var server = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Time = clock, Interval = TimeSpan.FromSeconds(5) }, TestContext.Current.CancellationToken);
        using var client = new TrackerClient([[server.HttpAnnounceUrl]]);
        await client.AnnounceAsync(new AnnounceRequest(BinaryHash, Peer('a'), 7001, 0, 0, 5, AnnounceEvent.Started), TestContext.Current.CancellationToken);
        Assert.Equal(1, server.TorrentCount);

        clock.Advance(server.Options.EffectivePeerTimeout + TimeSpan.FromMinutes(1)); // the sweep timer fires inside Advance

        Assert.Equal(0, server.TorrentCount); // counted without a sweep of its own: the timer forgot it
    }
}
