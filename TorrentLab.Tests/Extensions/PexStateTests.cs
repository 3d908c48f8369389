using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Extensions;

public class PexStateTests
{
    private static readonly IPEndPoint Remote = IPEndPoint.Parse("127.0.0.1:9000");
    private static IPEndPoint Ep(int port) => new(IPAddress.Loopback, port);

    [Fact]
    public void TryCreateMessage_FirstAtOnceThenOncePerMinute()
    {
        var clock = new ManualClock();
        var pex = new PexState(Remote, isPrivate: false, clock);
        pex.PeerConnected(new PexPeer(Ep(1)));

        Assert.True(pex.TryCreateMessage(out var first));
        Assert.Equal([new PexPeer(Ep(1))], first.Added);

        pex.PeerConnected(new PexPeer(Ep(2)));
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(pex.TryCreateMessage(out _));                 // BEP 11: about one message a minute
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(pex.TryCreateMessage(out var second));
        Assert.Equal([new PexPeer(Ep(2))], second.Added);
    }

    [Fact]
    public void TryCreateMessage_NothingNew_SendsNothing()
    {
        var pex = new PexState(Remote, false, new ManualClock());

        Assert.False(pex.TryCreateMessage(out _));
        pex.PeerConnected(new PexPeer(Remote));                    // the remote itself is never announced to it
        Assert.False(pex.TryCreateMessage(out _));
    }

    [Fact]
    public void TryCreateMessage_CapsAddedAt50AfterTheFirstAndKeepsTheRest()
    {
        var clock = new ManualClock();
        var pex = new PexState(Remote, false, clock);
        pex.PeerConnected(new PexPeer(Ep(1)));
        pex.TryCreateMessage(out _);
        for (var port = 100; port < 170; port++) pex.PeerConnected(new PexPeer(Ep(port)));

        clock.Advance(PexState.MinInterval);
        Assert.True(pex.TryCreateMessage(out var capped));
        clock.Advance(PexState.MinInterval);
        Assert.True(pex.TryCreateMessage(out var rest));

        Assert.Equal(50, capped.Added.Count);                       // BEP 11: "should not exceed 50 entries"
        Assert.Equal(20, rest.Added.Count);
        Assert.Empty(capped.Added.Intersect(rest.Added));
    }

    [Fact]
    public void PeerDropped_OnlyAnnouncedPeersAreReportedDropped()
    {
        var clock = new ManualClock();
        var pex = new PexState(Remote, false, clock);
        pex.PeerConnected(new PexPeer(Ep(1)));
        pex.TryCreateMessage(out _);
        pex.PeerConnected(new PexPeer(Ep(2)));
        pex.PeerDropped(Ep(2));                                     // came and went between two messages
        pex.PeerDropped(Ep(1));

        clock.Advance(PexState.MinInterval);
        Assert.True(pex.TryCreateMessage(out var message));

        Assert.Empty(message.Added);
        Assert.Equal([Ep(1)], message.Dropped);
    }

    [Fact]
    public void Receive_LearnsNewPeersAndIgnoresTheRemoteAndFloods()
    {
        var clock = new ManualClock();
        var pex = new PexState(Remote, false, clock);
        var message = new PexMessage { Added = [new PexPeer(Ep(1), PexFlags.Seed), new PexPeer(Remote), new PexPeer(Ep(1)), new PexPeer(Ep(0))] };

        Assert.Equal([new PexPeer(Ep(1), PexFlags.Seed)], pex.Receive(message));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(pex.Receive(new PexMessage { Added = [new PexPeer(Ep(2))] }));   // too soon: ignored
        Assert.Equal(1, pex.MessagesIgnored);
        clock.Advance(TimeSpan.FromSeconds(25));                                      // 55 s: within the tolerance
        Assert.Single(pex.Receive(new PexMessage { Added = [new PexPeer(Ep(2))] }));
    }

    [Fact]
    public void Receive_AddressesThatCanNeverBePeers_AreDropped()
    {
        var pex = new PexState(Remote, false, new ManualClock());
        var message = new PexMessage
        {
            Added = [.. new[] { "0.0.0.0:6881", "255.255.255.255:6881", "224.0.0.251:5353", "169.254.169.254:80", "[ff02::1]:6881", "127.0.0.1:7" }
                .Select(e => new PexPeer(IPEndPoint.Parse(e)))],
        };

        Assert.Equal([new PexPeer(Ep(7))], pex.Receive(message));
    }

