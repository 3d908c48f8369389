using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker.Server;

public class TrackedSwarmTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly IPEndPoint Here = new(IPAddress.Loopback, 7001);

    [Fact]
    public void Announce_PeerSilentForLongerThanThePeerTimeout_IsForgotten()
    {
        var time = new ManualTime();
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), time);
        swarm.Announce(BinaryHash, Peer('a'), Here, 10, AnnounceEvent.Started, 50);
        time.Now += TimeSpan.FromMinutes(2);
        Assert.Single(swarm.Announce(BinaryHash, Peer('b'), Here, 10, AnnounceEvent.Started, 50).Peers); // exactly the timeout: kept
        time.Now += TimeSpan.FromSeconds(1);
        Assert.Empty(swarm.Announce(BinaryHash, Peer('b'), Here, 10, AnnounceEvent.None, 50).Peers);
        Assert.Equal(1, swarm.Snapshot(BinaryHash).Leechers);
    }

    [Fact]
    public void Announce_CompletedTwice_CountsOneDownload()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System);
        swarm.Announce(BinaryHash, Peer('a'), Here, 10, AnnounceEvent.Started, 50);
        swarm.Announce(BinaryHash, Peer('a'), Here, 0, AnnounceEvent.Completed, 50);
        swarm.Announce(BinaryHash, Peer('a'), Here, 0, AnnounceEvent.Completed, 50);
        Assert.Equal(new ScrapeResult(Seeders: 1, Leechers: 0, Completed: 1, Downloaders: 0), swarm.Scrape(BinaryHash));
    }

    [Fact]
    public void Announce_NumWant_LimitsTheAnswerAndNeverIncludesTheAsker()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System);
        foreach (var c in "abcde") swarm.Announce(BinaryHash, Peer(c), Here, 10, AnnounceEvent.Started, 50);
        Assert.Equal(2, swarm.Announce(BinaryHash, Peer('a'), Here, 10, AnnounceEvent.None, 2).Peers.Count);
        Assert.DoesNotContain(swarm.Announce(BinaryHash, Peer('a'), Here, 10, AnnounceEvent.None, 50).Peers, p => p.PeerId == Peer('a'));
    }

    [Fact]
    public void Announce_WithoutShuffling_ListsPeersInTheOrderTheyFirstAnnounced()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System, shufflePeers: false);
        foreach (var c in "dbeca") swarm.Announce(BinaryHash, Peer(c), Here, 0, AnnounceEvent.Started, 50);
        swarm.Announce(BinaryHash, Peer('e'), Here, 0, AnnounceEvent.None, 50);   // a re-announce keeps its place

        var listed = swarm.Announce(BinaryHash, Peer('z'), Here, 10, AnnounceEvent.Started, 50).Peers;

        Assert.Equal([Peer('d'), Peer('b'), Peer('e'), Peer('c'), Peer('a')], listed.Select(p => p.PeerId));
    }

    [Fact]
    public void Scrape_UnknownTorrent_IsAllZeros() =>
        Assert.Equal(new ScrapeResult(0, 0, 0, 0), new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System).Scrape(BinaryHash));

    [Fact]
    public void Scrape_PartialSeedsAnnouncingPaused_AreLeechersButNotDownloaders_UntilTheyAnnounceOtherwise()
    {
        // BEP 21: "The number of partial seeds can be calculated by: incomplete - downloaders."
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System);
        swarm.Announce(BinaryHash, Peer('a'), Here, 10, AnnounceEvent.Started, 50);   // downloading
        swarm.Announce(BinaryHash, Peer('b'), Here, 10, AnnounceEvent.Paused, 50);    // a partial seed
        swarm.Announce(BinaryHash, Peer('c'), Here, 10, AnnounceEvent.Started, 50);
        swarm.Announce(BinaryHash, Peer('c'), Here, 10, AnnounceEvent.Paused, 50);    // became one
        swarm.Announce(BinaryHash, Peer('d'), Here, 0, AnnounceEvent.Started, 50);    // a seed

        Assert.Equal(new ScrapeResult(Seeders: 1, Leechers: 3, Completed: 0, Downloaders: 1), swarm.Scrape(BinaryHash));

        swarm.Announce(BinaryHash, Peer('c'), Here, 10, AnnounceEvent.None, 50);      // wants more again
        swarm.Announce(BinaryHash, Peer('b'), Here, 10, AnnounceEvent.Stopped, 50);
        Assert.Equal(new ScrapeResult(Seeders: 1, Leechers: 2, Completed: 0, Downloaders: 2), swarm.Scrape(BinaryHash));
    }

    [Fact]
    public void Announce_Compact_WritesOnlyTheOtherPeersOfTheAskedFamily()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System);
        swarm.Announce(BinaryHash, Peer('a'), new IPEndPoint(IPAddress.Parse("10.1.2.3"), 7001), 10, AnnounceEvent.Started, 50);
        swarm.Announce(BinaryHash, Peer('b'), new IPEndPoint(IPAddress.IPv6Loopback, 7002), 10, AnnounceEvent.Started, 50);
        var room = new byte[100];

        var (seeders, leechers, written) = swarm.Announce(BinaryHash, Peer('c').Bytes, PeerAddress.Of(Here), 0, AnnounceEvent.Started,
            50, room, System.Net.Sockets.AddressFamily.InterNetwork);

        Assert.Equal((1, 2), (seeders, leechers));
        Assert.Equal("0a0102031b59", Convert.ToHexStringLower(room, 0, written)); // 10.1.2.3:7001; ::1 and the asker left out
    }

    [Fact]
    public void Announce_Compact_WritesAsManyEntriesAsFit()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System);
        foreach (var c in "abc") swarm.Announce(BinaryHash, Peer(c), Here, 10, AnnounceEvent.Started, 50);
        var (_, _, written) = swarm.Announce(BinaryHash, Peer('z').Bytes, PeerAddress.Of(Here), 10, AnnounceEvent.Started,
            50, new byte[13], System.Net.Sockets.AddressFamily.InterNetwork);
        Assert.Equal(12, written); // two 6-byte entries; the third does not fit in 13 bytes
    }

    [Fact]
    public void Announce_IPv4MappedAddress_IsListedAsIPv4()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(1), TimeProvider.System);
        swarm.Announce(BinaryHash, Peer('a'), new IPEndPoint(IPAddress.Parse("::ffff:10.1.2.3"), 7001), 10, AnnounceEvent.Started, 50);
        Assert.Equal("10.1.2.3:7001", Assert.Single(swarm.Snapshot(BinaryHash).Peers).EndPoint.ToString());
    }

    [Fact]
    public void Announce_ExpiredPeersLeave_TheOthersKeepTheirOrder()
    {
        var time = new ManualTime();
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), time, shufflePeers: false);
        foreach (var c in "abcd") swarm.Announce(BinaryHash, Peer(c), Here, 10, AnnounceEvent.Started, 50);
        time.Now += TimeSpan.FromMinutes(1);
        swarm.Announce(BinaryHash, Peer('d'), Here, 10, AnnounceEvent.None, 50);
        swarm.Announce(BinaryHash, Peer('b'), Here, 0, AnnounceEvent.Completed, 50);
        time.Now += TimeSpan.FromMinutes(1.5);   // a and c silent for 2.5 minutes, b and d for 1.5

        var listed = swarm.Announce(BinaryHash, Peer('z'), Here, 10, AnnounceEvent.Started, 50).Peers;

        Assert.Equal([Peer('b'), Peer('d')], listed.Select(p => p.PeerId));
        Assert.Equal(new ScrapeResult(Seeders: 1, Leechers: 2, Completed: 1, Downloaders: 2), swarm.Scrape(BinaryHash));
    }

    [Theory]
    [InlineData(5, 45 * 60)]          // issue 56: a short interval, as classes and tests use: opentracker's 45 minutes
    [InlineData(149, 45 * 60)]
    [InlineData(1800, 3600)]          // the default interval: two of them, above the floor
    public void DefaultPeerTimeout_IsTheLongerOfTwoIntervalsAnd45Minutes(int interval, int expected) =>
        Assert.Equal(TimeSpan.FromSeconds(expected), new TrackerServerOptions { Interval = TimeSpan.FromSeconds(interval) }.EffectivePeerTimeout);

    [Fact]
    public void Announce_IntervalOf5s_AClientThatAnnouncesEvery300s_StaysListedBetweenItsAnnounces()
    {
        // libtorrent (and qBittorrent) never announce sooner than their min_announce_interval of 300 s, whatever
        // interval the tracker sends: with two intervals of 5 s and no floor, the peer was gone 10 s after each announce.
        var options = new TrackerServerOptions { Interval = TimeSpan.FromSeconds(5) };
        var time = new ManualTime();
        var swarm = new TrackedSwarm(options.EffectivePeerTimeout, time);
        var announced = time.Now;
        swarm.Announce(BinaryHash, Peer('a'), Here, 0, AnnounceEvent.Started, 50);
        foreach (var elapsed in (int[])[25, 299, 300])
        {
            time.Now = announced + TimeSpan.FromSeconds(elapsed);
            Assert.Equal(1, swarm.Scrape(BinaryHash).Seeders);
        }
        swarm.Announce(BinaryHash, Peer('a'), Here, 0, AnnounceEvent.None, 50);   // its next announce, 300 s later
        time.Now += TimeSpan.FromMinutes(45);
        Assert.Equal(1, swarm.Scrape(BinaryHash).Seeders);
        time.Now += TimeSpan.FromSeconds(1);                                      // then silent past the timeout: gone
        Assert.Equal(0, swarm.Scrape(BinaryHash).Seeders);
    }

    private static PeerId Numbered(int i) => new(System.Text.Encoding.ASCII.GetBytes($"-TZ0100-{i:D12}"));

    [Fact]
    public void Announce_TorrentAtItsPeerCap_AnswersANewcomerWithoutRecordingIt_AndTheOthersKeepTheirPlaces()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), TimeProvider.System, maxPeersPerTorrent: 3);
        foreach (var c in "abc") swarm.Announce(BinaryHash, Peer(c), Here, 10, AnnounceEvent.Started, 50);

        var newcomer = swarm.Announce(BinaryHash, Peer('d'), Here, 10, AnnounceEvent.Started, 50);

        Assert.Equal(3, newcomer.Peers.Count);                                  // answered: it finds the others
        Assert.Equal([Peer('a'), Peer('b'), Peer('c')], swarm.Snapshot(BinaryHash).Peers.Select(p => p.PeerId)); // in the order they first announced
        swarm.Announce(BinaryHash, Peer('b'), Here, 10, AnnounceEvent.Stopped, 50);
        swarm.Announce(BinaryHash, Peer('d'), Here, 10, AnnounceEvent.None, 50); // a place is free: recorded now
        Assert.Contains(Peer('d'), swarm.Snapshot(BinaryHash).Peers.Select(p => p.PeerId));
    }

    [Fact]
    public void Announce_InABigSwarm_AnswersNumWantDistinctLivePeers_NeverTheAsker()
    {
        var time = new ManualTime();
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), time);
        for (var i = 0; i < 5000; i++) swarm.Announce(BinaryHash, Numbered(i), Here, 10, AnnounceEvent.Started, 0);
        time.Now += TimeSpan.FromMinutes(1);
        for (var i = 0; i < 5000; i += 3) swarm.Announce(BinaryHash, Numbered(i), Here, 10, AnnounceEvent.None, 0); // a third stays live
        time.Now += TimeSpan.FromMinutes(1.5);                                                                    // the rest expire

        for (var round = 0; round < 20; round++)
        {
            var peers = swarm.Announce(BinaryHash, Numbered(3 * round), Here, 10, AnnounceEvent.None, 200).Peers;
            Assert.Equal(200, peers.Count);
            Assert.Equal(200, peers.Select(p => p.PeerId).Distinct().Count());
            Assert.DoesNotContain(Numbered(3 * round), peers.Select(p => p.PeerId));
            Assert.All(peers, p => Assert.Equal(0, int.Parse(System.Text.Encoding.ASCII.GetString(p.PeerId.Bytes[8..])) % 3)); // live ones only
        }
        Assert.Equal(1667, swarm.Scrape(BinaryHash).Leechers);
    }

    [Fact]
    public void Announce_ManyExpiriesAndCompactions_KeepTheOrderTheyFirstAnnouncedAndEveryCount()
    {
        var time = new ManualTime();
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), time, shufflePeers: false);
        for (var i = 0; i < 100; i++) swarm.Announce(BinaryHash, Numbered(i), Here, i % 2, AnnounceEvent.Started, 0); // even: seeds
        time.Now += TimeSpan.FromMinutes(1.5);
        for (var i = 0; i < 100; i += 10) swarm.Announce(BinaryHash, Numbered(i), Here, i % 2, AnnounceEvent.None, 0);
        time.Now += TimeSpan.FromMinutes(1);   // all but the ten re-announced expire, the holes are squeezed out

        var listed = swarm.Announce(BinaryHash, Numbered(1000), Here, 5, AnnounceEvent.Started, 50).Peers;

        Assert.Equal(Enumerable.Range(0, 10).Select(i => Numbered(10 * i)), listed.Select(p => p.PeerId));
        Assert.Equal(new ScrapeResult(Seeders: 10, Leechers: 1, Completed: 0, Downloaders: 1), swarm.Scrape(BinaryHash));
        for (var i = 0; i < 100; i += 10) swarm.Announce(BinaryHash, Numbered(i), Here, 0, AnnounceEvent.Stopped, 0);
        Assert.Equal([Numbered(1000)], swarm.Snapshot(BinaryHash).Peers.Select(p => p.PeerId));
    }

    private static InfoHash Hash(int i) => InfoHash.Compute(BitConverter.GetBytes(i));

    private static readonly IPEndPoint Flooder = new(IPAddress.Parse("198.51.100.7"), 7001);

    [Fact]
    public void Announce_AnAddressPastItsShareOfTorrents_IsRefusedWithAReason_ButMayJoinAnotherAddresssTorrent()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), new ManualTime(), maxTorrentsPerAddress: 2);
        var other = new IPEndPoint(IPAddress.Parse("198.51.100.8"), 7001);
        swarm.Announce(Hash(1), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);
        swarm.Announce(Hash(2), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);

        var refused = Assert.Throws<TrackerException>(() => swarm.Announce(Hash(3), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50));

        Assert.Equal("198.51.100.7 has started 2 torrents that this tracker still holds, the most one address may: " +
            "a new torrent is tracked once some of those have lost their last peer", refused.Message);
        Assert.Equal(2, swarm.Count); // nothing held for the refused one
        var stopped = swarm.Announce(Hash(4), Peer('a'), Flooder, 10, AnnounceEvent.Stopped, 50); // leaves nothing: starts nothing, refused or not
        Assert.Equal((0, 0, 0, 2), (stopped.Peers.Count, stopped.Seeders, stopped.Leechers, swarm.Count));
        swarm.Announce(Hash(3), Peer('b'), other, 10, AnnounceEvent.Started, 50);  // another address starts it
        swarm.Announce(Hash(3), Peer('a'), Flooder, 10, AnnounceEvent.None, 50);   // and the first may join it: that starts nothing
        Assert.Equal(2, swarm.Scrape(Hash(3)).Leechers);
        Assert.Equal((2, 1), (swarm.StartedBy(Flooder.Address), swarm.StartedBy(other.Address)));
    }

    [Fact]
    public void Announce_ATorrentForgotten_GivesItsPlaceBackToTheAddressThatStartedIt()
    {
        var time = new ManualTime();
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), time, maxTorrentsPerAddress: 2);
        swarm.Announce(Hash(1), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);
        swarm.Announce(Hash(2), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);
        swarm.Announce(Hash(1), Peer('a'), Flooder, 10, AnnounceEvent.Stopped, 50); // its last peer left: forgotten now
        swarm.Announce(Hash(3), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);
        Assert.Throws<TrackerException>(() => swarm.Announce(Hash(4), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50));

        time.Now += TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1); // both silent past the peer timeout
        swarm.Sweep();

        Assert.Equal((0, 0), (swarm.Count, swarm.StartedBy(Flooder.Address)));
        swarm.Announce(Hash(4), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);
        swarm.Announce(Hash(5), Peer('a'), Flooder, 10, AnnounceEvent.Started, 50);
        Assert.Equal(2, swarm.StartedBy(Flooder.Address));
    }

    [Fact]
    public void Announce_FromIPv6_TheShareIsPerSlash64()
    {
        var swarm = new TrackedSwarm(TimeSpan.FromMinutes(2), new ManualTime(), maxTorrentsPerAddress: 1);
        swarm.Announce(Hash(1), Peer('a'), new IPEndPoint(IPAddress.Parse("2001:db8:0:1::1"), 7001), 10, AnnounceEvent.Started, 50);

        var refused = Assert.Throws<TrackerException>(() =>
            swarm.Announce(Hash(2), Peer('b'), new IPEndPoint(IPAddress.Parse("2001:db8:0:1:ffff::2"), 7001), 10, AnnounceEvent.Started, 50));

        Assert.StartsWith("2001:db8:0:1::/64 has started 1 torrents", refused.Message, StringComparison.Ordinal);
        swarm.Announce(Hash(2), Peer('c'), new IPEndPoint(IPAddress.Parse("2001:db8:0:2::1"), 7001), 10, AnnounceEvent.Started, 50); // another /64
        Assert.Equal(2, swarm.Count);
    }
}
