using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Swarm;
using TorrentLab.Utp;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 55 across simulated NATs (<c>Swarm/Holepunching.cs</c>): the seeder and the downloader each
/// behind a NAT that drops what nobody inside asked for, a relay on a public address connected to both. The same
/// story as <see cref="HolepunchNamespaceTests"/> (real kernels, iptables), deterministic and without root.</summary>
[Trait("Tier", "Slow")] // each run is a process of its own
public class HolepunchSimulatedTests
{
    [Fact]
    public void Download_SeederBehindAPortRestrictedNat_CompletesThroughAHolepunch_TheSameWayForTheSameSeed() =>
        Simulated.Deterministic(Punch, seed: 55);

    [Fact]
    public void Download_SeederBehindASymmetricNat_GetsNoBytesThroughThePunch_AndStallsAsItWould() =>
        Simulated.Passes(PunchThroughSymmetric, seed: 56);

    [Fact]
    public void Initiator_DialToAPexPeerThatSupportsHolepunchFails_AsksTheIntroducerForARendezvousThenDialsOnConnect() =>
        Simulated.Deterministic(InitiatorAsksTheIntroducer, seed: 57);

    [Fact]
    public void Initiator_PexPeerWithoutTheHolepunchFlag_IsNotRendezvoused() =>
        Simulated.Deterministic(InitiatorWithoutTheFlag, seed: 58);

    internal static Task Punch(SimRun sim) => PunchAsync(sim, NatKind.PortRestricted, expectCompleted: true);

    internal static Task PunchThroughSymmetric(SimRun sim) => PunchAsync(sim, NatKind.Symmetric, expectCompleted: false);

