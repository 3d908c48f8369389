using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Dht;
using TorrentLab.Downloads;
using TorrentLab.PortMapping;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary><see cref="SessionSettings.PortMapping"/> in a session, against a gateway on 127.0.0.1
/// (<see cref="FakeNatGateway"/>): the external port granted is what the trackers hear, the external address is the
/// DHT's own (BEP 42), the mappings go at stop; off, the gateway hears nothing.</summary>
[Collection(PortMappingCollection.Name)]
public class SessionPortMappingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SessionSettings Settings(FakeNatGateway gateway, PortMappingProtocols protocols, ConcurrentQueue<string> log, string? dhtState = null) => new()
    {
        ListenPort = 0,
        BindAddresses = [IPAddress.Loopback],
        Transport = PeerTransport.Tcp,
        Dht = dhtState is not null,
        DhtBootstrap = [],
        DhtStatePath = dhtState,
        PortMapping = protocols,
        Log = log.Enqueue,
        ConfigurePortMapper = o => o with
        {
            Gateway = new Gateway(IPAddress.Loopback, IPAddress.Loopback, "lo"),
            NatPmpPort = gateway.Port,
            // A clock nobody moves: a request whose answer a loaded machine delivers late is not sent again, so the
            // test counts each mapping and deletion once (the stop's budget stays real time).
            Time = new ManualClock(),
        },
    };

    private static Task WaitForAsync(Func<bool> condition, string what) =>
        Wait.UntilAsync(condition, TimeSpan.FromSeconds(60), $"timed out waiting for {what}", Ct);

    [Fact]
    public async Task TheExternalPortGranted_IsWhatTheTrackerHears_AndTheRoutersAddressIsTheDhts()
    {
        using var folder = new TempFolder();
        using var gateway = new FakeNatGateway { GrantPort = 7777, External = IPAddress.Parse("203.0.113.5") };
        var trackerLog = new ConcurrentQueue<string>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Log = trackerLog.Enqueue }, Ct);
        var built = TestTorrents.SingleFile(length: 64 * 1024, announce: tracker.HttpAnnounceUrl);
        built.WritePayload(folder.Path);
        var log = new ConcurrentQueue<string>();
        var state = folder.Combine("dht.json");

        await using (var session = Session.Start(Settings(gateway, PortMappingProtocols.Pcp, log, state)))
        {
            await using var seeder = await Seeder.StartAsync(session, built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, allowPartial: false, Ct);

            await WaitForAsync(() => trackerLog.Any(l => l.Contains("announce http 127.0.0.1:7777 ", StringComparison.Ordinal)), "the tracker to hear port 7777");
            Assert.Equal(7777, session.AnnouncedPort);
            Assert.NotEqual(7777, session.Port); // we still listen where we listen: the router forwards 7777 to it
            Assert.Equal(session.Port, gateway.PcpMaps[0].Internal);
            var dht = await session.DhtStarted;
            await WaitForAsync(() => IPAddress.Parse("203.0.113.5").Equals(dht?.ExternalAddress), "the DHT to take the router's address");
            Assert.Contains(log, l => l.Contains("dht: the router sees us at 203.0.113.5", StringComparison.Ordinal));
        }

        // Stopping deleted both mappings, and the next start's node id fits the address (BEP 42).
        Assert.Equal([IpProtocol.Tcp, IpProtocol.Udp], gateway.PcpMaps.Where(m => m.Lifetime == 0).Select(m => m.Protocol));
        var again = Session.Start(Settings(gateway, PortMappingProtocols.None, new ConcurrentQueue<string>(), state));
        await using (again)
        {
            var node = await again.DhtStarted;
            Assert.True(SecureNodeId.Matches(node!.Id, IPAddress.Parse("203.0.113.5")));
        }
    }

    [Fact]
    public async Task TheStop_RemovesTheMappingsFirst_WhileTheTorrentStillTellsItsTracker()
    {
        using var folder = new TempFolder();
        using var gateway = new FakeNatGateway();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = TestTorrents.SingleFile(length: 64 * 1024, announce: tracker.HttpAnnounceUrl);
        built.WritePayload(folder.Path);
        var session = TorrentSession.Start(Settings(gateway, PortMappingProtocols.Pcp, new ConcurrentQueue<string>()));
        await using var alerts = new AlertLog(session);
        var handle = await session.SeedAsync(built.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, allowPartial: false, Ct);
        // TCP only: no uTP and no DHT, nothing for UDP to carry. The torrent has heard the tracker's answer, not only the
        // tracker its request: a stop during the first announce ends it without 'stopped' (a CI run stopped in between,
        // and the pause came first).
        await WaitForAsync(() => gateway.PcpMaps.Count == 1 && alerts.Has(TorrentAlertKind.TrackerAnswered), "the mapping and the first announce's answer");
        // The tracker holds its answer to 'stopped' past the announcer's own deadline (3 s): a stop of some seconds, as
        // a tracker far away or gone makes it, during which a second Ctrl-C or a service manager may end the process.
        tracker.Faults.SlowDelay = TimeSpan.FromMinutes(1);
        tracker.Faults.Always = TrackerFault.SlowAnswer;

        var stopping = session.DisposeAsync().AsTask();

        // The deletion reaches the router while the torrent still waits for its tracker, not once it has given up.
        await WaitForAsync(() => gateway.PcpMaps.Any(m => m.Lifetime == 0) || handle.State == TorrentState.Paused, "the deletion or the pause");
        Assert.NotEqual(TorrentState.Paused, handle.State);
        Assert.Equal([IpProtocol.Tcp], gateway.PcpMaps.Where(m => m.Lifetime == 0).Select(m => m.Protocol));
        await stopping.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(TorrentState.Paused, handle.State);
    }

    [Fact]
    public async Task PortMappingOff_StartsNoMapper_AndTheGatewayHearsNothing()
    {
        using var gateway = new FakeNatGateway();

        await using var session = Session.Start(Settings(gateway, PortMappingProtocols.None, new ConcurrentQueue<string>()));

        Assert.Null(session.PortMapper);
        Assert.Equal(session.Port, session.AnnouncedPort);
        Assert.Empty(gateway.Requests);
    }
}
