using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Proxy;

/// <summary>SOCKS5 against real proxies: dante-server (danted, with UDP ASSOCIATE) and microsocks (CONNECT only, with a
/// user name and password), each in a namespace between ours and an "outside" one holding a tracker and a libtorrent
/// peer. Our namespace has a default route through the proxy's host, which forwards nothing, and an nftables rule that
/// counts and drops every packet we send to anyone but the proxy: a download or a seed that completes, with the
/// counters at zero and the tracker and the peer seeing only the proxy's outside address, went through the proxy and
/// nowhere else.</summary>
[Trait("Tier", "Slow")]
public partial class Socks5NamespaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Ours = "10.83.1.2", ProxyInside = "10.83.1.1", ProxyOutside = "10.83.2.1", Outside = "10.83.2.2";
    private const int TrackerPort = 7070, PeerPort = 6881, DantePort = 1080, MicrosocksPort = 1081;

    /// <summary>A libtorrent peer outside: seeds (<c>seed</c>, its data in <c>argv[2]</c>) or downloads (<c>leech</c>);
    /// prints every peer connected to it once, and "done" once it has the whole torrent.</summary>
    private const string OutsidePeer = LibtorrentScript.OnDisk + """
        import sys, time
        import libtorrent as lt
        torrent, save, mode = sys.argv[1], sys.argv[2], sys.argv[3]
        ses = lt.session({'listen_interfaces': '10.83.2.2:6881', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
            'enable_natpmp': False, 'allow_multiple_connections_per_ip': True, 'announce_to_all_trackers': True,
            'alert_mask': int(lt.alert.category_t.peer_notification)}, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save
        atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
        if mode == 'seed': atp.flags |= lt.torrent_flags.seed_mode
        h = ses.add_torrent(atp)
        print('started', flush=True)
        seen, done = set(), False
        def saw(ip):
            if ip not in seen:
                seen.add(ip)
                print('peer %s' % ip, flush=True)
        # Every connection made to it, however short: a small torrent through a local proxy can come and go between two
        # looks at get_peer_info (CI saw a whole download with no peer listed).
        def heard(a):
            if isinstance(a, lt.incoming_connection_alert): saw(a.endpoint[0])
        for _ in range(3000):
            for a in ses.pop_alerts(): heard(a)
            for p in h.get_peer_info(): saw(p.ip[0])
            if not done and h.status().is_seeding:
                done = True
                print('done' if on_disk(ses, h, other=heard) else 'not flushed', flush=True)
            time.sleep(0.1)
        """;

    [Fact]
    public async Task DownloadThroughDante_GoesByUdpAssociateAndConnect_AndNothingLeavesDirectly()
    {
        using var net = ProxyNetwork.CreateOrSkip();
        using var run = new Run(net);
        var proxy = run.StartDante();
        await run.StartOutsidePeerAsync("seed");

        var result = await run.DownloadAsync(proxy, "--proxy-only");

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, run.Everything(result));
        run.AssertTheDataArrived();
        // The default transport dials uTP first: over the proxy's UDP relay (dante relays UDP).
        Assert.Contains("(outgoing over utp", result.Stderr, StringComparison.Ordinal);
        run.AssertOnlyTheProxyWasSeen();
        Assert.Equal(0, net.LeakedPackets());
    }

    [Fact]
    public async Task DownloadThroughMicrosocks_WithUserAndPassword_GoesOverTcp_AndTheRefusedUdpIsNeverSentDirect()
    {
        using var net = ProxyNetwork.CreateOrSkip();
        using var run = new Run(net);
        var proxy = run.StartMicrosocks("alice", "s3cret:@x");
        await run.StartOutsidePeerAsync("seed");

        var result = await run.DownloadAsync(proxy, "--proxy-only");

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, run.Everything(result));
        run.AssertTheDataArrived();
        // microsocks has no UDP: one line says so, and the peer is reached over TCP.
        Assert.Contains("refuses UDP ASSOCIATE (command not supported): no UDP is sent", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(outgoing over tcp", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Stderr + result.Stdout, StringComparison.Ordinal); // never printed
        run.AssertOnlyTheProxyWasSeen();
        Assert.Equal(0, net.LeakedPackets());
    }

    [Fact]
    public async Task WrongPassword_IsSaidInOneLine_AndNothingGoesDirectInstead()
    {
        using var net = ProxyNetwork.CreateOrSkip();
        using var run = new Run(net);
        run.StartMicrosocks("alice", "s3cret");
        await run.StartOutsidePeerAsync("seed");

        var result = await run.DownloadAsync($"socks5://alice:wrong@{ProxyInside}:{MicrosocksPort}", "--proxy-only", "--stall-timeout", "10");

        Assert.True(result.ExitCode != CliRunner.Codes.Ok, run.Everything(result));
        Assert.Contains("refused the user name and password", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("peer ", run.PeerLog, StringComparison.Ordinal);
        Assert.Equal(0, net.LeakedPackets());
    }

    [Fact]
    public async Task SeedThroughDante_DialsTheOutsideLeecher_WhichDownloadsEverything_AndNothingLeavesDirectly()
    {
        using var net = ProxyNetwork.CreateOrSkip();
        using var run = new Run(net);
        var proxy = run.StartDante();
        await run.StartOutsidePeerAsync("leech");
        // The leecher has announced: our seeder's first announce names it, and our seeder dials it (nobody can dial us).
        Assert.True(await WaitForAsync(() => run.TrackerLog.Contains($"announce http {Outside}:{PeerPort}", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60)), run.Everything(null));

        run.StartSeeder(proxy, "--proxy-only");

        Assert.True(await WaitForAsync(() => run.PeerLog.Contains("done", StringComparison.Ordinal), TimeSpan.FromSeconds(150)), run.Everything(null));
        Assert.Equal(SHA1.HashData(run.Built.Payload), SHA1.HashData(await File.ReadAllBytesAsync(run.Folder.Combine("outside", "proxied.bin"), Ct)));
        Assert.Contains("no incoming connections: every connection goes through the proxy", run.SeederLog, StringComparison.Ordinal);
        run.AssertOnlyTheProxyWasSeen();
        Assert.Equal(0, net.LeakedPackets());
    }

    private static Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout) => Wait.UntilAsync(condition, timeout, Ct);

    /// <summary>Three namespaces in a line: ours (<see cref="Ours"/>), the proxy's host (<see cref="ProxyInside"/> and
    /// <see cref="ProxyOutside"/>, forwarding off) and the outside (<see cref="Outside"/>). Ours routes everything to
    /// the proxy's host, and counts and drops whatever it sends anyone else.</summary>
    private sealed class ProxyNetwork : IDisposable
    {
        private readonly NetNamespaces _set;

        private ProxyNetwork(NetNamespaces set)
        {
            _set = set;
            Interop.RequireExecutable("nft");
            Ours = set.Create("c");
            Proxy = set.Create("x");
            Outer = set.Create("o");
            set.Link(Ours, Socks5NamespaceTests.Ours, Proxy, ProxyInside);
            set.Link(Proxy, ProxyOutside, Outer, Outside);
            Must(NetNamespaces.Ip("-n", Ours, "route", "add", "default", "via", ProxyInside), "default route");
            // The proxy's host is no router: a packet of ours for the outside dies there (and was counted before).
            Must(NetNamespaces.Run(Proxy, "sysctl", ["-w", "net.ipv4.ip_forward=0"], TimeSpan.FromSeconds(10)), "forwarding off");
            Nft("add", "table", "inet", "leak");
            Nft("add", "chain", "inet", "leak", "out", "{ type filter hook output priority 0; }");
            Nft("add", "rule", "inet", "leak", "out", "oifname", "!=", "lo", "ip", "daddr", "!=", ProxyInside, "counter", "drop");
            // IPv6: the kernel's own neighbour discovery is ICMPv6; anything else would be ours.
            Nft("add", "rule", "inet", "leak", "out", "oifname", "!=", "lo", "meta", "nfproto", "ipv6", "meta", "l4proto", "!=", "ipv6-icmp", "counter", "drop");
        }

        public string Ours { get; }
        public string Proxy { get; }
        public string Outer { get; }

        public static ProxyNetwork CreateOrSkip() => new(NetNamespaces.CreateOrSkip());

        /// <summary>Packets our namespace sent to anyone but the proxy (dropped there and counted).</summary>
        public long LeakedPackets()
        {
            var listing = NetNamespaces.Run(Ours, "nft", ["list", "table", "inet", "leak"], TimeSpan.FromSeconds(10));
            Must(listing, "nft list");
            var counters = CounterPattern().Matches(listing.Stdout);
            Assert.Equal(2, counters.Count); // both rules are there and counting
            return counters.Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        private void Nft(params string[] args) => Must(NetNamespaces.Run(Ours, "nft", args, TimeSpan.FromSeconds(10)), "nft " + string.Join(' ', args));

        private static void Must(ProcessRunner.Result result, string what)
        {
            if (result.ExitCode != 0) throw new InvalidOperationException($"{what} failed: {result.Stderr.Trim()}");
        }

        public void Dispose() => _set.Dispose();
    }

    [GeneratedRegex(@"counter packets (\d+) bytes")]
    private static partial Regex CounterPattern();

    /// <summary>One scenario's processes: the tracker and the libtorrent peer outside, the proxy between, and ours.</summary>
    private sealed class Run : IDisposable
    {
        private readonly ProxyNetwork _net;
        private readonly string _torrent;
        private readonly ConcurrentQueue<string> _tracker = new(), _peer = new(), _proxy = new(), _seeder = new();
        private readonly List<Process> _processes = [];

        public Run(ProxyNetwork net)
        {
            _net = net;
            Interop.RequireLibtorrentPython();
            Folder = new TempFolder("torrentlab-socks");
            Built = TestTorrents.SingleFile(length: 3 * 1024 * 1024, pieceLength: 256 * 1024, name: "proxied.bin", seed: 83,
                announce: $"http://{Outside}:{TrackerPort}/announce");
            Built.WritePayload(Folder.Combine("data"));
            _torrent = Built.WriteTorrent(Folder.Path);
            Start(net.Outer, _tracker, "dotnet", [CliRunner.CliDll, "tracker", "--host", Outside,
                "--port", TrackerPort.ToString(CultureInfo.InvariantCulture), "--interval", "60"]);
        }

        public TempFolder Folder { get; }
        public TestTorrents.Built Built { get; }
        public string TrackerLog => string.Join("\n", _tracker);
        public string PeerLog => string.Join("\n", _peer);
        public string SeederLog => string.Join("\n", _seeder);

        public string Everything(ProcessRunner.Result? ours) =>
            (ours is null ? $"seeder:\n{SeederLog}" : $"exit {ours.ExitCode}\nours:\n{ours.Stdout}{ours.Stderr}") +
            $"\ntracker:\n{TrackerLog}\npeer:\n{PeerLog}\nproxy:\n{string.Join("\n", _proxy)}\nleaked: {_net.LeakedPackets()}";

        /// <summary>danted on the proxy's host: SOCKS5 on the inside address, connections and relayed datagrams out of
        /// the outside one, no authentication (dante's user names are the system's accounts).</summary>
        public string StartDante()
        {
            var danted = Interop.RequireExecutable("/usr/sbin/danted");
            var config = Folder.Combine("danted.conf");
            File.WriteAllText(config, $"""
                logoutput: stderr
                internal: {ProxyInside} port = {DantePort}
                external: {ProxyOutside}
                clientmethod: none
                socksmethod: none
                client pass {'{'} from: {Ours}/32 to: 0.0.0.0/0 {'}'}
                socks pass {'{'} from: {Ours}/32 to: 0.0.0.0/0 command: connect udpassociate {'}'}
                socks pass {'{'} from: 0.0.0.0/0 to: {Ours}/32 command: udpreply {'}'}
                """);
            Start(_net.Proxy, _proxy, danted, ["-f", config, "-p", Folder.Combine("danted.pid"), "-N", "1"]);
            WaitForListener(DantePort);
            return $"socks5://{ProxyInside}:{DantePort}";
        }

        /// <summary>microsocks on the proxy's host, asking for <paramref name="user"/> and <paramref name="password"/>
        /// (RFC 1929); it speaks CONNECT only.</summary>
        public string StartMicrosocks(string user, string password)
        {
            var microsocks = Interop.RequireExecutable("/usr/bin/microsocks");
            Start(_net.Proxy, _proxy, microsocks, ["-i", ProxyInside, "-p", MicrosocksPort.ToString(CultureInfo.InvariantCulture),
                "-b", ProxyOutside, "-u", user, "-P", password]);
            WaitForListener(MicrosocksPort);
            return $"socks5://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@{ProxyInside}:{MicrosocksPort}";
        }

        private void WaitForListener(int port)
        {
            bool Listening() => NetNamespaces.Run(_net.Proxy, "ss", ["-ltn", $"sport = :{port}"], TimeSpan.FromSeconds(10)).Stdout
                .Contains($":{port}", StringComparison.Ordinal);
            Assert.True(WaitForAsync(Listening, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult(),
                $"the proxy never listened on {port}:\n{string.Join("\n", _proxy)}");
        }

        /// <summary>The libtorrent peer outside, seeding or leeching; returns once it has announced.</summary>
        public async Task StartOutsidePeerAsync(string mode)
        {
            var script = Folder.Combine("outside.py");
            await File.WriteAllTextAsync(script, OutsidePeer, Ct);
            var save = mode == "seed" ? Folder.Combine("data") : Folder.Combine("outside");
            Directory.CreateDirectory(save);
            Start(_net.Outer, _peer, "/usr/bin/python3", [script, _torrent, save, mode]);
            Assert.True(await WaitForAsync(() => _tracker.Any(l => l.Contains($"announce http {Outside}:{PeerPort}", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60)), Everything(null));
        }

        /// <summary>Our download in our namespace, through <paramref name="proxy"/>, to completion.</summary>
        public Task<ProcessRunner.Result> DownloadAsync(string proxy, params string[] more) => Task.Run(() =>
            NetNamespaces.Run(_net.Ours, "dotnet", [CliRunner.CliDll, _torrent, "-o", Folder.Combine("ours"), "--proxy", proxy,
                "--no-dht", "-v", "-q", .. more], TimeSpan.FromSeconds(180)), Ct);

        /// <summary>Our seeder in our namespace, through <paramref name="proxy"/>.</summary>
        public void StartSeeder(string proxy, params string[] more) =>
            Start(_net.Ours, _seeder, "dotnet", [CliRunner.CliDll, "seed", _torrent, "-d", Folder.Combine("data"), "--proxy", proxy,
                "--no-dht", "-v", "-q", .. more]);

        public void AssertTheDataArrived() =>
            Assert.Equal(SHA1.HashData(Built.Payload), SHA1.HashData(File.ReadAllBytes(Folder.Combine("ours", "proxied.bin"))));

        /// <summary>The tracker heard us only from the proxy's outside address, and the peer met only that address.</summary>
        public void AssertOnlyTheProxyWasSeen()
        {
            var ours = _tracker.Where(l => l.StartsWith("announce ", StringComparison.Ordinal) && !l.Contains($" {Outside}:", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(ours);
            Assert.All(ours, l => Assert.StartsWith($"announce http {ProxyOutside}:", l, StringComparison.Ordinal));
            var peers = _peer.Where(l => l.StartsWith("peer ", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"peer {ProxyOutside}"], peers);
        }

        private void Start(string ns, ConcurrentQueue<string> log, string file, IEnumerable<string> args) =>
            _processes.Add(NetNamespaces.StartLogged(ns, log, file, args));

        public void Dispose()
        {
            foreach (var process in Enumerable.Reverse(_processes))
            {
                ProcessRunner.Stop(process);
                process.Dispose();
            }
            Folder.Dispose();
        }
    }
}
