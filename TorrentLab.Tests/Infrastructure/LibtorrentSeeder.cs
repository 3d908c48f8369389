using System.Diagnostics;
namespace TorrentLab.Tests.Infrastructure;

/// <summary>A python3-libtorrent seeder on 127.0.0.1 that announces to the torrent's tracker (DHT, LSD, UPnP, PEX off).</summary>
/// <remarks>Ready once it is seeding and, when the torrent names a tracker, that tracker answered; stopped by its own
/// process id on dispose. Each start uses a new listen port (libtorrent remembers peers per port).</remarks>
public sealed class LibtorrentSeeder : IDisposable
{
    private const string Script = LibtorrentScript.Prelude + """
        import json
        torrent, save_path, port, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        extra = {
            'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.tracker_notification | lt.alert.category_t.error_notification,
        }
        extra.update(json.loads(sys.argv[5]))
        plugins = extra.pop('_extensions', [])               # say ["ut_metadata"]: BEP 9 for magnet links
        seed_mode = extra.pop('_seed_mode', False)           # trust the data: each piece is hashed when first sent
        preset = {} if extra.pop('_defaults', False) else lt.high_performance_seed()
        ses = loopback_session(port, preset, extra)
        for plugin in plugins: ses.add_extension(plugin)
        h, ti = add_torrent(ses, torrent, save_path, lt.torrent_flags.seed_mode if seed_mode else 0)
        if limit > 0: h.set_upload_limit(limit)  # per torrent: session limits exempt loopback peers
        replied = len(list(ti.trackers())) == 0
        deadline = time.time() + 15
        while time.time() < deadline:
            ses.wait_for_alert(200)
            for a in ses.pop_alerts():
                if isinstance(a, lt.tracker_reply_alert):
                    replied = True
                elif isinstance(a, lt.tracker_error_alert):
                    print('tracker error: %s' % a.message(), flush=True)
            if replied and h.status().state == lt.torrent_status.seeding:
                print('ready', flush=True)
                # Seeds until the test closes stdin or kills it; a line "dial PORT" connects to 127.0.0.1:PORT (a
                # client that ignores loopback peers from trackers, as Transmission does, must be dialled).
                for line in sys.stdin:
                    if line.startswith('dial '): h.connect_peer(('127.0.0.1', int(line.split()[1])))
                sys.exit(0)
        print('not ready: state=%s replied=%s' % (h.status().state, replied), flush=True)
        sys.exit(1)
        """;

    /// <summary>Settings that add the ut_metadata plugin (BEP 9), so magnet links can fetch the metadata from it.</summary>
    public const string UtMetadata = """{"_extensions": ["ut_metadata"]}""";

    /// <summary>Settings that start from libtorrent's defaults instead of its <c>high_performance_seed</c> preset: a seed
    /// as users run it.</summary>
    public const string Defaults = """{"_defaults": true}""";

    /// <summary>Settings that add the torrent in libtorrent's seed mode: the data is trusted at once and each piece is
    /// hashed when it is first sent, so a large payload is ready without the whole-file check that would not fit the
    /// start's deadline (a 200 MiB file on a loaded machine).</summary>
    public const string SeedMode = """{"_seed_mode": true}""";

    private readonly Process _process;

    private LibtorrentSeeder(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The TCP port the seeder listens on (and announced).</summary>
    public int Port { get; }

    /// <summary>Starts the seeder over a torrent whose payload is already in <paramref name="savePath"/>; waits until ready.</summary>
    /// <param name="uploadLimit">Bytes per second it uploads at most; 0 for no limit.</param>
    /// <param name="settings">Session settings (JSON) over the loopback defaults, say <see cref="LibtorrentScript.ForcedRc4"/>;
    /// the key <c>_extensions</c> lists plugins to add (<see cref="UtMetadata"/>).</param>
    /// <param name="ipv6">Listen on [::1] only instead of 127.0.0.1.</param>
    public static async Task<LibtorrentSeeder> StartAsync(string python, string torrentPath, string savePath, string scriptFolder,
        CancellationToken ct, int uploadLimit = 0, string settings = "{}", bool ipv6 = false)
    {
        var script = Path.Combine(scriptFolder, "seeder.py");
        await File.WriteAllTextAsync(script, Script, ct);
        var port = ProcessRunner.FreeTcpPort();
        if (ipv6) settings = LibtorrentScript.ListenOnIPv6(settings, port); // [::1] only: found through peers6
        var process = ProcessRunner.Start(python, [script, torrentPath, savePath, port.ToString(), uploadLimit.ToString(), settings]);
        var seeder = new LibtorrentSeeder(process, port);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(18), ct);
            if (line != "ready")
                Assert.Fail($"the libtorrent seeder did not get ready: {line} {await process.StandardError.ReadToEndAsync(ct)}");
            return seeder;
        }
        catch
        {
            seeder.Dispose();
            throw;
        }
    }

    /// <summary>Has the seeder connect to 127.0.0.1:<paramref name="port"/>.</summary>
    public void Dial(int port)
    {
        _process.StandardInput.WriteLine($"dial {port}");
        _process.StandardInput.Flush();
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
