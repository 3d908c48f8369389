using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Import;

/// <summary>The test: a state folder made by the real daemon (qbittorrent-nox 4.5, transmission-daemon 3.00) with a
/// finished torrent, a partial one (a multi-file torrent, one file missing, one deselected), a paused one and one whose
/// file is cut short after the daemon stopped; <c>torrentlab import</c> into a serve list; the server started on it.</summary>
[Trait("Category", "Interop")]
[Trait("Tier", "Slow")]
public class ClientImportInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int PieceLength = 32 * 1024;

    /// <summary>The four torrents, their data in <c>downloads/old</c> as each daemon found it.</summary>
    private sealed class Scenario : IDisposable
    {
        public TempFolder Temp { get; } = new("torrentlab-import");
        public TestTorrents.Built Finished { get; } = TestTorrents.SingleFile(600_000, PieceLength, "finished.bin", announce: null, seed: 11);
        public TestTorrents.Built Paused { get; } = TestTorrents.SingleFile(300_000, PieceLength, "paused.bin", announce: null, seed: 12);
        // a.bin there (8 whole pieces), b.bin missing and wanted, c.bin missing and deselected.
        public TestTorrents.Built Partial { get; } = TestTorrents.MultiFile([("a.bin", 8 * PieceLength), ("b.bin", 8 * PieceLength), ("c.bin", 4 * PieceLength)],
            PieceLength, "partial", announce: null, seed: 13);
        public TestTorrents.Built Wrong { get; } = TestTorrents.SingleFile(200_000, PieceLength, "wrong.bin", announce: null, seed: 14);

        public Scenario()
        {
            foreach (var built in All) built.WritePayload(Old);
            File.Delete(Path.Combine(Old, "partial", "b.bin"));
            File.Delete(Path.Combine(Old, "partial", "c.bin"));
        }

        public TestTorrents.Built[] All => [Finished, Paused, Partial, Wrong];
        public string Downloads => Temp.Combine("downloads");
        public string Old => Path.Combine(Downloads, "old");
        public string TorrentFile(TestTorrents.Built built) => built.WriteTorrent(Temp.Path, built.Torrent.Name + ".torrent");

        /// <summary>Cuts wrong.bin short, as a user's copy gone wrong after the old client stopped.</summary>
        public void CutWrongShort()
        {
            using var file = File.OpenWrite(Path.Combine(Old, "wrong.bin"));
            file.SetLength(100_000); // 3 whole pieces of 32 KiB left
        }

        public void Dispose() => Temp.Dispose();
    }

    [Fact]
    public async Task QBittorrent45Profile_ImportedIntoServe_KeepsEveryTorrentAsItWas()
    {
        var exe = Interop.RequireExecutable("/usr/bin/qbittorrent-nox");
        var python = Interop.RequireLibtorrentPython();
        using var s = new Scenario();
        string backup;
        using (var qb = await QBittorrentNox.StartAsync(exe, s.Temp.Path, Ct))
        {
            foreach (var built in s.All) await qb.AddAsync(s.TorrentFile(built), s.Old, Ct);
            var partial = s.Partial.Torrent.InfoHash.Hex;
            await PostAsync(qb.Api, "torrents/filePrio", ("hash", partial), ("id", "2"), ("priority", "0"));
            await PostAsync(qb.Api, "torrents/setDownloadLimit", ("hashes", partial), ("limit", "500000"));
            await Wait.UntilAsync(async () => (await qb.StateAsync(s.Paused.Torrent.InfoHash.Hex, Ct))?.Progress == 1, TimeSpan.FromSeconds(30), Ct);
            await PostAsync(qb.Api, "torrents/pause", ("hashes", s.Paused.Torrent.InfoHash.Hex));
            await Wait.UntilAsync(async () =>
                (await qb.StateAsync(s.Finished.Torrent.InfoHash.Hex, Ct))?.Progress == 1 && (await qb.StateAsync(s.Wrong.Torrent.InfoHash.Hex, Ct))?.Progress == 1
                && (await qb.StateAsync(partial, Ct))?.Progress > 0 && (await qb.StateAsync(s.Paused.Torrent.InfoHash.Hex, Ct))?.State == "pausedUP",
                TimeSpan.FromSeconds(30), Ct);
            await qb.ShutdownAsync(Ct);
            backup = Path.Combine(s.Temp.Path, "qbittorrent-profile", "qBittorrent", "data", "BT_backup");
        }

        await ImportAndServeAsync(s, "qbittorrent", backup, python);
    }

    [Fact]
    public async Task Transmission300Config_ImportedIntoServe_KeepsEveryTorrentAsItWas()
    {
        var daemon = Interop.RequireExecutable("/usr/bin/transmission-daemon");
        var remote = Interop.RequireExecutable("/usr/bin/transmission-remote");
        var python = Interop.RequireLibtorrentPython();
        using var s = new Scenario();
        var config = s.Temp.Combine("transmission");
        Directory.CreateDirectory(config);
        var (rpcPort, peerPort) = (ProcessRunner.FreeTcpPort(), ProcessRunner.FreeTcpAndUdpPort());
        File.WriteAllText(Path.Combine(config, "settings.json"), $$"""
            {"bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "dht-enabled": false, "lpd-enabled": false, "pex-enabled": false,
             "utp-enabled": false, "port-forwarding-enabled": false, "peer-port": {{peerPort}}, "encryption": 0, "rpc-enabled": true,
             "rpc-bind-address": "127.0.0.1", "rpc-port": {{rpcPort}}, "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
             "download-dir": "{{s.Old}}"}
            """);
        using var process = ProcessRunner.Start(daemon, ["-f", "-g", config]);
        try
        {
            var address = $"127.0.0.1:{rpcPort}";
            ProcessRunner.Result Remote(params string[] args) => ProcessRunner.Run(remote, [address, .. args], TimeSpan.FromSeconds(20));
            await Wait.UntilAsync(() => Task.FromResult(Remote("-l").ExitCode == 0), TimeSpan.FromSeconds(30), Ct);
            foreach (var built in s.All) Assert.Equal(0, Remote("-a", s.TorrentFile(built), "-w", s.Old).ExitCode);
            // Ids follow the adds: 1 finished, 2 paused, 3 partial, 4 wrong.
            Remote("-t3", "-G", "2");
            Remote("-t3", "-d", "500");
            Remote("-t1", "-L", "movies,hd");
            await Wait.UntilAsync(() => Task.FromResult(Remote("-t2", "-i").Stdout.Contains("Percent Done: 100%", StringComparison.Ordinal)
                && Remote("-t4", "-i").Stdout.Contains("Percent Done: 100%", StringComparison.Ordinal)
                && Remote("-t1", "-i").Stdout.Contains("Percent Done: 100%", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct);
            Remote("-t2", "-S");
            await Wait.UntilAsync(() => Task.FromResult(Remote("-t2", "-i").Stdout.Contains("State: Stopped", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct);
        }
        finally
        {
            ProcessRunner.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }

        await ImportAndServeAsync(s, "transmission", config, python);
    }

    private async Task ImportAndServeAsync(Scenario s, string client, string stateFolder, string python)
    {
        s.CutWrongShort();

        var run = await CliRunner.RunAsync(["import", client, stateFolder, "--downloads", s.Downloads], TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == CliRunner.Codes.Ok, run.Stdout + run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Line(string name) => Assert.Single(lines, l => l.StartsWith(name + ":", StringComparison.Ordinal));
        Assert.EndsWith("started, seeds when complete; complete, not hashed", Line("finished.bin"));
        Assert.EndsWith("paused, seeds when complete; complete, not hashed", Line("paused.bin"));
        Assert.Contains("2 of 3 files", Line("partial"));
        Assert.Contains("download limit 500000 B/s", Line("partial"));
        Assert.EndsWith("partial: resumes at 50 %", Line("partial")); // a.bin's 8 of the 16 wanted pieces
        Assert.EndsWith("files missing or sized wrong: will be checked", Line("wrong.bin"));
        Assert.Equal("imported 4 of 4 torrent(s), 1 to be checked", lines[^1]);
        if (client == "transmission") Assert.Contains("category movies, tags hd", Line("finished.bin"));

        var options = WebTestServer.Options(s.Downloads) with
        {
            MaxPeers = 50,
            ConfigureSession = s2 => WebTestServer.Options(s.Downloads).ConfigureSession!(s2) with { Dht = false, PeerScope = TorrentLab.Tracker.PeerScope.Loopback },
        };
        await using var server = await WebServer.StartAsync(options, Ct);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        async Task<TorrentSummary> Row(TestTorrents.Built built) =>
            (await http.GetFromJsonAsync<TorrentSummary[]>("/api/torrents", Ct))!.Single(t => t.InfoHash == built.Torrent.InfoHash.Hex);

        // At once, before anything could hash: the finished and the paused one whole, the partial one where it stopped.
        var finished = await Row(s.Finished);
        var paused = await Row(s.Paused);
        var partial = await Row(s.Partial);
        Assert.Equal(s.Finished.Torrent.PieceCount, finished.PiecesDone);
        Assert.Equal(s.Paused.Torrent.PieceCount, paused.PiecesDone);
        Assert.Equal("pausedUP", await QbStateAsync(http, s.Paused)); // complete and stopped (the page says "completed")
        Assert.Equal(8, partial.PiecesDone);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(finished.AddedAt.ToUnixTimeSeconds()), finished.AddedAt); // the old client's date, whole seconds

        // The wrong one was checked when it started: the 3 whole pieces left verify, the rest are wanted again.
        await Wait.UntilAsync(async () => (await Row(s.Wrong)).PiecesDone == 3, TimeSpan.FromSeconds(30), "the cut one's check never kept its 3 whole pieces", Ct);

        // The finished one seeds to a libtorrent peer.
        var leecher = await LeechAsync(python, s, s.Finished, server.PeerPort);
        Assert.True(leecher.ExitCode == 0 && leecher.Stdout.Contains("done", StringComparison.Ordinal), leecher.Stdout + leecher.Stderr);
        // Its log says no piece was hashed: its start trusted the ledger the import wrote.
        var pieces = s.Finished.Torrent.PieceCount;
        var log = (await http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{s.Finished.Torrent.InfoHash.Hex}", Ct))!.Log;
        Assert.Contains(log, l => l.EndsWith($"resume ledger trusted: {pieces} of {pieces} pieces", StringComparison.Ordinal));

        // The partial one fetches b.bin from a libtorrent seed, never c.bin.
        var seedFolder = s.Temp.Combine("seed");
        s.Partial.WritePayload(seedFolder);
        using var seeder = await LibtorrentSeeder.StartAsync(python, s.TorrentFile(s.Partial), seedFolder, s.Temp.Path, Ct);
        using (var given = await http.PostAsJsonAsync($"/api/torrents/{s.Partial.Torrent.InfoHash.Hex}/peers", new { address = $"127.0.0.1:{seeder.Port}" }, Ct))
            Assert.True(given.IsSuccessStatusCode);
        await Wait.UntilAsync(async () => (await Row(s.Partial)).PiecesDone >= 16, TimeSpan.FromSeconds(60), "the partial one never fetched the rest", Ct);
        Assert.Equal(s.Partial.Files[1].Data, await File.ReadAllBytesAsync(Path.Combine(s.Old, "partial", "b.bin"), Ct));
        Assert.Equal("pausedUP", await QbStateAsync(http, s.Paused)); // still
        Assert.NotEqual("pausedUP", await QbStateAsync(http, s.Finished));
    }

    private static async Task<ProcessRunner.Result> LeechAsync(string python, Scenario s, TestTorrents.Built built, int port)
    {
        var script = s.Temp.Combine("leecher.py");
        await File.WriteAllTextAsync(script, LibtorrentScript.Prelude + """
            ses = loopback_session(int(sys.argv[3]))
            h, ti = add_torrent(ses, sys.argv[1], sys.argv[2])
            h.connect_peer(('127.0.0.1', int(sys.argv[4])))
            end = time.time() + 45
            while time.time() < end and not h.status().is_seeding:
                time.sleep(0.1)
            print('done' if h.status().is_seeding and on_disk(ses, h) else 'stuck at %d pieces' % h.status().num_pieces)
            """, Ct);
        var folder = s.Temp.Combine("leech");
        Directory.CreateDirectory(folder);
        return await ProcessRunner.RunAsync(python, [script, s.TorrentFile(built), folder, ProcessRunner.FreeTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            port.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(60));
    }

    /// <summary>The torrent's state as serve's qBittorrent API names it (it tells a stopped complete torrent, pausedUP, from a running one).</summary>
    private static async Task<string> QbStateAsync(HttpClient http, TestTorrents.Built built)
    {
        var rows = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v2/torrents/info?hashes={built.Torrent.InfoHash.Hex}", Ct);
        return rows[0].GetProperty("state").GetString()!;
    }

    private static async Task PostAsync(HttpClient api, string route, params (string Key, string Value)[] fields)
    {
        using var answer = await api.PostAsync(route, new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Key, f.Value))), Ct);
        Assert.True(answer.IsSuccessStatusCode, $"{route}: {(int)answer.StatusCode}");
    }
}
