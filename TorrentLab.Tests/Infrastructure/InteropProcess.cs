using System.Diagnostics;
using System.Text.Json;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Real clients on 127.0.0.1 for the swarm interop tests (see /work/shared/INTEROP.md for their traps).
/// Every one is a process stopped by its own id on dispose; DHT, LSD, PEX, UPnP and NAT-PMP are off in all.</summary>
internal sealed class InteropProcess : IDisposable
{
    internal InteropProcess(string name, Process process, int port)
    {
        Name = name;
        Process = process;
        Port = port;
    }

    public string Name { get; }
    public Process Process { get; }
    public int Port { get; }

    /// <summary>aria2c seeding the data in <paramref name="dataFolder"/> (checked first) until stopped, uploading at
    /// most <paramref name="uploadLimit"/> bytes per second.</summary>
    public static InteropProcess Aria2Seeder(string exe, string torrent, string dataFolder, int uploadLimit)
    {
        var port = ProcessRunner.FreeTcpPort();
        var process = ProcessRunner.Start(exe, [.. Aria2Args(torrent, dataFolder, port), "--check-integrity=true", "--seed-ratio=0.0",
            $"--max-upload-limit={uploadLimit}"]);
        return new InteropProcess("aria2", process, port);
    }

    /// <summary>aria2c downloading into <paramref name="dataFolder"/>; it exits when done (--seed-time=0), or with an error
    /// once nothing arrived for 30 s (--bt-stop-timeout).</summary>
    public static InteropProcess Aria2Downloader(string exe, string torrent, string dataFolder)
    {
        var port = ProcessRunner.FreeTcpPort();
        var process = ProcessRunner.Start(exe, [.. Aria2Args(torrent, dataFolder, port), "--seed-time=0", "--bt-stop-timeout=30"]);
        return new InteropProcess("aria2", process, port);
    }

    private static string[] Aria2Args(string torrent, string dir, int port) =>
    [
        "--no-conf", $"--dir={dir}", "-T", torrent, "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
        "--enable-peer-exchange=false", $"--listen-port={port}", "--interface=127.0.0.1", "--disable-ipv6=true",
        "--file-allocation=none", "--console-log-level=warn", "--summary-interval=0", "--show-console-readout=false",
        "--bt-tracker-connect-timeout=5", "--bt-tracker-timeout=5",
    ];

    /// <summary>Transmission seeding <paramref name="dataFolder"/>. It ignores 127.x peers from trackers, so the
    /// downloader must dial it (at <see cref="Port"/>).</summary>
    public static InteropProcess TransmissionSeeder(string exe, string torrent, string dataFolder, string configFolder) =>
        Transmission(exe, torrent, dataFolder, configFolder, exitWhenComplete: false);

    /// <summary>transmission-cli downloading into <paramref name="dataFolder"/>; it exits once complete (a ratio limit of
    /// 0). It ignores loopback peers from a tracker: a seeder must dial it at <see cref="Port"/>.</summary>
    public static InteropProcess TransmissionDownloader(string exe, string torrent, string dataFolder, string configFolder) =>
        Transmission(exe, torrent, dataFolder, configFolder, exitWhenComplete: true);

    private static InteropProcess Transmission(string exe, string torrent, string dataFolder, string configFolder, bool exitWhenComplete)
    {
        var port = ProcessRunner.FreeTcpPort();
        Directory.CreateDirectory(configFolder);
        var settings = new Dictionary<string, object>
        {
            ["bind-address-ipv4"] = "127.0.0.1", ["bind-address-ipv6"] = "::1", ["dht-enabled"] = false, ["lpd-enabled"] = false,
            ["pex-enabled"] = false, ["utp-enabled"] = false, ["port-forwarding-enabled"] = false, ["peer-port"] = port,
            ["encryption"] = 0, ["rpc-enabled"] = false, ["ratio-limit-enabled"] = exitWhenComplete, ["speed-limit-up-enabled"] = false,
        };
        if (exitWhenComplete) settings["ratio-limit"] = 0;
        File.WriteAllText(Path.Combine(configFolder, "settings.json"), JsonSerializer.Serialize(settings));
        var process = ProcessRunner.Start(exe, ["-g", configFolder, "-w", dataFolder, torrent]);
        return new InteropProcess("transmission", process, port);
    }

