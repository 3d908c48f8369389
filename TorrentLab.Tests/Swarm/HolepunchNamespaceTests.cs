using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The holepunch extension (BEP 55) through real NATs: a seeder and a downloader, each behind its own
/// masquerading router, meet only through a relay on the "public" network, which names the seeder to the downloader
/// by PEX and relays the rendezvous; the download completes over the punched uTP connection.</summary>
/// <remarks>
/// <code>
///   hA 10.57.1.2 --- 10.57.1.1 rA 10.55.1.2 --- 10.55.1.1 pub 10.55.2.1 --- 10.55.2.2 rB 10.57.2.1 --- 10.57.2.2 hB
///   downloader       (NAT: masquerade)            relay (routes)            (NAT: masquerade)            seeder
/// </code>
/// What masquerade makes of UDP: the source address becomes the router's outside address and the source port is kept
/// when it is free (Linux NAT changes a port only on a clash), so a peer's uTP socket appears at the router's address
/// with the same port to everyone - mapping independent of the destination. Inbound filtering is per destination:
/// conntrack lets in only the answers to what left (address- and port-dependent filtering), and each router drops every
/// other packet that reaches its outside address silently (iptables INPUT ... --ctstate NEW -j DROP), so a dial to the
/// other side times out. That is the NAT BEP 55 is for: once both sides have sent to each other, each router's
/// conntrack entry lets the other side's packets in.
/// The relay (ours, or libtorrent 2.0 as the real-client check) downloads at 1 KiB/s (a 256 KiB piece takes minutes):
/// it never holds a piece to give, so every byte the downloader gets comes from the seeder through the hole. The
/// downloader and the seeder run uTP only, so the relay sees each one's UDP socket (libtorrent's relay sends the
/// connection's source address to the target).
/// </remarks>
[Trait("Tier", "Slow")]
public class HolepunchNamespaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The relay in libtorrent 2.0: it relays BEP 55 (it finds the target among its connections by the remote
    /// endpoint, so the seeder reaches it over uTP, whose source port is its listen port), downloads at 1 KiB/s with its
    /// exemption for local peers lifted, and prints each peer it connects to.</summary>
    private const string LibtorrentRelay = """
        import sys, time
        import libtorrent as lt
        torrent, save = sys.argv[1], sys.argv[2]
        ses = lt.session({'listen_interfaces': '0.0.0.0:6881', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
            'enable_natpmp': False, 'enable_incoming_utp': True, 'enable_outgoing_utp': True, 'download_rate_limit': 1024,
            'allow_multiple_connections_per_ip': True})
        everyone = lt.ip_filter()
        everyone.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(everyone)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save
        atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
        h = ses.add_torrent(atp)
        print('ready', flush=True)
        seen = set()
        for _ in range(3000):
            for p in h.get_peer_info():
                key = (p.ip[0], p.ip[1])
                if key not in seen:
                    seen.add(key)
                    print('peer %s:%d' % key, flush=True)
            time.sleep(0.1)
        """;

    [Theory]
    [InlineData("torrentlab")]
    [InlineData("libtorrent")]
    public async Task Download_SeederBehindNat_CompletesThroughAHolepunchRelayedByAPeerOfBoth(string relayClient)
    {
        var python = relayClient == "libtorrent" ? Interop.RequireLibtorrentPython() : null;
        using var nets = NetNamespaces.CreateOrSkip();
        var iptables = Interop.RequireExecutable(File.Exists("/usr/sbin/iptables") ? "/usr/sbin/iptables" : "iptables");
        using var folder = new TempFolder("torrentlab-bep55-nat");
        var pub = nets.Create("pub");
        var (routerA, hostA, routerB, hostB) = (nets.Create("ra"), nets.Create("ha"), nets.Create("rb"), nets.Create("hb"));
        var (_, outsideA) = nets.Link(pub, "10.55.1.1", routerA, "10.55.1.2");
        var (_, outsideB) = nets.Link(pub, "10.55.2.1", routerB, "10.55.2.2");
        nets.Link(routerA, "10.57.1.1", hostA, "10.57.1.2");
        nets.Link(routerB, "10.57.2.1", hostB, "10.57.2.2");
        Must(Sh(pub, "echo 1 > /proc/sys/net/ipv4/ip_forward"), "forwarding in pub");
        foreach (var (router, outside, gateway, host, inside) in new[]
                 { (routerA, outsideA, "10.55.1.1", hostA, "10.57.1.1"), (routerB, outsideB, "10.55.2.1", hostB, "10.57.2.1") })
        {
            Must(Sh(router, "echo 1 > /proc/sys/net/ipv4/ip_forward"), "forwarding in a router");
            Must(NetNamespaces.Ip("-n", router, "route", "add", "default", "via", gateway), "router default route");
            Must(NetNamespaces.Ip("-n", host, "route", "add", "default", "via", inside), "host default route");
            var nat = NetNamespaces.Run(router, iptables, ["-t", "nat", "-A", "POSTROUTING", "-o", outside, "-j", "MASQUERADE"], TimeSpan.FromSeconds(10));
            if (nat.ExitCode != 0) Interop.Missing($"iptables cannot masquerade in a namespace here: {nat.Stderr.Trim()}");
            Must(NetNamespaces.Run(router, iptables, ["-A", "INPUT", "-i", outside, "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"],
                TimeSpan.FromSeconds(10)), "drop unsolicited inbound");
        }

        var built = TestTorrents.SingleFile(length: 4 * 1024 * 1024, pieceLength: 256 * 1024, name: "punched.bin", seed: 55);
        built.WritePayload(folder.Combine("b"));
        var torrent = built.WriteTorrent(folder.Path);
        var logR = new ConcurrentQueue<string>();
        var logB = new ConcurrentQueue<string>();
        Process? relay = null, seeder = null;
        try
        {
            if (python is null) relay = Start(pub, logR, "dotnet", [CliRunner.CliDll, torrent, "-o", folder.Combine("r"), "--port", "6881", "--no-dht", "-q", "-v", "--max-download-rate", "1K"]);
            else
            {
                var script = folder.Combine("relay.py");
                await File.WriteAllTextAsync(script, LibtorrentRelay, Ct);
                Directory.CreateDirectory(folder.Combine("r"));
                relay = Start(pub, logR, python, [script, torrent, folder.Combine("r")]);
            }
            // The seeder dials the relay (it is NAT'd: nobody can dial it) over uTP, so the relay sees its UDP mapping.
            seeder = Start(hostB, logB, "dotnet", [CliRunner.CliDll, "seed", torrent, "-d", folder.Combine("b"), "--port", "7002", "--no-dht", "-v", "--transport", "utp",
                "--peer", "10.55.2.1:6881"]);
            // The relay's first PEX message to the downloader must name the seeder: wait until the seeder is connected.
            Assert.True(await WaitForAsync(() => logR.Any(l => python is null
                    ? l.Contains("10.55.2.2:", StringComparison.Ordinal) && l.Contains("connected (incoming over utp", StringComparison.Ordinal)
                    : l.StartsWith("peer 10.55.2.2:7002", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30)), "the seeder never reached the relay:\n" + string.Join("\n", logR) + "\n" + string.Join("\n", logB));

            var result = await Task.Run(() => NetNamespaces.Run(hostA, "dotnet", [CliRunner.CliDll, torrent, "-o", folder.Combine("a"), "--port", "7001",
                "--no-dht", "-q", "-v", "--stall-timeout", "90", "--transport", "utp", "--peer", "10.55.1.1:6881"], TimeSpan.FromSeconds(150)), Ct);

            var all = $"downloader:\n{result.Stdout}\n{result.Stderr}\nrelay:\n{string.Join("\n", logR)}\nseeder:\n{string.Join("\n", logB)}";
            Assert.True(result.ExitCode == CliRunner.Codes.Ok, $"exit {result.ExitCode}\n{all}");
            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(folder.Combine("a", "punched.bin"))));
            var downloader = result.Stderr + result.Stdout;
            // It learned the seeder from the relay's PEX, failed to dial it (the NAT drops the SYNs), asked for a rendezvous...
            Assert.True(downloader.Contains("ut_pex named ", StringComparison.Ordinal), all);
            Assert.True(downloader.Contains("dial 10.55.2.2:7002: ", StringComparison.Ordinal), all);   // the direct dial failed
            Assert.True(downloader.Contains("sent ut_holepunch rendezvous 10.55.2.2:7002", StringComparison.Ordinal), all);
            // ...the relay told both sides to connect, and both dialled over uTP at once.
            if (python is null) Assert.Contains(logR, l => l.Contains("relayed a rendezvous", StringComparison.Ordinal));
            Assert.True(downloader.Contains("holepunch: dialling 10.55.2.2:7002 over uTP", StringComparison.Ordinal), all);
            Assert.True(logB.Any(l => l.Contains("holepunch: dialling 10.55.1.2:7001 over uTP", StringComparison.Ordinal)), all);
        }
        finally
        {
            foreach (var process in new[] { relay, seeder })
                if (process is not null)
                {
                    ProcessRunner.Stop(process);
                    process.Dispose();
                }
        }
    }

    private static Process Start(string ns, ConcurrentQueue<string> log, string file, IEnumerable<string> args) => NetNamespaces.StartLogged(ns, log, file, args);

    private static Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout) => Wait.UntilAsync(condition, timeout, Ct);

    private static ProcessRunner.Result Sh(string ns, string command) => NetNamespaces.Run(ns, "sh", ["-c", command], TimeSpan.FromSeconds(10));

    private static void Must(ProcessRunner.Result result, string what)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"{what} failed: {result.Stderr.Trim()}");
    }
}
