using System.Diagnostics;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A python3-libtorrent peer on 127.0.0.1 that speaks only uTP (TCP off in both directions): a seeder that
/// waits to be dialled, or a downloader that dials a given port.</summary>
/// <remarks>Stopped by its own process id on dispose. DHT, LSD, UPnP, NAT-PMP, PEX and encryption are off.</remarks>
public sealed class LibtorrentUtpPeer : IDisposable
{
    private const string Script = LibtorrentScript.Prelude + """
        mode, torrent, save_path, port, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        ses = loopback_session(port, lt.high_performance_seed() if mode == 'seed' else None, {
            'enable_incoming_tcp': False, 'enable_outgoing_tcp': False,
            'enable_incoming_utp': True, 'enable_outgoing_utp': True,
        })
        h, ti = add_torrent(ses, torrent, save_path)
        deadline = time.time() + (15 if mode == 'seed' else 90)
        last_dial = 0
        saw_utp = 0   # a finished download drops its connections to seeds, so the transport is noted while they last
        UTP_SOCKET = 1 << 17   # peer_info::utp_socket, which the binding does not export (holepunched is 1<<15, rc4_encrypted 1<<19)
        while time.time() < deadline:
            s = h.status()
            if mode == 'seed' and s.state == lt.torrent_status.seeding:
                print('ready', flush=True)
                sys.stdin.read()
                sys.exit(0)
            if mode == 'download':
                if any(int(p.flags) & UTP_SOCKET for p in h.get_peer_info()):
                    saw_utp = 1
                if s.is_seeding:
                    print('finished over_utp=%d' % saw_utp, flush=True)
                    sys.exit(0)
                if s.num_peers == 0 and time.time() - last_dial > 2:
                    h.connect_peer(('127.0.0.1', target))
                    last_dial = time.time()
            time.sleep(0.05)
        print('timed out: state=%s progress=%.3f peers=%d' % (s.state, s.progress, s.num_peers), flush=True)
        sys.exit(1)
        """;

    private readonly Process _process;

    private LibtorrentUtpPeer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The port libtorrent listens on (uTP over UDP).</summary>
    public int Port { get; }

    /// <summary>Starts a uTP-only seeder over data already in <paramref name="savePath"/>; returns once it is seeding.</summary>
    public static async Task<LibtorrentUtpPeer> StartSeederAsync(string python, string torrentPath, string savePath,
        string scriptFolder, CancellationToken ct)
    {
        var peer = Start(python, "seed", torrentPath, savePath, scriptFolder, 0);
        try
        {
            var line = await peer.ReadLineAsync(TimeSpan.FromSeconds(20), ct);
            if (line != "ready") Assert.Fail($"the libtorrent uTP seeder did not get ready: {line} {await peer._process.StandardError.ReadToEndAsync(ct)}");
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Starts a uTP-only downloader into the empty <paramref name="savePath"/> that dials 127.0.0.1:<paramref name="target"/>.</summary>
    public static LibtorrentUtpPeer StartDownloader(string python, string torrentPath, string savePath, string scriptFolder, int target) =>
        Start(python, "download", torrentPath, savePath, scriptFolder, target);

    /// <summary>The next line the script prints (null at its end).</summary>
    public async Task<string?> ReadLineAsync(TimeSpan timeout, CancellationToken ct) =>
        await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(timeout, ct);

    /// <summary>Waits until the script's process has ended (true) or <paramref name="limit"/> passed (false). The
    /// downloader exits right after it prints "finished"; libtorrent may still hold blocks of passed pieces in its
    /// store buffer then, and its session writes them out as the interpreter tears it down, so the files are whole only
    /// once the process has ended.</summary>
    public Task<bool> ExitedAsync(TimeSpan limit, CancellationToken ct) => Wait.ForAsync(_process.WaitForExitAsync(ct), limit, ct);

    /// <summary>What the script wrote to stderr, once it has exited (for failure messages).</summary>
    public string Errors() => _process.HasExited ? _process.StandardError.ReadToEnd() : "(still running)";

    private static LibtorrentUtpPeer Start(string python, string mode, string torrentPath, string savePath, string scriptFolder, int target)
    {
        var script = Path.Combine(scriptFolder, $"utp-{mode}.py");
        File.WriteAllText(script, Script);
        Directory.CreateDirectory(savePath);
        var port = ProcessRunner.FreeTcpAndUdpPort();
        var process = ProcessRunner.Start(python, [script, mode, torrentPath, savePath, port.ToString(), target.ToString()]);
        return new LibtorrentUtpPeer(process, port);
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