    /// <summary>A python3-libtorrent downloader; prints "done" and exits once the torrent is complete.</summary>
    /// <param name="settings">Session settings (JSON) over the loopback defaults; the key <c>_dial</c> names a port on
    /// 127.0.0.1 it connects to (a torrent without a tracker: the only peer it knows); <c>"_go": true</c> makes it print
    /// "ready" once its session and torrent are set up and wait for a line on its input before it dials (a test that
    /// times the transfer, not a Python process starting: <see cref="ReadyAsync"/>, <see cref="Go"/>).</param>
    public static InteropProcess LibtorrentDownloader(string python, string torrent, string dataFolder, string scriptFolder, string settings = "{}",
        bool ipv6 = false)
    {
        var port = ProcessRunner.FreeTcpPort();
        if (ipv6) settings = LibtorrentScript.ListenOnIPv6(settings, port);
        var script = Path.Combine(scriptFolder, "lt_download.py");
        File.WriteAllText(script, LibtorrentDownloadScript);
        var process = ProcessRunner.Start(python, [script, torrent, dataFolder, port.ToString(), settings]);
        return new InteropProcess("libtorrent", process, port);
    }

    private const string LibtorrentDownloadScript = LibtorrentScript.Prelude + """
        import json
        torrent, save_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        extra = json.loads(sys.argv[4])
        dial = extra.pop('_dial', 0)                         # say {"_dial": PORT}: told of that peer alone, as a user would
        go = extra.pop('_go', False)                         # say {"_go": true}: "ready" once set up, dial on a line read
        ses = loopback_session(port, None, extra)
        h, _ = add_torrent(ses, torrent, save_path)
        if go:
            print('ready', flush=True)
            sys.stdin.readline()
        if dial: h.connect_peer(('127.0.0.1', dial))
        # Fails when no new byte arrived for STALL seconds (from the start: the first announce and connection count),
        # not after a total time: on a loaded machine a healthy download takes longer, a stuck one still ends here.
        STALL, GUARD = 30, 240
        # libtorrent's own account of its connections (who connected, who closed and why), printed if the download
        # fails: a failed run on a loaded machine shows why libtorrent gave up on a peer, not only that it got nothing.
        c = lt.alert.category_t
        ses.apply_settings({'alert_mask': int(c.peer_notification | c.error_notification | c.connect_notification)})
        events = []
        start = last_progress = time.time()
        done = -1
        while time.time() < start + GUARD:
            for a in ses.pop_alerts():
                events.append('%.1f s %s: %s' % (time.time() - start, type(a).__name__, a.message()))
            del events[:-40]
            s = h.status()
            if s.is_seeding:
                print('done', flush=True)
                sys.exit(0)
            if s.total_wanted_done > done:
                done, last_progress = s.total_wanted_done, time.time()
            elif time.time() - last_progress > STALL:
                break
            time.sleep(0.02)
        print('timeout: state=%s progress=%.3f peers=%d, no new byte for %.0f s' % (s.state, s.progress, s.num_peers, time.time() - last_progress), flush=True)
        print('libtorrent\'s last events:\n' + '\n'.join(events), flush=True)
        sys.exit(1)
        """;

    /// <summary>How long a test waits for a downloader that ends itself when its download stalls (libtorrent's script:
    /// 30 s without a new byte; aria2: <c>--bt-stop-timeout</c>): a bound on a hung process, not on the download's speed,
    /// which depends on the machine's load.</summary>
    public static readonly TimeSpan DownloaderPatience = TimeSpan.FromMinutes(5);

    /// <summary>Waits for the line "ready" of a downloader started with <c>"_go": true</c>.</summary>
    public async Task ReadyAsync(CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60)); // a bound on a hung process: set-up takes well under a second
        var said = new List<string>();
        while (await Process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            if (line == "ready") return;
            said.Add(line);
        }
        Assert.Fail($"{Name} ended before it was ready: {string.Join(" | ", said)} {await Process.StandardError.ReadToEndAsync(ct)}");
    }

    /// <summary>Tells a ready downloader to dial.</summary>
    public void Go()
    {
        Process.StandardInput.WriteLine("go");
        Process.StandardInput.Flush();
    }

    /// <summary>Waits for the process to exit (killing it after <paramref name="timeout"/>); returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var stdout = Process.StandardOutput.ReadToEndAsync(ct);
        var stderr = Process.StandardError.ReadToEndAsync(ct);
        try
        {
            await Process.WaitForExitAsync(ct).WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            ProcessRunner.Stop(Process);
            return (-1, $"{Name} did not finish within {timeout.TotalSeconds} s: {await stdout} {await stderr}");
        }
        return (Process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        ProcessRunner.Stop(Process);
        Process.Dispose();
    }
}
