using System.Diagnostics;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Real clients on 127.0.0.1 for the swarm interop tests (see /work/shared/INTEROP.md for their traps).
/// Every one is a process stopped by its own id on dispose; DHT, LSD, PEX, UPnP and NAT-PMP are off in all.</summary>
internal sealed class InteropProcess : IDisposable
{
    private InteropProcess(string name, Process process, int port)
    {
        Name = name;
        Process = process;
        Port = port;
    }

    public string Name { get; }
    public Process Process { get; }
    public int Port { get; }

    /// <summary>Opentracker on <paramref name="port"/> (HTTP and UDP), tracking only <paramref name="infoHashHex"/> (Debian builds need a whitelist).</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static InteropProcess OpenTracker(string exe, string folder, int port, string infoHashHex)
    {
        var state = Path.Combine(folder, "opentracker");
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(state, "whitelist.txt"), infoHashHex + "\n");
        // It chroots into -d and reads the whitelist there as 'nobody'.
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(state, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(state, "whitelist.txt"), (UnixFileMode)0b110_100_100);
        var process = ProcessRunner.Start(exe, ["-i", "127.0.0.1", "-p", port.ToString(), "-P", port.ToString(), "-d", state, "-w", "whitelist.txt"]);
        var tracker = new InteropProcess("opentracker", process, port);
        if (!ProcessRunner.WaitForTcp(port, TimeSpan.FromSeconds(5))) { tracker.Dispose(); Assert.Fail("opentracker did not start listening"); }
        return tracker;
    }

    /// <summary>aria2c seeding the data in <paramref name="dataFolder"/> (checked first) until stopped, uploading at
    /// most <paramref name="uploadLimit"/> bytes per second.</summary>
    public static InteropProcess Aria2Seeder(string exe, string torrent, string dataFolder, int uploadLimit)
    {
        var port = ProcessRunner.FreeTcpPort();
        var process = ProcessRunner.Start(exe, [.. Aria2Args(torrent, dataFolder, port), "--check-integrity=true", "--seed-ratio=0.0",
            $"--max-upload-limit={uploadLimit}"]);
        return new InteropProcess("aria2", process, port);
    }

    /// <summary>aria2c downloading into <paramref name="dataFolder"/>; it exits when done (--seed-time=0).</summary>
    public static InteropProcess Aria2Downloader(string exe, string torrent, string dataFolder)
    {
        var port = ProcessRunner.FreeTcpPort();
        var process = ProcessRunner.Start(exe, [.. Aria2Args(torrent, dataFolder, port), "--seed-time=0"]);
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
    public static InteropProcess TransmissionSeeder(string exe, string torrent, string dataFolder, string configFolder)
    {
        var port = ProcessRunner.FreeTcpPort();
        Directory.CreateDirectory(configFolder);
        var settings = new Dictionary<string, object>
        {
            ["bind-address-ipv4"] = "127.0.0.1", ["bind-address-ipv6"] = "::1", ["dht-enabled"] = false, ["lpd-enabled"] = false,
            ["pex-enabled"] = false, ["utp-enabled"] = false, ["port-forwarding-enabled"] = false, ["peer-port"] = port,
            ["encryption"] = 0, ["rpc-enabled"] = false, ["ratio-limit-enabled"] = false, ["speed-limit-up-enabled"] = false,
        };
        File.WriteAllText(Path.Combine(configFolder, "settings.json"), JsonSerializer.Serialize(settings));
        var process = ProcessRunner.Start(exe, ["-g", configFolder, "-w", dataFolder, torrent]);
        return new InteropProcess("transmission", process, port);
    }

    /// <summary>A python3-libtorrent seeder (high_performance_seed) uploading at most <paramref name="uploadLimit"/>
    /// bytes per second, so that a fast download has time to meet the other seeders too; ready once it seeds and a
    /// tracker answered.</summary>
    public static async Task<InteropProcess> LibtorrentSeederAsync(string python, string torrent, string dataFolder, string scriptFolder,
        int uploadLimit, CancellationToken ct)
    {
        var port = ProcessRunner.FreeTcpPort();
        var script = Path.Combine(scriptFolder, "lt_seed.py");
        File.WriteAllText(script, LibtorrentSeedScript);
        var process = new InteropProcess("libtorrent", ProcessRunner.Start(python, [script, torrent, dataFolder, port.ToString(), uploadLimit.ToString()]), port);
        try
        {
            var line = await process.Process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(15), ct);
            if (line != "ready") Assert.Fail($"the libtorrent seeder did not get ready: {line}");
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private const string LibtorrentSeedScript = """
        import sys, time
        import libtorrent as lt
        torrent, save_path, port, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        settings = lt.high_performance_seed()
        settings.update({
            'listen_interfaces': '127.0.0.1:%d' % port,
            'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False,
            'allow_multiple_connections_per_ip': True, 'out_enc_policy': 2, 'in_enc_policy': 2,
            'ssrf_mitigation': False,
            'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.tracker_notification,
        })
        ses = lt.session(settings, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
        h = ses.add_torrent(atp)
        h.set_upload_limit(limit)  # per torrent: session limits exempt loopback peers
        replied = False
        deadline = time.time() + 12
        while time.time() < deadline:
            ses.wait_for_alert(200)
            for a in ses.pop_alerts():
                if isinstance(a, lt.tracker_reply_alert):
                    replied = True
            if replied and h.status().state == lt.torrent_status.seeding:
                print('ready', flush=True)
                sys.stdin.read()
                sys.exit(0)
        print('not ready: state=%s replied=%s' % (h.status().state, replied), flush=True)
        sys.exit(1)
        """;

    /// <summary>A python3-libtorrent downloader; prints "done" and exits once the torrent is complete.</summary>
    public static InteropProcess LibtorrentDownloader(string python, string torrent, string dataFolder, string scriptFolder)
    {
        var port = ProcessRunner.FreeTcpPort();
        var script = Path.Combine(scriptFolder, "lt_download.py");
        File.WriteAllText(script, LibtorrentDownloadScript);
        var process = ProcessRunner.Start(python, [script, torrent, dataFolder, port.ToString()]);
        return new InteropProcess("libtorrent", process, port);
    }

    private const string LibtorrentDownloadScript = """
        import sys, time
        import libtorrent as lt
        torrent, save_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        settings = {
            'listen_interfaces': '127.0.0.1:%d' % port,
            'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False,
            'allow_multiple_connections_per_ip': True, 'out_enc_policy': 2, 'in_enc_policy': 2,
            'ssrf_mitigation': False,
        }
        ses = lt.session(settings, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
        h = ses.add_torrent(atp)
        deadline = time.time() + 25
        while time.time() < deadline:
            s = h.status()
            if s.is_seeding:
                print('done', flush=True)
                sys.exit(0)
            time.sleep(0.1)
        print('timeout: state=%s progress=%.3f peers=%d' % (s.state, s.progress, s.num_peers), flush=True)
        sys.exit(1)
        """;

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