    private static async Task PunchAsync(SimRun sim, NatKind kind, bool expectCompleted)
    {
        var link = new LinkSpec(TimeSpan.FromMilliseconds(25), UpBytesPerSecond: 2 << 20, DownBytesPerSecond: 8 << 20);
        var relayHost = sim.Network.AddHost("relay", link);
        var natB = sim.Network.AddNat("nat-b", kind);
        var natA = sim.Network.AddNat("nat-a", kind);
        var seedHost = sim.Network.AddHost("seed", link, natB);
        var downloaderHost = sim.Network.AddHost("downloader", link, natA);
        var built = TestTorrents.SingleFile(length: 4 * 1024 * 1024, pieceLength: 256 * 1024, name: "punched.bin", announce: null, seed: 55);
        built.WritePayload(sim.FolderOf(seedHost));
        var relayAt = new IPEndPoint(relayHost.Address, 6881);
        var lines = new ConcurrentDictionary<string, List<string>>();
        Action<string> Logger(SimHost host) => line =>
        {
            host.LogLine(line);
            lines.GetOrAdd(host.Name, _ => []).Add(line);
        };
        DownloadOptions Options(SimHost host) => new()
        {
            OutputDirectory = sim.FolderOf(host), Trackers = [], Log = Logger(host), StallTimeout = TimeSpan.FromSeconds(90),
            ExtraPeers = host == relayHost ? [] : [relayAt],
        };
        SessionSettings Settings(int port) => new() { ListenPort = port, Dht = false, Transport = PeerTransport.Utp };

        // The relay downloads at 1 KiB/s: it has nearly nothing to give, so the downloader's bytes come from the seeder.
        await using var relay = TorrentClient.StartSession(sim.SessionOn(relayHost, Settings(6881) with { DownloadLimit = new RateLimit(1024, clock: sim.Clock) }));
        var relayRun = TorrentClient.DownloadAsync(relay, built.Torrent, Options(relayHost));
        // The seeder dials the relay over uTP (nobody can dial it), so the relay knows it at its NAT's mapping of its port.
        await using var seedSession = TorrentClient.StartSession(sim.SessionOn(seedHost, Settings(7002)));
        await using var seeder = await Seeder.StartAsync(seedSession, built.Torrent, Options(seedHost), allowPartial: false);
        Assert.True(await sim.WaitUntil(() => relay.ConnectionCount == 1, TimeSpan.FromSeconds(30)), "the seeder never reached the relay");

        await using var downloaderSession = TorrentClient.StartSession(sim.SessionOn(downloaderHost, Settings(7001)));
        var download = TorrentClient.DownloadAsync(downloaderSession, built.Torrent, Options(downloaderHost));
        var finished = await Task.WhenAny(download, sim.Delay(TimeSpan.FromSeconds(120))) == download;

        var downloader = lines.GetValueOrDefault("downloader") ?? [];
        var seed = lines.GetValueOrDefault("seed") ?? [];
        var all = $"downloader:\n{string.Join("\n", downloader)}\nseed:\n{string.Join("\n", seed)}";
        // It learned the seeder from the relay's PEX, failed to dial it (the NAT drops it), asked for a rendezvous, and
        // the relay told both sides to dial each other over uTP at once.
        Assert.True(downloader.Any(l => l.Contains("ut_pex named ", StringComparison.Ordinal)), all);
        Assert.True(downloader.Any(l => l.Contains($"sent ut_holepunch rendezvous {natB.Public}:7002", StringComparison.Ordinal)), all);
        Assert.True(downloader.Any(l => l.Contains($"holepunch: dialling {natB.Public}:7002 over uTP", StringComparison.Ordinal)), all);
        // The seeder dials the downloader where the relay sees it: its listen port behind a port-preserving NAT, a port
        // of the mapping to the relay behind a symmetric one (which maps the punch to yet another).
        var expected = kind == NatKind.Symmetric ? $"holepunch: dialling {natA.Public}:" : $"holepunch: dialling {natA.Public}:7001 over uTP";
        Assert.True(seed.Any(l => l.Contains(expected, StringComparison.Ordinal)), all);
        if (expectCompleted)
        {
            Assert.True(finished, "the download did not finish in 120 simulated seconds\n" + all);
            await download;
            Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(sim.FolderOf(downloaderHost), "punched.bin")));
        }
        else
        {
            // A symmetric NAT maps the punch to ports no one was told of: no connection, no byte from the seeder.
            Assert.False(finished && download.IsCompletedSuccessfully, "a download through two symmetric NATs cannot complete\n" + all);
            Assert.DoesNotContain(downloader, l => l.Contains($"{natB.Public}:7002: connected", StringComparison.Ordinal));
        }
        await downloaderSession.DisposeAsync();
        _ = relayRun;
    }

    /// <summary>Our initiator's side, played against by hand: a download on one host, a relay (the test, over TCP) on
    /// another that PEX-names a target on a third, which has no TCP listener and a uTP socket that refuses
    /// (ST_RESET) until the punch. Before, on loopback, the relay redialled the download until its listener was up.</summary>
    internal static async Task InitiatorAsksTheIntroducer(SimRun sim)
    {
        var (built, downloaderHost, relayHost, targetHost) = InitiatorHosts(sim);
        await using var target = UtpSocket.Bind(targetHost, new IPEndPoint(targetHost.Address, 0), new UtpOptions { Timers = sim.Clock });
        var unreachable = new IPEndPoint(targetHost.Address, target.LocalEndPoint.Port);
        var log = new List<string>();
        using var stop = new CancellationTokenSource();
        var download = TorrentClient.DownloadAsync(built.Torrent, InitiatorOptions(sim, downloaderHost, log), null, stop.Token);
        try
        {
            using var relay = await ConnectRelayAsync(sim, relayHost, downloaderHost, built.Torrent, log);
            var pex = new PexMessage { Added = [new PexPeer(unreachable, PexFlags.SupportsHolepunch | PexFlags.SupportsUtp)] };
            await relay.Channel.SendAsync(ExtensionRegistry.UtPex.Name, pex.Encode(), CancellationToken.None);

            Assert.Equal(HolepunchMessage.Rendezvous(unreachable), await relay.ReceiveHolepunchAsync());

            // The relay answers as BEP 55 says: connect to the target, the address asked about (which now accepts).
            target.Listen();
            await relay.SendAsync(HolepunchMessage.Connect(unreachable));
            await using var dialled = await target.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10), sim.Clock);
            Assert.NotNull(dialled);
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => download);
        }
    }

    /// <summary>A PEX-named peer without BEP 55's flag that cannot be dialled is given up, never rendezvoused: after its
    /// dial failed (over both transports), five more simulated seconds, in which everything that could run ran, bring
    /// no holepunch message.</summary>
    internal static async Task InitiatorWithoutTheFlag(SimRun sim)
    {
        var (built, downloaderHost, relayHost, targetHost) = InitiatorHosts(sim);
        var unreachable = new IPEndPoint(targetHost.Address, 7000); // nothing bound there, TCP or UDP
        var log = new List<string>();
        using var stop = new CancellationTokenSource();
        var download = TorrentClient.DownloadAsync(built.Torrent, InitiatorOptions(sim, downloaderHost, log), null, stop.Token);
        try
        {
            using var relay = await ConnectRelayAsync(sim, relayHost, downloaderHost, built.Torrent, log);
            await relay.Channel.SendAsync(ExtensionRegistry.UtPex.Name, new PexMessage { Added = [new PexPeer(unreachable, PexFlags.SupportsUtp)] }.Encode(),
                CancellationToken.None);

            Assert.True(await sim.WaitUntil(() => log.Any(l => l.StartsWith($"dial {unreachable}:", StringComparison.Ordinal)), TimeSpan.FromSeconds(60)),
                string.Join("\n", log));
            await sim.Delay(TimeSpan.FromSeconds(5));
            Assert.DoesNotContain(log, l => l.Contains("sent ut_holepunch", StringComparison.Ordinal));
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => download);
        }
    }

    private static (TestTorrents.Built Built, SimHost Downloader, SimHost Relay, SimHost Target) InitiatorHosts(SimRun sim) =>
        (TestTorrents.SingleFile(8 * 16 * 1024, 16 * 1024, announce: null), sim.Network.AddHost("downloader", LinkSpec.Fast),
            sim.Network.AddHost("relay", LinkSpec.Fast), sim.Network.AddHost("target", LinkSpec.Fast));

    /// <summary>The download's options of <see cref="HolepunchTests"/>, on <paramref name="host"/>.</summary>
    private static DownloadOptions InitiatorOptions(SimRun sim, SimHost host, List<string> log) => new()
    {
        Session = sim.SessionOn(host, new SessionSettings
        {
            ListenPort = 6881, ConnectTimeout = TimeSpan.FromSeconds(2), HandshakeTimeout = TimeSpan.FromSeconds(3),
        }),
        OutputDirectory = sim.FolderOf(host),
        Trackers = [],
        StallTimeout = TimeSpan.FromSeconds(30),
        Log = line =>
        {
            host.LogLine(line);
            log.Add(line);
        },
    };

    /// <summary>The relay connects once the download listens (no redial: the host says when its port is bound).</summary>
    private static async Task<HolepunchTests.RawPeer> ConnectRelayAsync(SimRun sim, SimHost relayHost, SimHost downloaderHost,
        TorrentLab.Metainfo.Torrent torrent, List<string> log)
    {
        Assert.True(await sim.WaitUntil(() => downloaderHost.ListenerAt(6881) is not null, TimeSpan.FromSeconds(10)), string.Join("\n", log));
        return await HolepunchTests.RawPeer.ConnectAsync(new IPEndPoint(downloaderHost.Address, 6881), torrent, listenPort: 6881,
            host: (relayHost, sim.Clock));
    }
}
