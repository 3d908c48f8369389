using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>The interop download over a bad network: two network namespaces created by the test, joined by a veth
/// pair with <c>tc netem</c> (50 ms delay, 1% loss, reordering) on both ends; a libtorrent seeder in one, our CLI
/// downloading in the other. It must complete with identical data; the rate is reported.</summary>
/// <remarks>Needs iproute2, tc, CAP_NET_ADMIN and the kernel's netem qdisc, and python3-libtorrent; skipped visibly
/// with the reason otherwise. Addresses are in 10.x, used only inside the namespaces this test creates and deletes.
/// TORRENTLAB_NETEM_OPTIONAL=1 runs it without impairment where netem is missing (to check the plumbing).</remarks>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public partial class BadNetworkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string SeederScript = """
        import sys, time
        import libtorrent as lt
        torrent, save_path, address, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        settings = {
            'listen_interfaces': '%s:%d' % (address, port),
            'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False,
            'out_enc_policy': 2, 'in_enc_policy': 2,
        }
        ses = lt.session(settings)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
        h = ses.add_torrent(atp)
        deadline = time.time() + 15
        while time.time() < deadline and h.status().state != lt.torrent_status.seeding:
            time.sleep(0.1)
        print('ready' if h.status().state == lt.torrent_status.seeding else 'not ready', flush=True)
        sys.stdin.read()
        """;

    private static ProcessRunner.Result Ip(params string[] args) => ProcessRunner.Run("ip", args, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task DownloadAcrossNamespacesWithNetemDelayLossAndReordering_CompletesWithIdenticalData()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("network namespaces are Linux");
        Interop.RequireExecutable("ip");
        Interop.RequireExecutable("tc");
        var python = Interop.RequireLibtorrentPython();
        var id = Environment.ProcessId % 10_000 + "x" + Random.Shared.Next(1000);
        var (seedNs, leechNs) = ($"tlrs{id}", $"tlrl{id}");
        var subnet = $"10.201.{Random.Shared.Next(1, 254)}";
        var (seedAddress, leechAddress) = ($"{subnet}.1", $"{subnet}.2");
        var (seedIf, leechIf) = ($"tlvs{id}", $"tlvl{id}");
        using var folder = new TempFolder("torrentlab-netns");
        Process? seeder = null;
        try
        {
            if (Ip("netns", "add", seedNs) is { ExitCode: not 0 } denied)
                Assert.Skip($"cannot create network namespaces (needs CAP_NET_ADMIN): {denied.Stderr.Trim()}");
            Assert.Equal(0, Ip("netns", "add", leechNs).ExitCode);
            Assert.Equal(0, Ip("link", "add", seedIf, "type", "veth", "peer", "name", leechIf).ExitCode);
            Assert.Equal(0, Ip("link", "set", seedIf, "netns", seedNs).ExitCode);
            Assert.Equal(0, Ip("link", "set", leechIf, "netns", leechNs).ExitCode);
            foreach (var (ns, iface, address) in new[] { (seedNs, seedIf, seedAddress), (leechNs, leechIf, leechAddress) })
            {
                Assert.Equal(0, Ip("-n", ns, "addr", "add", address + "/24", "dev", iface).ExitCode);
                Assert.Equal(0, Ip("-n", ns, "link", "set", iface, "up").ExitCode);
                Assert.Equal(0, Ip("-n", ns, "link", "set", "lo", "up").ExitCode);
            }
            var impairment = "50 ms delay, 1% loss, 25% reordering, each way";
            foreach (var (ns, iface) in new[] { (seedNs, seedIf), (leechNs, leechIf) })
            {
                var netem = ProcessRunner.Run("ip", ["netns", "exec", ns, "tc", "qdisc", "add", "dev", iface, "root", "netem",
                    "delay", "50ms", "loss", "1%", "reorder", "25%", "50%"], TimeSpan.FromSeconds(10));
                if (netem.ExitCode == 0) continue;
                if (Environment.GetEnvironmentVariable("TORRENTLAB_NETEM_OPTIONAL") != "1")
                    Assert.Skip($"the kernel has no netem qdisc (tc: {netem.Stderr.Trim()}); set TORRENTLAB_NETEM_OPTIONAL=1 to run unimpaired");
                impairment = $"none (netem unavailable: {netem.Stderr.Trim()})";
            }

            var built = TestTorrents.SingleFile(length: 2 * 1024 * 1024, pieceLength: 64 * 1024, name: "netns.bin", seed: 19);
            var payloadDir = folder.Combine("seed");
            built.WritePayload(payloadDir);
            var torrent = built.WriteTorrent(folder.Path);
            var script = folder.Combine("seed.py");
            await File.WriteAllTextAsync(script, SeederScript, Ct);
            seeder = ProcessRunner.Start("ip", ["netns", "exec", seedNs, python, script, torrent, payloadDir, seedAddress, "6881"]);
            var ready = await seeder.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
            Assert.True(ready == "ready", $"the libtorrent seeder did not get ready: {ready}");

            var clock = Stopwatch.StartNew();
            var result = ProcessRunner.Run("ip", ["netns", "exec", leechNs, "dotnet", CliRunner.CliDll, torrent, "-o", folder.Combine("out"),
                "--quiet", "--max-peers", "1", "--peer", $"{seedAddress}:6881"], TimeSpan.FromSeconds(90));
            clock.Stop();

            Assert.True(result.ExitCode == CliRunner.Codes.Ok, $"exit {result.ExitCode}: {result.Stderr}");
            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(folder.Combine("out", "netns.bin"))));
            var rate = Rate().Match(result.Stdout) is { Success: true } m ? m.Groups[1].Value : "?";
            ReliabilityReport.Add(new ReliabilityRow("bad network", $"2 MiB from libtorrent across namespaces; impairment: {impairment}", 1, 1, "none",
                $"rate {rate} (CLI summary); wall {clock.Elapsed.TotalSeconds:0.0} s including CLI start"));
        }
        finally
        {
            if (seeder is not null)
            {
                ProcessRunner.Stop(seeder);
                seeder.Dispose();
            }
            Ip("netns", "del", seedNs);  // deleting a namespace deletes its end of the veth pair, and so the pair
            Ip("netns", "del", leechNs);
        }
    }

    [GeneratedRegex(@"in [\d.]+ s \(([^)]+)\)")]
    private static partial Regex Rate();
}
