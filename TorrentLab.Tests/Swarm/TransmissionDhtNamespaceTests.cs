using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>TorrentLab and Transmission find each other through the DHT (BEP 5), both ways, with trackerless magnet
/// links: Transmission's DHT drops every node and peer on 127.0.0.0/8 as martian, so this runs in two network
/// namespaces of the test's own, joined by a veth pair, with no route out of them.</summary>
/// <remarks>
/// <code>
///   lab 10.58.0.1 ------------------------------------------- 10.58.0.2 tr
///   TorrentLab seed (7000), TorrentLab download (7001),        transmission-daemon (51413, RPC on its own 127.0.0.1)
///   ten libtorrent DHT nodes (6881-6890)
/// </code>
/// Transmission 3.00 starts a DHT lookup or announce only once its table holds at least 4 good nodes and more than 8 in
/// all (<c>tr_dhtStatus</c> "poor"); two clients alone never reach that, so ten libtorrent nodes make up the rest of
/// the DHT. Transmission learns its first nodes from the <c>dht.bootstrap</c> file in its config folder (one
/// <c>host port</c> a line), our seed's node first. Our processes run with <c>TORRENTLAB_DHT_LOOPBACK_ONLY=0</c>: here the
/// namespaces, which have no route out, are what keeps every packet off the machine's network.
/// </remarks>
[Trait("Tier", "Slow")]
public class TransmissionDhtNamespaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Lab = "10.58.0.1", Tr = "10.58.0.2";
    private const int SeedPort = 7000, DownloadPort = 7001, FirstNode = 6881, Nodes = 10, TrPort = 51413;

    /// <summary>How long each client may take: Transmission's table fills one confirmed node every 5-25 s.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    // Ten libtorrent sessions with only their DHT to offer (no torrent): the first bootstraps from nobody, the others
    // from it. Prints "ready" once every node bootstrapped, then runs until stdin closes.
    private const string DhtNodes = LibtorrentScript.Prelude + """
        host, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        sessions = []
        for i in range(count):
            sessions.append(loopback_session(first + i, None, {
                'enable_dht': True, 'listen_interfaces': '%s:%d' % (host, first + i),
                'dht_bootstrap_nodes': '' if i == 0 else '%s:%d' % (host, first),   # never the public routers
                'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
                'dht_enforce_node_id': False, 'dht_prefer_verified_node_ids': False, 'dht_ignore_dark_internet': False,
                'alert_mask': lt.alert.category_t.dht_notification,
            }))
        done, deadline = {0}, time.time() + 60
        while time.time() < deadline and len(done) < count:
            time.sleep(0.05)
            for i, s in enumerate(sessions):
                for a in s.pop_alerts():
                    if isinstance(a, lt.dht_bootstrap_alert): done.add(i)
        print('ready' if len(done) == count else 'not ready: %d of %d nodes bootstrapped' % (len(done), count), flush=True)
        sys.stdin.read()
        """;

    [Fact]
    public async Task TorrentLabAndTransmission_FindEachOthersTrackerlessMagnetThroughTheDht_BothWays()
    {
        var python = Interop.RequireLibtorrentPython();
        var daemon = Interop.RequireExecutable("/usr/bin/transmission-daemon");
        var remote = Interop.RequireExecutable("/usr/bin/transmission-remote");
        if (Environment.UserName != "root") Interop.Missing("network namespaces need root (CAP_NET_ADMIN)");
        using var nets = NetNamespaces.CreateOrSkip();
        using var folder = new TempFolder("torrentlab-tr-dht");
        var (lab, tr) = (nets.Create("lab"), nets.Create("tr"));
        nets.Link(lab, Lab, tr, Tr); // the /24 on the pair is the only route either namespace has

        // Two trackerless torrents: Transmission seeds one, we seed the other; each downloads the other's by its magnet.
        var theirs = TestTorrents.SingleFile(length: 3 << 20, pieceLength: 256 * 1024, name: "from-transmission.bin", announce: null, seed: 581);
        var ours = TestTorrents.SingleFile(length: 3 << 20, pieceLength: 256 * 1024, name: "from-torrentlab.bin", announce: null, seed: 582);
        theirs.WritePayload(folder.Combine("tr-data"));
        ours.WritePayload(folder.Combine("lab-data"));
        var theirTorrent = theirs.WriteTorrent(folder.Path, "theirs.torrent");
        var ourTorrent = ours.WriteTorrent(folder.Path, "ours.torrent");
        Directory.CreateDirectory(folder.Combine("tr-out"));

        var logs = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        var processes = new List<Process>();
        try
        {
            await File.WriteAllTextAsync(folder.Combine("nodes.py"), DhtNodes, Ct);
            Start(processes, logs, "dht nodes", lab, python, [folder.Combine("nodes.py"), Lab, FirstNode.ToString(), Nodes.ToString()]);
            Assert.True(await Wait.UntilAsync(() => logs["dht nodes"].Any(l => l.StartsWith("ready", StringComparison.Ordinal) || l.StartsWith("not ready", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(90), Ct) && logs["dht nodes"].Contains("ready"), Dump(logs));

            // Our seed joins through the libtorrent nodes and announces its torrent (at start, and every 15 minutes).
            Start(processes, logs, "our seed", lab, "dotnet", [CliRunner.CliDll, "seed", ourTorrent, "-d", folder.Combine("lab-data"),
                "--port", SeedPort.ToString(), "--dht-bootstrap", $"{Lab}:{FirstNode}", "-v"], OurEnvironment);

            // Transmission: DHT on, everything else that could look outside off; bootstrapped from dht.bootstrap.
            var config = folder.Combine("tr-config");
            Directory.CreateDirectory(config);
            await File.WriteAllTextAsync(Path.Combine(config, "settings.json"), JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bind-address-ipv4"] = Tr, ["peer-port"] = TrPort, ["peer-port-random-on-start"] = false,
                ["dht-enabled"] = true, ["lpd-enabled"] = false, ["pex-enabled"] = false, ["utp-enabled"] = false,
                ["port-forwarding-enabled"] = false, ["blocklist-enabled"] = false, ["encryption"] = 1,
                ["rpc-enabled"] = true, ["rpc-bind-address"] = "127.0.0.1", ["rpc-port"] = 9091,
                ["rpc-authentication-required"] = false, ["rpc-whitelist-enabled"] = false, ["rpc-host-whitelist-enabled"] = false,
                ["download-dir"] = folder.Combine("tr-out"), ["incomplete-dir-enabled"] = false, ["rename-partial-files"] = false,
                ["ratio-limit-enabled"] = false, ["idle-seeding-limit-enabled"] = false, ["start-added-torrents"] = true,
                ["watch-dir-enabled"] = false, ["message-level"] = 2,
            }), Ct);
            await File.WriteAllLinesAsync(Path.Combine(config, "dht.bootstrap"),
                [$"{Lab} {SeedPort}", .. Enumerable.Range(FirstNode, 3).Select(port => $"{Lab} {port}")], Ct);
            Start(processes, logs, "transmission", tr, daemon, ["-f", "-g", config, "--log-info"]);
            await TransmissionRemoteAsync(tr, remote, logs, ["-a", theirTorrent, "-w", folder.Combine("tr-data")]);
            await TransmissionRemoteAsync(tr, remote, logs, ["-a", $"magnet:?xt=urn:btih:{ours.Torrent.InfoHash.Hex}", "-w", folder.Combine("tr-out")]);

            // We download Transmission's torrent from its magnet link alone: peers and metadata through the DHT.
            var download = Start(processes, logs, "our download", lab, "dotnet", [CliRunner.CliDll, $"magnet:?xt=urn:btih:{theirs.Torrent.InfoHash.Hex}",
                "-o", folder.Combine("lab-out"), "--port", DownloadPort.ToString(), "--dht-bootstrap", $"{Lab}:{FirstNode}", "-v"], OurEnvironment);

            var ourFile = Path.Combine(folder.Combine("lab-out"), theirs.Files[0].Path);
            var theirFile = Path.Combine(folder.Combine("tr-out"), ours.Files[0].Path);
            var clock = Stopwatch.StartNew();
            Assert.True(await Wait.UntilAsync(() => download.HasExited, Deadline, Ct), $"our download did not finish\n{Dump(logs)}");
            download.WaitForExit(); // its exit can be seen before its last lines are read into the log
            var ourTime = clock.Elapsed;
            Assert.True(download.ExitCode == CliRunner.Codes.Ok, $"our download exited {download.ExitCode}\n{Dump(logs)}");
            Assert.Equal(theirs.Payload, await File.ReadAllBytesAsync(ourFile, Ct));
            Assert.Contains(logs["our download"], l => System.Text.RegularExpressions.Regex.IsMatch(l, @"peers from: .*dht [1-9]")); // Transmission came from the DHT
            Assert.True(await Wait.UntilAsync(() => File.Exists(theirFile) && SameBytes(theirFile, ours.Payload), Deadline, Ct),
                $"Transmission did not download our seed's torrent\n{Dump(logs)}");
            TestContext.Current.TestOutputHelper?.WriteLine($"ours from Transmission in {ourTime.TotalSeconds:0} s, Transmission's from ours in {clock.Elapsed.TotalSeconds:0} s");
        }
        finally
        {
            foreach (var process in processes)
            {
                ProcessRunner.Stop(process);
                process.Dispose();
            }
        }
    }

    /// <summary>Our processes may use the DHT beyond loopback: the namespaces have no route out.</summary>
    private static readonly Dictionary<string, string> OurEnvironment = new() { ["TORRENTLAB_DHT_LOOPBACK_ONLY"] = "0" };

    /// <summary>Starts a program in a namespace, its output lines collected under <paramref name="name"/>.</summary>
    private static Process Start(List<Process> processes, ConcurrentDictionary<string, ConcurrentQueue<string>> logs, string name, string ns,
        string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var log = logs.GetOrAdd(name, _ => new ConcurrentQueue<string>());
        var process = ProcessRunner.Start("ip", ["netns", "exec", ns, file, .. args], environment: environment);
        processes.Add(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs transmission-remote against the daemon's RPC inside its namespace, again until the daemon answers.</summary>
    private static async Task TransmissionRemoteAsync(string ns, string remote, ConcurrentDictionary<string, ConcurrentQueue<string>> logs, string[] args)
    {
        ProcessRunner.Result? last = null;
        var answered = await Wait.UntilAsync(() =>
        {
            last = NetNamespaces.Run(ns, remote, ["127.0.0.1:9091", .. args], TimeSpan.FromSeconds(20));
            return last.ExitCode == 0 && last.Stdout.Contains("success", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), Ct);
        Assert.True(answered, $"transmission-remote {string.Join(' ', args)}: {last?.Stdout}{last?.Stderr}\n{Dump(logs)}");
    }

    private static bool SameBytes(string path, byte[] expected)
    {
        try { return File.ReadAllBytes(path).AsSpan().SequenceEqual(expected); }
        catch (IOException) { return false; } // still being written
    }

    private static string Dump(ConcurrentDictionary<string, ConcurrentQueue<string>> logs) =>
        string.Join("\n", logs.Select(kv => $"--- {kv.Key}:\n{string.Join("\n", kv.Value.TakeLast(40))}"));
}
