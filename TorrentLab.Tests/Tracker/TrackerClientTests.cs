using System.Collections.Concurrent;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

/// <summary>The client against our own tracker, in process, over real loopback sockets (HTTP and UDP).</summary>
public class TrackerClientTests
{
    // Short limits so a broken exchange fails within a second or two, never hangs.
    internal static readonly TrackerClientOptions Fast = new()
    {
        HttpTimeout = TimeSpan.FromSeconds(2),
        UdpRetransmitSchedule = [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500)],
        ShuffleTiers = false,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Task<TrackerServer> StartAsync(Action<string>? log = null, string? trackerId = null) =>
        TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromSeconds(60), Log = log, TrackerId = trackerId }, Ct);

    private static string Url(TrackerServer server, string transport) => transport == "udp" ? server.UdpAnnounceUrl : server.HttpAnnounceUrl;

    private static AnnounceRequest Request(char peer, int port, long left = 1000, AnnounceEvent evt = AnnounceEvent.Started) =>
        new(BinaryHash, Peer(peer), port, 0, 0, left, evt);

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task Announce_TwoPeers_SecondSeesTheFirstAndTheTrackerStoresTheExactBinaryHash(string transport)
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([[Url(server, transport)]], Fast);

        var first = await client.AnnounceAsync(Request('a', 7001), Ct);
        var second = await client.AnnounceAsync(Request('b', 7002, left: 0), Ct);

        Assert.Empty(first.Peers);
        Assert.Equal("127.0.0.1:7001", Assert.Single(second.Peers).ToString());
        Assert.Equal((1, 1), (second.Complete, second.Incomplete));
        Assert.Equal(TimeSpan.FromSeconds(60), second.Interval);
        var swarm = server.GetSwarm(BinaryHash); // found under the raw bytes we sent: nothing was re-encoded on the way
        Assert.Equal([Peer('a'), Peer('b')], swarm.Peers.Select(p => p.PeerId).Order(Comparer<PeerId>.Create((x, y) => string.CompareOrdinal(x.Hex, y.Hex))));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task Scrape_CountsSeedersLeechersAndCompleted(string transport)
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([[Url(server, transport)]], Fast);
        await client.AnnounceAsync(Request('a', 7001), Ct);
        await client.AnnounceAsync(Request('b', 7002), Ct);
        await client.AnnounceAsync(Request('b', 7002, left: 0, AnnounceEvent.Completed), Ct);
        await client.AnnounceAsync(Request('c', 7003, left: 0), Ct);

        // BEP 21's downloaders over HTTP only (BEP 15's scrape has no field for it).
        Assert.Equal(new ScrapeResult(Seeders: 2, Leechers: 1, Completed: 1, Downloaders: transport == "http" ? 1 : null),
            await client.ScrapeAsync(BinaryHash, Ct));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task Announce_Stopped_RemovesThePeer(string transport)
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([[Url(server, transport)]], Fast);
        await client.AnnounceAsync(Request('a', 7001), Ct);
        await client.AnnounceAsync(Request('a', 7001, evt: AnnounceEvent.Stopped), Ct);
        Assert.Empty(server.GetSwarm(BinaryHash).Peers);
    }

    // Over HTTP, the other faults are canned answers of a stub server (HttpTrackerTests); a connection dropped before
    // the answer is one that stub cannot make.
    [Theory]
    [InlineData("http", TrackerFault.DropConnection, "")]
    [InlineData("udp", TrackerFault.Http500, "no answer from 127.0.0.1")]
    [InlineData("udp", TrackerFault.FailureReason, "failure reason: scripted failure")]
    [InlineData("udp", TrackerFault.GarbageBencode, "expected action 1")]
    [InlineData("udp", TrackerFault.TruncatedBencode, "20-byte header")]
    [InlineData("udp", TrackerFault.TruncatedCompactPeers, "not a multiple of 6")]
    [InlineData("udp", TrackerFault.SlowAnswer, "no answer from 127.0.0.1")]
    [InlineData("udp", TrackerFault.DropConnection, "no answer from 127.0.0.1")]
    public async Task Announce_ScriptedFault_IsOneClearTrackerExceptionAndTheNextAnnounceWorks(string transport, TrackerFault fault, string expected)
    {
        await using var server = await StartAsync();
        server.Faults.Always = fault;
        server.Faults.SlowDelay = TimeSpan.FromSeconds(5);
        var url = Url(server, transport);
        // 2 s: long enough that the announce after the fault is answered in time on a loaded machine, well under the
        // scripted 5 s delay.
        var client = new TrackerClient([[url]], Fast with { HttpTimeout = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request('a', 7001), Ct));
        Assert.StartsWith(url + ": ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Equal(fault == TrackerFault.FailureReason ? "scripted failure" : null, error.FailureReason);

        server.Faults.Always = TrackerFault.None;
        var response = await client.AnnounceAsync(Request('b', 7002), Ct);
        Assert.NotNull(response.Incomplete);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("udp")]
    public async Task Announce_EmptyPeerListFault_ReturnsNoPeersThoughTheSwarmHasSome(string transport)
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([[Url(server, transport)]], Fast);
        await client.AnnounceAsync(Request('a', 7001), Ct);
        server.Faults.Next = TrackerFault.EmptyPeerList;
        Assert.Empty((await client.AnnounceAsync(Request('b', 7002), Ct)).Peers);
        Assert.Single((await client.AnnounceAsync(Request('b', 7002), Ct)).Peers); // Next applies once
    }

    [Fact]
    public async Task Announce_UdpSlowAnswerOnce_RetransmitsAndSucceeds()
    {
        await using var server = await StartAsync();
        server.Faults.Next = TrackerFault.SlowAnswer; // the first announce datagram is answered after 5 s
        var client = new TrackerClient([[server.UdpAnnounceUrl]], Fast);
        var response = await client.AnnounceAsync(Request('a', 7001), Ct);
        Assert.Equal(1, response.Incomplete);
    }

    [Fact]
    public async Task Announce_TrackerId_IsEchoedOnTheNextAnnounce()
    {
        var log = new ConcurrentQueue<string>();
        await using var server = await StartAsync(log.Enqueue, trackerId: "tid-1");
        var client = new TrackerClient([[server.HttpAnnounceUrl]], Fast);
        Assert.Equal("tid-1", (await client.AnnounceAsync(Request('a', 7001), Ct)).TrackerId);
        await client.AnnounceAsync(Request('a', 7001, evt: AnnounceEvent.None), Ct);
        Assert.Equal([false, true], log.Select(line => line.Contains("trackerid=tid-1")));
    }

    [Fact]
    public async Task Announce_AnswerLargerThanTheCap_IsRejected()
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([[server.HttpAnnounceUrl]], Fast with { MaxResponseBytes = 10 });
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request('a', 7001), Ct));
        Assert.Contains("larger than 10 bytes", error.Message);
    }

    [Fact]
    public async Task Announce_FirstTierDead_FallsThroughToTheNextTier()
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([["http://127.0.0.1:1/announce"], [server.UdpAnnounceUrl]], Fast);
        Assert.Equal(1, (await client.AnnounceAsync(Request('a', 7001), Ct)).Incomplete);
    }

    [Fact]
    public async Task Announce_TrackerThatAnswers_MovesToTheFrontOfItsTier()
    {
        await using var server = await StartAsync();
        var client = new TrackerClient([["http://127.0.0.1:1/announce", server.HttpAnnounceUrl]], Fast);
        await client.AnnounceAsync(Request('a', 7001), Ct);
        Assert.Equal([server.HttpAnnounceUrl, "http://127.0.0.1:1/announce"], client.Tiers[0]);
    }

    [Fact]
    public void Constructor_ShufflesWithinTiersOnly()
    {
        var tiers = new[] { Enumerable.Range(0, 30).Select(i => $"http://127.0.0.1:{i + 1}/announce").ToArray(), ["udp://127.0.0.1:9/announce"] };
        var client = new TrackerClient(tiers, new TrackerClientOptions());
        Assert.Equal(tiers[0].Order(), client.Tiers[0].Order());
        Assert.NotEqual(tiers[0], client.Tiers[0]); // 30! orders: the same one twice is not a coincidence
        Assert.Equal(tiers[1], client.Tiers[1]);
    }

    [Fact]
    public async Task Announce_EveryTrackerFails_OneExceptionNamesEachTracker()
    {
        var client = new TrackerClient([["http://127.0.0.1:1/announce"], ["ftp://127.0.0.1/announce"]], Fast);
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Request('a', 7001), Ct));
        Assert.StartsWith("all 2 trackers failed: http://127.0.0.1:1/announce: cannot connect", error.Message);
        Assert.Contains("; ftp://127.0.0.1/announce: unsupported tracker URL scheme", error.Message);
    }

    [Fact]
    public async Task Announce_NoTracker_SaysSo()
    {
        var error = await Assert.ThrowsAsync<TrackerException>(() => new TrackerClient([], Fast).AnnounceAsync(Request('a', 1), Ct));
        Assert.Contains("no tracker", error.Message);
    }

    [Fact]
    public void UserAgent_NamesTorrentLabAndItsVersion() =>
        Assert.Matches(@"^TorrentLab/\d+\.\d+\.\d+", new TrackerClientOptions().UserAgent);
}
