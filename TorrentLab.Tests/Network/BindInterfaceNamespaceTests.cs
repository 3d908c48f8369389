using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Network;

/// <summary><c>--bind-interface</c> as a VPN's kill switch, in namespaces the test creates and deletes: ours has two
/// links to the peers' namespace, "vpn" (10.9.0.2) and "wan" (10.8.0.2, the default route, preferred), and the seed,
/// the tracker and the DHT node there (10.7.0.1) are reachable through both. An nftables table in ours counts TCP and
/// UDP packets out of each link. Our download bound to the vpn link starts, its link is set down mid-transfer, the
/// session says so and refuses its retries (peer dials, announces, DHT) while nothing at all leaves by wan; the link
/// comes back, the session says so and the download completes, the wan counter still 0 and the tracker having heard
/// us from the vpn address only.</summary>
/// <remarks>Needs root (ip netns, nft); skipped visibly otherwise. Addresses are in 10.7-10.9, only inside these
/// namespaces. The window while the link is down is driven by the session's own refusals (three refused attempts and
/// one skipped announce), not by a sleep.</remarks>
[Trait("Tier", "Slow")]
public partial class BindInterfaceNamespaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Vpn = "10.9.0.2", VpnGateway = "10.9.0.1", Wan = "10.8.0.2", WanGateway = "10.8.0.1", Far = "10.7.0.1";

    [Fact]
    public async Task DownloadBoundToTheVpnLink_SendsNothingByWanWhileItIsDown_AndCompletesWhenItIsBack()
    {
        using var set = NetNamespaces.CreateOrSkip();
        Interop.RequireExecutable("nft");
        var (ours, far, vpn, wan) = TwoRoutes(set);

        using var folder = new TempFolder("torrentlab-bindif");
        var built = TestTorrents.SingleFile(length: 4 * 1024 * 1024, pieceLength: 64 * 1024, name: "bound.bin", seed: 29,
            announce: $"http://{Far}:6969/announce");
        built.WritePayload(folder.Combine("data"));
        var torrent = built.WriteTorrent(folder.Path);
        ConcurrentQueue<string> trackerLog = new(), seedLog = new(), ourLog = new();
        var processes = new List<Process>();
        try
        {
            processes.Add(NetNamespaces.StartLogged(far, trackerLog, "dotnet", [CliRunner.CliDll, "tracker", "--host", Far, "--port", "6969", "--interval", "5"]));
            processes.Add(NetNamespaces.StartLogged(far, seedLog, "dotnet", [CliRunner.CliDll, "seed", torrent, "-d", folder.Combine("data"),
                "--port", "6881", "--max-upload-rate", "400K", "-v", "-q"]));
            Assert.True(await Wait.UntilAsync(() => trackerLog.Any(l => l.Contains("announce http", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), Ct),
                Everything());
            var download = NetNamespaces.StartLogged(ours, ourLog, "dotnet", [CliRunner.CliDll, torrent, "-o", folder.Combine("ours"),
                "--bind-interface", vpn, "--dht-bootstrap", $"{Far}:6881", "--port", "6881", "-v", "-q"]);
            processes.Add(download);

            // Data flows through vpn, then vpn goes down mid-transfer.
            Assert.True(await Wait.UntilAsync(() => Packets(ours, vpn) > 100, TimeSpan.FromSeconds(60), Ct), Everything());
            Must(NetNamespaces.Ip("-n", ours, "link", "set", vpn, "down"), "vpn down");
            Assert.True(await Wait.UntilAsync(() => Has(ourLog, $"interface {vpn} down: sending nothing"), TimeSpan.FromSeconds(30), Ct), Everything());
            // The window: until the session has refused three attempts and skipped an announce (the tracker says 5 s).
            Assert.True(await Wait.UntilAsync(() => ourLog.Count(l => l.Contains("refused so far", StringComparison.Ordinal)) >= 3
                && Has(ourLog, "announce skipped"), TimeSpan.FromSeconds(90), Ct), Everything());
            Assert.False(download.HasExited, Everything());
            Assert.Equal(0, Packets(ours, wan));
            var refusedWhileDown = ourLog.Count(l => l.Contains("refused so far", StringComparison.Ordinal));
            var down = Stopwatch.StartNew();

            Must(NetNamespaces.Ip("-n", ours, "link", "set", vpn, "up"), "vpn up");
            NetNamespaces.Ip("-n", ours, "route", "replace", "default", "via", VpnGateway, "dev", vpn, "metric", "200"); // down took it away
            Assert.True(await Wait.UntilAsync(() => Has(ourLog, $"interface {vpn} up at {Vpn}: resuming"), TimeSpan.FromSeconds(30), Ct), Everything());
            Assert.True(download.WaitForExit(TimeSpan.FromSeconds(120)), Everything());
            Assert.True(download.ExitCode == CliRunner.Codes.Ok, $"exit {download.ExitCode}\n{Everything()}");
            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(folder.Combine("ours", "bound.bin"))));
            Assert.Equal(0, Packets(ours, wan));
            Assert.True(Packets(ours, vpn) > 0);
            var heard = trackerLog.Where(l => l.StartsWith("announce ", StringComparison.Ordinal) && !l.Contains($" {Far}:", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(heard);
            Assert.All(heard, l => Assert.Contains($" {Vpn}:", l));
            TestContext.Current.TestOutputHelper?.WriteLine($"while down: {refusedWhileDown} refusals logged, 0 packets by wan; " +
                $"after up: completed {down.Elapsed.TotalSeconds:0.0} s later; packets out: vpn {Packets(ours, vpn)}, wan {Packets(ours, wan)}");
        }
        finally
        {
            foreach (var process in processes)
            {
                ProcessRunner.Stop(process);
                process.Dispose();
            }
        }

        string Everything() => $"ours:\n{string.Join("\n", ourLog)}\nseed:\n{string.Join("\n", seedLog.TakeLast(30))}\ntracker:\n{string.Join("\n", trackerLog.TakeLast(30))}";
    }

    /// <summary>Ours and the far namespace, linked by vpn and by wan (the default route, preferred), with a counter of
    /// TCP and UDP packets out of each link in ours.</summary>
    private static (string Ours, string Far, string Vpn, string Wan) TwoRoutes(NetNamespaces set)
    {
        var ours = set.Create("c");
        var far = set.Create("s");
        // No IPv6 in ours: the kernel's own neighbour and router solicitations would be counted, and are not ours.
        Must(NetNamespaces.Run(ours, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"],
            TimeSpan.FromSeconds(10)), "IPv6 off");
        var (vpn, _) = set.Link(ours, Vpn, far, VpnGateway);
        var (wan, _) = set.Link(ours, Wan, far, WanGateway);
        Must(NetNamespaces.Ip("-n", far, "addr", "add", Far + "/32", "dev", "lo"), "far address");
        Must(NetNamespaces.Ip("-n", ours, "route", "add", "default", "via", WanGateway, "dev", wan, "metric", "100"), "wan route");
        Must(NetNamespaces.Ip("-n", ours, "route", "add", "default", "via", VpnGateway, "dev", vpn, "metric", "200"), "vpn route");
        Nft(ours, "add", "table", "inet", "t");
        Nft(ours, "add", "chain", "inet", "t", "out", "{ type filter hook output priority 0; }");
        Nft(ours, "add", "rule", "inet", "t", "out", "oifname", wan, "meta", "l4proto", "{ tcp, udp }", "counter");
        Nft(ours, "add", "rule", "inet", "t", "out", "oifname", vpn, "meta", "l4proto", "{ tcp, udp }", "counter");
        return (ours, far, vpn, wan);
    }

    private static bool Has(ConcurrentQueue<string> log, string text) => log.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>TCP and UDP packets our namespace sent out of <paramref name="link"/> so far.</summary>
    private static long Packets(string ns, string link)
    {
        var listing = NetNamespaces.Run(ns, "nft", ["list", "chain", "inet", "t", "out"], TimeSpan.FromSeconds(10));
        Must(listing, "nft list");
        var line = listing.Stdout.Split('\n').Single(l => l.Contains($"\"{link}\"", StringComparison.Ordinal));
        return long.Parse(CounterPattern().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static void Nft(string ns, params string[] args) => Must(NetNamespaces.Run(ns, "nft", args, TimeSpan.FromSeconds(10)), "nft " + string.Join(' ', args));

    private static void Must(ProcessRunner.Result result, string what)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"{what} failed: {result.Stderr.Trim()}");
    }

    [GeneratedRegex(@"counter packets (\d+) bytes")]
    private static partial Regex CounterPattern();
}