    [Fact]
    public void Receive_CapsLearnedPeersPerMessage()
    {
        var pex = new PexState(Remote, false, new ManualClock());
        var many = new PexMessage { Added = Enumerable.Range(1, 500).Select(p => new PexPeer(Ep(p))).ToList() };

        Assert.Equal(PexState.MaxLearnedPerMessage, pex.Receive(many).Count);
    }

    [Fact]
    public void PrivateTorrent_NeverSendsNorLearns()
    {
        var pex = new PexState(Remote, isPrivate: true, new ManualClock());   // BEP 27
        pex.PeerConnected(new PexPeer(Ep(1)));

        Assert.False(pex.Enabled);
        Assert.False(pex.TryCreateMessage(out _));
        Assert.Empty(pex.Receive(new PexMessage { Added = [new PexPeer(Ep(2))] }));
    }

    [Fact]
    public void AConnectionThatAnnouncedItsNeighbours_HoldsAboutEightBytesEach_AndNothingForTheNextMessage()
    {
        // A peer of a 1,000-peer swarm has about 68 connections, each told of the other 67: what one connection's
        // tables hold once that first message went out is the PEX state of the swarm, times 68,000.
        var clock = new ManualClock();
        var pex = new PexState(Remote, false, clock);
        var neighbours = Enumerable.Range(1, 67).Select(i => new IPEndPoint(new IPAddress([198, 18, (byte)(i / 200), (byte)(i % 200 + 1)]), 6881)).ToList();
        foreach (var n in neighbours) pex.PeerConnected(new PexPeer(n));
        Assert.True(pex.TryCreateMessage(out var first));
        Assert.Equal(neighbours, first.Added.Select(p => p.EndPoint));

        Assert.InRange(pex.HeldBytes, 67 * 8, 67 * 12);   // the 67 announced, 8 bytes each and room to grow; nothing pending

        pex.PeerDropped(neighbours[0]);                     // one left: the next message says so, then the table goes
        clock.Advance(PexState.MinInterval);
        Assert.True(pex.TryCreateMessage(out var second));
        Assert.Equal([neighbours[0]], second.Dropped);
        pex.PeerConnected(new PexPeer(neighbours[0]));      // and back: announced again, as a new peer
        clock.Advance(PexState.MinInterval);
        Assert.True(pex.TryCreateMessage(out var third));
        Assert.Equal([neighbours[0]], third.Added.Select(p => p.EndPoint));
    }

    [Fact]
    public void AnnouncedPeersOfEveryAddressFamily_AreToldDroppedOnce_AndOnlyTheOnesAnnounced()
    {
        var clock = new ManualClock();
        var pex = new PexState(Remote, false, clock);
        var v4 = IPEndPoint.Parse("198.18.0.7:6881");
        var v6 = IPEndPoint.Parse("[2001:db8::7]:6881");
        var mapped = new IPEndPoint(v4.Address.MapToIPv6(), 6881);   // another endpoint than v4 (IPEndPoint.Equals says so)
        var samePortOtherHost = IPEndPoint.Parse("198.18.0.8:6881");
        var sameHostOtherPort = IPEndPoint.Parse("198.18.0.7:6882");
        foreach (var e in new[] { v4, v6, mapped }) pex.PeerConnected(new PexPeer(e));
        Assert.True(pex.TryCreateMessage(out _));

        foreach (var e in new[] { samePortOtherHost, sameHostOtherPort, v4, v6, mapped }) pex.PeerDropped(e);
        clock.Advance(PexState.MinInterval);
        Assert.True(pex.TryCreateMessage(out var dropped));
        Assert.Equal([v4, v6, mapped], dropped.Dropped);

        foreach (var e in new[] { v4, v6, mapped }) pex.PeerDropped(e);   // told once already: not again
        clock.Advance(PexState.MinInterval);
        Assert.False(pex.TryCreateMessage(out _));
    }
}
