using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.PortMapping;

/// <summary>Port mapping against a real router: miniupnpd (UPnP IGD, NAT-PMP and PCP) as the NAT of a home network in
/// namespaces (<see cref="HomeNetwork"/>), our seeder inside, a tracker and a libtorrent peer outside. The router lets
/// nothing in but what it maps, and lets home out only to the tracker, so a download by the outside peer proves the
/// mapping: the peer learns our address from the tracker (the router's, with the external port we announced) and
/// dials it.</summary>
[Trait("Tier", "Slow")]
public partial class MiniupnpdNamespaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int SeederPort = 7001;

    /// <summary>A libtorrent downloader outside: it announces to the tracker, dials the peers it names (over TCP or uTP
    /// only: the other is off, so a connection is of the transport asked), prints each peer it is connected to (and
    /// whether it dialled it) and "done" once complete.</summary>
    private const string OutsidePeer = """
        import sys, time
        import libtorrent as lt
        torrent, save, transport = sys.argv[1], sys.argv[2], sys.argv[3]
        ses = lt.session({'listen_interfaces': '10.72.1.2:6881', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
            'enable_natpmp': False, 'enable_outgoing_utp': transport == 'utp', 'enable_incoming_utp': transport == 'utp',
            'enable_outgoing_tcp': transport == 'tcp', 'enable_incoming_tcp': transport == 'tcp',
            'allow_multiple_connections_per_ip': True, 'announce_to_all_trackers': True,
            'alert_mask': lt.alert.category_t.connect_notification | lt.alert.category_t.peer_notification}, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save
        atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
        h = ses.add_torrent(atp)
        seen = set()
        def report(key):
            if key not in seen:
                seen.add(key)
                print('peer %s:%d dialled=%s' % key, flush=True)
        for _ in range(1500):
            seeding = h.status().is_seeding # before the look at alerts: the connection that finished it is reported below
            # A download of a few pieces can start and end between two looks at the peer list: the alerts say whom we
            # dialled (peer_connect_alert) and who dialled us (incoming_connection_alert) however short the connection.
            for a in ses.pop_alerts():
                if isinstance(a, lt.peer_connect_alert):
                    report((a.endpoint[0], a.endpoint[1], True))
                elif isinstance(a, lt.incoming_connection_alert):
                    report((a.endpoint[0], a.endpoint[1], False))
            for p in h.get_peer_info():
                report((p.ip[0], p.ip[1], bool(p.flags & lt.peer_info.local_connection)))
            if seeding:
                print('done', flush=True)
                sys.exit(0)
            time.sleep(0.1)
        s = h.status()
        print('timeout: state=%s progress=%.3f peers=%d' % (s.state, s.progress, s.num_peers), flush=True)
        sys.exit(1)
        """;

    /// <summary>Another host at home takes external port <c>argv[2]</c> for itself, TCP and UDP, by NAT-PMP from
    /// <c>argv[1]</c>: the router must give our seeder another.</summary>
    private const string Neighbour = """
        import socket, struct, sys
        source, port = sys.argv[1], int(sys.argv[2])
        for op in (1, 2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((source, 0))
            s.settimeout(5)
            s.sendto(struct.pack('>BBHHHI', 0, op, 0, port, port, 3600), ('10.71.1.1', 5351))
            version, opcode, result, epoch, internal, external, lifetime = struct.unpack('>BBHIHHI', s.recv(64)[:16])
            print('op %d result %d external %d' % (opcode, result, external), flush=True)
            if result != 0 or external != port: sys.exit(1)
        """;

    [Theory]
    [InlineData("upnp", "tcp")]
    [InlineData("natpmp", "utp")]
    [InlineData("pcp", "tcp")]
    public async Task OutsidePeer_ReachesOurSeederThroughTheMappedPort_AndTheMappingIsGoneAfterStop(string protocol, string transport)
    {
        using var net = HomeNetwork.CreateOrSkip();
        var python = Interop.RequireLibtorrentPython();
        net.StartRouter();
        using var run = new Run(net, python);

        var external = await run.SeedAsync(protocol);

        Assert.Equal(SeederPort, external); // nobody else holds it: the router gives the port asked for
        // UDP is mapped after TCP, and the tracker may hear our port before it is (the port asked for is our own), so
        // wait for the seeder to say it has the UDP mapping before looking at the router's rules.
        Assert.True(await WaitForAsync(() => run.SeederLog.Contains($"mapped UDP external port {external} to our", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60)), run.SeederLog);
        Assert.NotNull(net.RedirectionOf(external, udp: false));
        Assert.NotNull(net.RedirectionOf(external, udp: true));
        Assert.True(await WaitForAsync(() => run.SeederLog.Contains($"says our external address is {HomeNetwork.ExternalLabel}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30)), run.SeederLog);
        await run.OutsidePeerDownloadsThroughAsync(external, transport);

        await run.StopSeederAsync();
        Assert.Null(net.RedirectionOf(external, udp: false));
        Assert.Null(net.RedirectionOf(external, udp: true));
        Assert.Contains($"removed TCP external port {external}", run.SeederLog, StringComparison.Ordinal);
        Assert.Contains($"removed UDP external port {external}", run.SeederLog, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("upnp")]
    [InlineData("natpmp")]
    [InlineData("pcp")]
    public async Task PortTakenByANeighbour_TheRouterMapsAnother_AndTheTrackerAndOutsidePeerAreToldThatOne(string protocol)
    {
        using var net = HomeNetwork.CreateOrSkip();
        var python = Interop.RequireLibtorrentPython();
        net.StartRouter();
        using var run = new Run(net, python);
        var script = run.Folder.Combine("neighbour.py");
        await File.WriteAllTextAsync(script, Neighbour, Ct);
        var neighbour = NetNamespaces.Run(net.Home, "/usr/bin/python3", [script, HomeNetwork.NeighbourAddress, SeederPort.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(30));
        Assert.True(neighbour.ExitCode == 0, $"the neighbour could not take port {SeederPort}: {neighbour.Stdout}{neighbour.Stderr}\n{net.RouterLog}");

        var external = await run.SeedAsync(protocol);

        Assert.NotEqual(SeederPort, external);
        Assert.Contains($"(asked for {SeederPort}, which the router gave to another)", run.SeederLog, StringComparison.Ordinal);
        await run.OutsidePeerDownloadsThroughAsync(external, "tcp");
        await run.StopSeederAsync();
        Assert.Null(net.RedirectionOf(external, udp: false));
        // The neighbour's mappings are its own: untouched.
        Assert.NotNull(net.RedirectionOf(SeederPort, udp: false, host: HomeNetwork.NeighbourAddress));
        Assert.NotNull(net.RedirectionOf(SeederPort, udp: true, host: HomeNetwork.NeighbourAddress));
    }

    /// <summary>The stop comes while the router's answer to our first request is on its way (lost until then): the
    /// router made the mapping, we never heard so. Whatever the signal (Ctrl-C's SIGINT, a service manager's SIGTERM)
    /// and the protocols (the plain <c>--port-mapping</c> speaks all three), the router's table is empty afterwards and
    /// each route says what it removed.</summary>
    [Theory]
    [InlineData("upnp,natpmp,pcp", "INT")]
    [InlineData("upnp,natpmp,pcp", "TERM")]
    [InlineData("upnp", "TERM")]
    [InlineData("natpmp", "INT")]
    [InlineData("pcp", "TERM")]
    public async Task AStopBeforeTheRoutersAnswer_StillRemovesTheMapping_AndSaysSo(string protocols, string signal)
    {
        using var net = HomeNetwork.CreateOrSkip();
        net.StartRouter();
        using var run = new Run(net, python: null);
        net.LoseAnswers(true);

        run.StartSeeder(protocols == "upnp,natpmp,pcp" ? ["--port-mapping"] : ["--port-mapping-protocols", protocols]);

        var upnp = protocols.Contains("upnp", StringComparison.Ordinal);
        Assert.True(await WaitForAsync(() => net.RedirectionOf(SeederPort, udp: false) is not null
                && (!upnp || net.RouterLog.Contains($"AddPortMapping: ext port {SeederPort} ", StringComparison.Ordinal)), TimeSpan.FromSeconds(90)),
            $"the router made no TCP mapping:\n{run.SeederLog}\nrouter:\n{net.RouterLog}");
        Assert.DoesNotContain("mapped TCP", run.SeederLog, StringComparison.Ordinal); // its answer is lost
        var stopped = run.StopSeederAsync(signal); // the signal is sent before this returns
        // The answers stay lost until the seeder asks the router to delete (UPnP looks at the entry first): a stop that
        // waited for the lost answer instead would never hear it, and leave the mapping.
        Assert.True(await WaitForAsync(() => stopped.IsCompleted || net.DeletionsHeard > 0
            || net.RouterLog.Contains("#GetSpecificPortMappingEntry", StringComparison.Ordinal), TimeSpan.FromSeconds(60)), run.SeederLog);
        net.LoseAnswers(false);
        await stopped;

        Assert.True(net.Redirections().Count == 0, $"left on the router: {string.Join("; ", net.Redirections())}\n{run.SeederLog}\nrouter:\n{net.RouterLog}");
        // One line per route that asked (UPnP's and PCP/NAT-PMP's), and UDP never asked for: the stop came first. With
        // both routes, the mapping is the one route's that asked last (miniupnpd replaces it): the other may not delete
        // it (PCP: NOT_AUTHORIZED) or finds it gone (UPnP: none of ours).
        var lines = Regex.Matches(run.SeederLog, $"port mapping: .*(removed|could not remove|no) TCP external port {SeederPort}").Count;
        Assert.True(lines == (upnp && protocols != "upnp" ? 2 : 1) && run.SeederLog.Contains($"removed TCP external port {SeederPort}", StringComparison.Ordinal),
            $"not one line per route:\n{run.SeederLog}");
        Assert.DoesNotContain("UDP external port", run.SeederLog, StringComparison.Ordinal);
    }

    /// <summary>A router that will not map: miniupnpd refuses every mapping while its external address is not a public
    /// one (behind another NAT: here its outside interface's private address, with no <c>ext_ip</c>), UPnP with
    /// ActionFailed, NAT-PMP and PCP with a failure result.</summary>
    [Fact]
    public async Task RouterThatRefusesUs_IsOneLinePerProtocol_AndSeedingGoesOn()
    {
        using var net = HomeNetwork.CreateOrSkip();
        net.StartRouter(externalLabel: null);
        using var run = new Run(net, python: null);

        run.StartSeeder("--port-mapping");

        Assert.True(await WaitForAsync(() => run.SeederLog.Contains("UPnP refused TCP", StringComparison.Ordinal)
                && Regex.IsMatch(run.SeederLog, "(PCP|NAT-PMP) refused TCP 7001"), TimeSpan.FromSeconds(90)),
            $"no refusal logged:\n{run.SeederLog}\nrouter:\n{net.RouterLog}");
        Assert.Empty(net.Redirections());
        Assert.Equal(1, Lines(run.SeederLog, "UPnP refused"));
        Assert.Single(Regex.Matches(run.SeederLog, "(PCP|NAT-PMP) refused"));
        Assert.Equal(2, Lines(run.SeederLog, "trying again in 1 min"));
        Assert.True(run.SeederRunning, run.SeederLog);
        await run.StopSeederAsync(); // still seeding: it stops as it always does
    }

    [Fact]
    public async Task RouterThatDisappears_LeavesTheSeederStoppingAtOnce_AndOneWithoutARouterSeedsOn()
    {
        using var net = HomeNetwork.CreateOrSkip();
        net.StartRouter();
        using (var run = new Run(net, python: null))
        {
            var external = await run.SeedAsync("upnp,natpmp,pcp");
            Assert.True(await WaitForAsync(() => Lines(run.SeederLog, "mapped UDP external port") == 2, TimeSpan.FromSeconds(60)),
                $"both routes (UPnP, PCP) did not map:\n{run.SeederLog}");
            // UPnP's round ends by asking the external address after the mappings: a router gone before it answers
            // fails the round, which forgets its mappings (nothing left to remove at the stop). Stopped once asked.
            Assert.True(await WaitForAsync(() => net.RouterLog.Contains("#GetExternalIPAddress", StringComparison.Ordinal), TimeSpan.FromSeconds(60)),
                $"UPnP's round did not ask the external address:\n{run.SeederLog}\nrouter:\n{net.RouterLog}");
            net.StopRouter();
            var clock = Stopwatch.StartNew();
            await run.StopSeederAsync();
            // Each deletion fails at once (the router's port is closed), well inside the stop's 3 s budget: the two
            // routes' two mappings each say so in one line, and the process ends as usual.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the stop took {clock.Elapsed}");
            // One line per route's TCP mapping, whatever port the router gave each (the route that asks second may get
            // another one while the first holds ours).
            Assert.True(Lines(run.SeederLog, "could not remove TCP external port") + Lines(run.SeederLog, "removed TCP external port") == 2,
                $"not one line per route's TCP mapping (ours {external}):\n{run.SeederLog}");
            Assert.True(Lines(run.SeederLog, "could not remove") >= 2, run.SeederLog);
        }
        using (var run = new Run(net, python: null))
        {
            run.StartSeeder("--port-mapping");
            Assert.True(await WaitForAsync(() => run.SeederLog.Contains("port mapping: UPnP: no UPnP device", StringComparison.Ordinal)
                && run.SeederLog.Contains("does not speak NAT-PMP or PCP", StringComparison.Ordinal), TimeSpan.FromSeconds(60)),
                $"the missing router was not logged:\n{run.SeederLog}");
            Assert.True(run.SeederRunning, run.SeederLog);
            await run.StopSeederAsync();
        }
    }

    private static int Lines(string log, string text) => log.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));

    private static Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout) => Wait.UntilAsync(condition, timeout, Ct);

    /// <summary>One scenario's processes: the tracker outside, our seeder at home, the libtorrent peer outside.</summary>
    private sealed partial class Run : IDisposable
    {
        private readonly HomeNetwork _net;
        private readonly string? _python;
        private readonly TestTorrents.Built _built;
        private readonly string _torrent;
        private readonly ConcurrentQueue<string> _tracker = new(), _seeder = new(), _peer = new();
        private Process? _trackerProcess, _seederProcess, _peerProcess;

        public Run(HomeNetwork net, string? python)
        {
            (_net, _python) = (net, python);
            Folder = new TempFolder("torrentlab-portmap");
            _built = TestTorrents.SingleFile(length: 3 * 1024 * 1024, pieceLength: 256 * 1024, name: "home.bin", seed: 52,
                announce: $"http://{HomeNetwork.OutsideAddress}:{HomeNetwork.TrackerPort}/announce");
            _built.WritePayload(Folder.Combine("data"));
            _torrent = _built.WriteTorrent(Folder.Path);
            _trackerProcess = Start(net.Outside, _tracker, "dotnet", [CliRunner.CliDll, "tracker", "--host", HomeNetwork.OutsideAddress,
                "--port", HomeNetwork.TrackerPort.ToString(CultureInfo.InvariantCulture), "--interval", "60"]);
        }

        public TempFolder Folder { get; }

        public string SeederLog => string.Join("\n", _seeder);

        public bool SeederRunning => _seederProcess is { HasExited: false };

        private string All => $"seeder:\n{SeederLog}\ntracker:\n{string.Join("\n", _tracker)}\npeer:\n{string.Join("\n", _peer)}\nrouter:\n{_net.RouterLog}";

        public void StartSeeder(params string[] portMapping) =>
            _seederProcess = Start(_net.Home, _seeder, "dotnet", [CliRunner.CliDll, "seed", _torrent, "-d", Folder.Combine("data"),
                "--port", SeederPort.ToString(CultureInfo.InvariantCulture), "--no-dht", "-v", "-q", .. portMapping]);

        /// <summary>Starts the seeder mapping with <paramref name="protocols"/> and waits until the TCP mapping is made
        /// and the tracker has heard the external port; returns that port.</summary>
        public async Task<int> SeedAsync(string protocols)
        {
            StartSeeder("--port-mapping-protocols", protocols);
            int? external = null;
            Assert.True(await WaitForAsync(() => (external = MappedPort()) is not null, TimeSpan.FromSeconds(90)), $"no TCP mapping:\n{All}");
            // Trackers are told the external port (the announce comes from the router's outside address).
            Assert.True(await WaitForAsync(() => _tracker.Any(l => l.Contains($"announce http {HomeNetwork.RouterOutside}:{external} ", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60)), $"the tracker never heard port {external}:\n{All}");
            return external!.Value;
        }

        private int? MappedPort() => _seeder.Select(l => MappedTcp().Match(l)).FirstOrDefault(m => m.Success) is { } m
            ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

        [GeneratedRegex(@"port mapping: .* mapped TCP external port (\d+) to our 7001")]
        private static partial Regex MappedTcp();

        /// <summary>The libtorrent peer outside downloads the torrent, having dialled the router's outside address at
        /// <paramref name="external"/> (the only way in).</summary>
        public async Task OutsidePeerDownloadsThroughAsync(int external, string transport)
        {
            var script = Folder.Combine("outside.py");
            await File.WriteAllTextAsync(script, OutsidePeer, Ct);
            Directory.CreateDirectory(Folder.Combine("outside"));
            _peerProcess = Start(_net.Outside, _peer, _python!, [script, _torrent, Folder.Combine("outside"), transport]);
            Assert.True(await WaitForAsync(() => _peer.Contains("done") || _peerProcess.HasExited, TimeSpan.FromSeconds(150)), $"the outside peer did not finish:\n{All}");
            // Its exit can be seen before its last lines are read (the tracker heard it complete, its "done" not yet in
            // the log): waiting for the exit without a limit waits for the end of its output too.
            if (_peerProcess.HasExited) _peerProcess.WaitForExit();
            Assert.True(_peer.Contains("done"), All);
            Assert.Contains($"peer {HomeNetwork.RouterOutside}:{external} dialled=True", _peer);
            Assert.Equal(SHA1.HashData(_built.Payload), SHA1.HashData(await File.ReadAllBytesAsync(Folder.Combine("outside", "home.bin"), Ct)));
        }

        /// <summary>Stops the seeder as Ctrl-C does (or with <paramref name="signal"/> TERM, as a service manager
        /// does) and waits for it to end (exit 130, its closing lines written). The signal is sent before the first wait.</summary>
        public async Task StopSeederAsync(string signal = "INT")
        {
            var seeder = _seederProcess!;
            Assert.True(ProcessRunner.Signal(seeder, signal), $"the seeder had ended before SIG{signal}:\n{All}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await seeder.WaitForExitAsync(timeout.Token);
            seeder.WaitForExit(); // the output's last lines
            Assert.True(seeder.ExitCode == CliRunner.Codes.Interrupted, $"exit {seeder.ExitCode}\n{All}");
        }

        private static Process Start(string ns, ConcurrentQueue<string> log, string file, IEnumerable<string> args) => NetNamespaces.StartLogged(ns, log, file, args);

        public void Dispose()
        {
            foreach (var process in new[] { _peerProcess, _seederProcess, _trackerProcess })
                if (process is not null)
                {
                    ProcessRunner.Stop(process);
                    process.Dispose();
                }
            Folder.Dispose();
        }
    }
}
