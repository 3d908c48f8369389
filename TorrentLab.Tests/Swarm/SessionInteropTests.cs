using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Swarm;

/// <summary>One session for many torrents against libtorrent, and <c>torrentlab serve</c> with 200 torrents on one port.</summary>
[Trait("Tier", "Slow")]
public partial class SessionInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A libtorrent session that adds every torrent given (path, save folder) and dials one peer for each,
    /// again every two seconds while it has none; prints "done" once it seeds them all.</summary>
    private const string DownloadAllFromOnePeer = LibtorrentScript.Prelude + """
        port, target = int(sys.argv[1]), int(sys.argv[2])
        ses = loopback_session(port)
        handles = [add_torrent(ses, sys.argv[i], sys.argv[i + 1])[0] for i in range(3, len(sys.argv), 2)]
        deadline, dialled = time.time() + 50, 0
        while time.time() < deadline:
            if all(h.status().is_seeding for h in handles):
                print('done', flush=True)
                sys.exit(0)
            if time.time() - dialled > 2:
                for h in handles:
                    if h.status().num_peers == 0: h.connect_peer(('127.0.0.1', target))
                dialled = time.time()
            time.sleep(0.1)
        print('timeout: ' + '; '.join('%s %.3f peers=%d' % (h.status().state, h.status().progress, h.status().num_peers) for h in handles), flush=True)
        sys.exit(1)
        """;

    [Fact]
    public async Task TwoTorrentsInOneSession_DownloadFromLibtorrentSeeders_ThenSeedLibtorrentThroughTheOnePort()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-session-interop");
        var first = TestTorrents.MultiFile([("one.bin", 700_000), ("dir/two.bin", 300_123)], pieceLength: 32 * 1024, name: "first", announce: null, seed: 71);
        var second = TestTorrents.SingleFile(length: 900_000, pieceLength: 64 * 1024, name: "second.bin", announce: null, seed: 72);
        var firstPath = first.WriteTorrent(folder.Path, "first.torrent");
        var secondPath = second.WriteTorrent(folder.Path, "second.torrent");
        first.WritePayload(folder.Combine("lt-seed"));
        second.WritePayload(folder.Combine("lt-seed"));
        using var seedA = await LibtorrentSeeder.StartAsync(python, firstPath, folder.Combine("lt-seed"), folder.Path, Ct);
        using var seedB = await LibtorrentSeeder.StartAsync(python, secondPath, folder.Combine("lt-seed"), folder.Path, Ct);
        await using var session = Session.Start(new SessionSettings { ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false });
        var ours = folder.Combine("ours");
        DownloadOptions From(int port) => new()
        {
            OutputDirectory = ours, ExtraPeers = [new IPEndPoint(IPAddress.Loopback, port)], StallTimeout = TimeSpan.FromSeconds(40),
        };

        // Both downloads at once, in the one session.
        await Task.WhenAll(
            TorrentClient.DownloadAsync(session, first.Torrent, From(seedA.Port), null, Ct),
            TorrentClient.DownloadAsync(session, second.Torrent, From(seedB.Port), null, Ct)).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        foreach (var (path, bytes) in first.Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(ours, path)));
        Assert.Equal(second.Payload, File.ReadAllBytes(Path.Combine(ours, "second.bin")));

        // Then both seeded from the same session, to one libtorrent session that dials our one port for each.
        var seeding = new DownloadOptions { OutputDirectory = ours };
        await using var ourA = await Seeder.StartAsync(session, first.Torrent, seeding, allowPartial: false, Ct);
        await using var ourB = await Seeder.StartAsync(session, second.Torrent, seeding, allowPartial: false, Ct);
        var script = folder.Combine("download_all.py");
        await File.WriteAllTextAsync(script, DownloadAllFromOnePeer, Ct);
        using var downloader = ProcessRunner.Start(python, [script, ProcessRunner.FreeTcpPort().ToString(CultureInfo.InvariantCulture),
            session.Port.ToString(CultureInfo.InvariantCulture), firstPath, folder.Combine("lt-get"), secondPath, folder.Combine("lt-get")]);
        var done = await ReadLineAsync(downloader, TimeSpan.FromSeconds(60));

        Assert.True(done == "done", $"libtorrent: {done} {await downloader.StandardError.ReadToEndAsync(Ct)}");
        foreach (var (path, bytes) in first.Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(folder.Combine("lt-get"), path)));
        Assert.Equal(second.Payload, File.ReadAllBytes(Path.Combine(folder.Combine("lt-get"), "second.bin")));
        Assert.True(ourA.Uploaded >= first.Torrent.TotalLength && ourB.Uploaded >= second.Torrent.TotalLength, $"uploaded {ourA.Uploaded}, {ourB.Uploaded}");
    }

    /// <summary>How many torrents the serve test holds: enough that one port per torrent would be hard to miss.</summary>
    private const int ServeTorrents = 200;

    [Fact]
    public async Task Serve_With200TorrentsSeeding_HoldsOnePeerPort_ServesLibtorrent_AndComesBackOnItWithoutRehashing()
    {
        var python = Interop.RequireLibtorrentPython();
        if (!OperatingSystem.IsLinux()) { Assert.Skip("reads the server's sockets from /proc and stops it with kill(1)"); return; }
        using var folder = new TempFolder("torrentlab-serve-session");
        var downloads = folder.Combine("downloads");
        var torrents = Enumerable.Range(0, ServeTorrents)
            .Select(i => TestTorrents.SingleFile(length: 40_000 + i, name: $"t{i:000}.bin", announce: null, seed: 1000 + i)).ToList();
        foreach (var built in torrents) built.WritePayload(downloads);
        var peerPort = ProcessRunner.FreeTcpAndUdpPort();

        var (server, url) = await StartServeAsync(downloads, ["--peer-port", peerPort.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            foreach (var built in torrents)
            {
                using var body = new ByteArrayContent(built.TorrentBytes);
                body.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
                using var added = await http.PostAsync("/api/torrents?start=true", body, Ct);
                Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync(Ct));
            }
            await WaitAllSeedingAsync(http);

            var (tcp, udp) = ListeningPorts(server.Id);
            Assert.Equal(new[] { new Uri(url).Port, peerPort }.Order(), tcp.Order()); // the page's port and the one peer port
            Assert.Equal([peerPort], udp);                                             // uTP and nothing else on UDP (--no-dht)

            // libtorrent fetches three of them, chosen at random, through the one port.
            var picked = torrents.OrderBy(_ => Random.Shared.Next()).Take(3).ToList();
            var script = folder.Combine("download_all.py");
            await File.WriteAllTextAsync(script, DownloadAllFromOnePeer, Ct);
            var args = new List<string> { script, ProcessRunner.FreeTcpPort().ToString(CultureInfo.InvariantCulture), peerPort.ToString(CultureInfo.InvariantCulture) };
            foreach (var built in picked) args.AddRange([built.WriteTorrent(folder.Path, built.Torrent.Name + ".torrent"), folder.Combine("lt")]);
            using (var downloader = ProcessRunner.Start(python, args))
            {
                var done = await ReadLineAsync(downloader, TimeSpan.FromSeconds(60));
                Assert.True(done == "done", $"libtorrent: {done} {await downloader.StandardError.ReadToEndAsync(Ct)}");
            }
            foreach (var built in picked) Assert.Equal(built.Payload, File.ReadAllBytes(Path.Combine(folder.Combine("lt"), built.Torrent.Name)));
        }
        finally
        {
            await StopAsync(server);
        }

        // A restart without --peer-port: the saved port, every torrent seeding again, none re-hashed (ledgers trusted).
        var (again, againUrl) = await StartServeAsync(downloads, []);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(againUrl), Timeout = TimeSpan.FromSeconds(30) };
            await WaitAllSeedingAsync(http);
            Assert.Equal(peerPort, PeerPortLine(again));
            var (tcp, _) = ListeningPorts(again.Id);
            Assert.Contains(peerPort, tcp);
            foreach (var built in torrents)
            {
                var details = await http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{built.Torrent.InfoHash.Hex}", WebJsonContext.Default.TorrentDetails, Ct);
                Assert.DoesNotContain(details!.Log, line => line.Contains("checking the existing files", StringComparison.Ordinal));
            }
        }
        finally
        {
            await StopAsync(again);
        }
    }

    private readonly Dictionary<int, int> _peerPorts = [];

    /// <summary>Starts <c>torrentlab serve</c> (page on a free port, no DHT, seeding completed torrents) and returns it
    /// with its page's address once it printed its lines.</summary>
    private async Task<(Process Server, string Url)> StartServeAsync(string downloads, string[] extra)
    {
        var server = ProcessRunner.Start("dotnet", [CliRunner.CliDll, "serve", "--port", "0", "--downloads", downloads, "--no-dht", "--seed", "--bind", "127.0.0.1", .. extra]);
        string? url = null;
        var deadline = Stopwatch.StartNew();
        while ((url is null || !_peerPorts.ContainsKey(server.Id)) && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var line = await ReadLineAsync(server, TimeSpan.FromSeconds(60) - deadline.Elapsed);
            if (line is null) break;
            if (ServingLine().Match(line) is { Success: true } serving) url = serving.Groups[1].Value;
            if (PeerLine().Match(line) is { Success: true } peers) _peerPorts[server.Id] = int.Parse(peers.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        if (url is null || !_peerPorts.ContainsKey(server.Id))
        {
            ProcessRunner.Stop(server);
            Assert.Fail($"serve did not start: {await server.StandardError.ReadToEndAsync(Ct)}");
        }
        _ = server.StandardError.ReadToEndAsync(Ct); // drained, so its log never blocks it
        return (server, url!);
    }

    private int PeerPortLine(Process server) => _peerPorts[server.Id];

    private static async Task WaitAllSeedingAsync(HttpClient http)
    {
        TorrentSummary[] list = [];
        if (await Wait.UntilAsync(async () =>
            {
                list = (await http.GetFromJsonAsync("/api/torrents", WebJsonContext.Default.TorrentSummaryArray, Ct))!;
                return list.Length == ServeTorrents && list.All(t => t.State == "seeding");
            }, TimeSpan.FromSeconds(120), Ct))
            return;
        Assert.Fail($"not all seeding: {string.Join(", ", list.GroupBy(t => t.State).Select(g => $"{g.Count()} {g.Key}"))}");
    }

    /// <summary>Ctrl-C: the server pauses its torrents (ledgers saved) and exits.</summary>
    private static async Task StopAsync(Process server)
    {
        ProcessRunner.Signal(server, "INT");
        try { await server.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct); }
        finally { ProcessRunner.Stop(server); server.Dispose(); }
    }

    private static async Task<string?> ReadLineAsync(Process process, TimeSpan timeout)
    {
        try { return await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(timeout, Ct); }
        catch (TimeoutException) { return null; }
    }

    /// <summary>The TCP ports the process listens on and the UDP ports it has bound, read from /proc.</summary>
    private static (List<int> Tcp, List<int> Udp) ListeningPorts(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
        }
        List<int> Ports(string[] tables, bool listeningOnly)
        {
            var ports = new List<int>();
            foreach (var table in tables)
                foreach (var line in File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
                {
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // local_address is ADDRESS:PORT in hex; st 0A is LISTEN; the inode is the tenth field
                    if (!inodes.Contains(f[9]) || (listeningOnly && f[3] != "0A")) continue;
                    ports.Add(int.Parse(f[1][(f[1].IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            return ports;
        }
        return (Ports(["tcp", "tcp6"], listeningOnly: true), Ports(["udp", "udp6"], listeningOnly: false));
    }

    [GeneratedRegex(@"^serving (http://[^/ ]+)/")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"^peers reach every torrent on port (\d+)")]
    private static partial Regex PeerLine();
}
