using System.Net;
using System.Text;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Lsd;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>What the session does with the local announces it hears (BEP 14), datagrams handed to it directly: the
/// session runs with LSD on but no multicast socket, so nothing reaches the machine's network.</summary>
public class SessionLsdTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly IPEndPoint Neighbour = new(IPAddress.Parse("127.0.0.2"), 1); // port 1: a dial is refused at once

    private static SessionSettings Settings(bool lsd = true) => new()
    {
        ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false, Lsd = lsd, LsdSockets = false,
    };

    private static async Task<(Session Session, Seeder Seeder, TestTorrents.Built Built)> SeedAsync(TempFolder folder, SessionSettings settings, bool isPrivate = false)
    {
        var built = TestTorrents.SingleFile(length: 40_000, name: "lsd.bin", announce: null, seed: 14, isPrivate: isPrivate);
        built.WritePayload(folder.Path);
        var session = Session.Start(settings);
        var seeder = await Seeder.StartAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, allowPartial: false, Ct);
        return (session, seeder, built);
    }

    private static byte[] Announce(TestTorrents.Built built, int port, string? cookie) =>
        LsdAnnounce.Format(LsdAnnounce.GroupV4, port, [built.Torrent.InfoHash], cookie);

    [Fact]
    public async Task AnAnnounceForOurTorrent_GivesItOnePeer_OnceOnly()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings());
        await using var _ = session;
        await using var __ = seeder;

        Assert.Equal(1, session.OnLsdDatagram(Announce(built, 6881, "theirs"), Neighbour));
        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), Neighbour));
        Assert.Equal(1, session.OnLsdDatagram(Announce(built, 6882, "theirs"), Neighbour)); // another port, another peer
        Assert.Equal(3, session.LsdCounts.Heard);
    }

    [Fact]
    public async Task OurOwnAnnounce_LoopedBack_IsIgnored()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings());
        await using var _ = session;
        await using var __ = seeder;

        Assert.Equal(0, session.OnLsdDatagram(Announce(built, session.Port, session.LsdCookie), Neighbour));
        Assert.Equal(0, session.LsdCounts.Heard);
    }

    [Fact]
    public async Task Garbage_IsCountedAsRefused_AndGivesNoPeer()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings());
        await using var _ = session;
        await using var __ = seeder;

        Assert.Equal(0, session.OnLsdDatagram(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"), Neighbour));
        Assert.Equal(0, session.OnLsdDatagram(new byte[LsdAnnounce.MaxLength + 1], Neighbour));
        var wrongPort = Encoding.ASCII.GetString(Announce(built, 6881, null)).Replace("Port: 6881", "Port: 70000");
        Assert.Equal(0, session.OnLsdDatagram(Encoding.ASCII.GetBytes(wrongPort), Neighbour));
        Assert.Equal((0L, 3L), session.LsdCounts);
    }

    [Fact]
    public async Task AnAnnounceForATorrentWeDoNotHave_GivesNoPeer()
    {
        using var folder = new TempFolder();
        var (session, seeder, _) = await SeedAsync(folder, Settings());
        await using var s = session;
        await using var __ = seeder;
        var other = TestTorrents.SingleFile(length: 1000, name: "other.bin", announce: null, seed: 99);

        Assert.Equal(0, session.OnLsdDatagram(Announce(other, 6881, "theirs"), Neighbour));
    }

    [Fact]
    public async Task APrivateTorrent_TakesNoLocalPeer()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings(), isPrivate: true);
        await using var _ = session;
        await using var __ = seeder;

        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), Neighbour));
    }

    [Fact]
    public async Task WithLsdOff_AnnouncesGiveNoPeer()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings(lsd: false));
        await using var _ = session;
        await using var __ = seeder;

        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), Neighbour));
    }

    [Fact]
    public async Task AMulticastOrUnspecifiedSender_IsNeverAPeer()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings());
        await using var _ = session;
        await using var __ = seeder;

        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Parse("239.192.152.143"), 6771)));
        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Any, 6771)));
        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Parse("169.254.1.1"), 6771)));
    }

    [Fact]
    public async Task AStormOf2000DatagramsFromOneHost_DoesNotStarveHonestAnnounces()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings());
        await using var _ = session;
        await using var __ = seeder;
        var stormer = new IPEndPoint(IPAddress.Parse("127.0.0.9"), 6771);
        byte[] junk = [0x41];

        // 2,000 datagrams from one host (a second's worth of the storm, bounded), 1-byte junk and valid announces
        // alike, with one honest announce from each of 20 neighbours among them.
        var honestPeers = 0;
        for (var i = 0; i < 2_000; i++)
        {
            session.OnLsdDatagram(i % 2 == 0 ? junk : Announce(built, 7000 + i, "storm"), stormer);
            if (i % 100 == 50) honestPeers += session.OnLsdDatagram(Announce(built, 6881, "honest"), new IPEndPoint(IPAddress.Parse($"127.0.1.{i / 100 + 1}"), 1));
        }

        Assert.Equal(20, honestPeers);
    }

    [Fact]
    public async Task AnAnnounceFromAnOffLinkSource_IsNeverAPeer()
    {
        using var folder = new TempFolder();
        var (session, seeder, built) = await SeedAsync(folder, Settings());
        await using var _ = session;
        await using var __ = seeder;
        // Our links, as a machine on 192.168.1.0/24 and fd00:1::/64 sees them (besides loopback and link-local).
        session.LsdOnLink = new OnLink(() => [(IPAddress.Parse("192.168.1.10"), 24), (IPAddress.Parse("fd00:1::10"), 64)]);

        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Parse("203.0.113.5"), 6771)));
        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Parse("192.168.2.7"), 6771)));
        Assert.Equal(0, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Parse("fd00:2::7"), 6771)));
        Assert.Equal(1, session.OnLsdDatagram(Announce(built, 6881, "theirs"), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 6771)));
    }
}
