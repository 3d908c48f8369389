using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The session's idle timeout (<c>Downloads/SessionSettings.cs</c>, applied by <c>Wire/PeerConnection.Timer.cs</c>)
/// against python3-libtorrent leechers that we keep choked: they have nothing to say, and libtorrent sends a keep-alive
/// only after 60 s of silence. Our seed must keep them.</summary>
[Trait("Tier", "Slow")]
public class IdleTimeoutInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int Leechers = 8;

    // Eight libtorrent sessions in one process, each a leecher that knows only our seed (no DHT, LSD, PEX or tracker)
    // and dials it again if the connection ends. It prints "ready" once all are connected, then runs until stdin closes.
    private const string Script = LibtorrentScript.Prelude + """
        import threading
        torrent, save_root, seed_port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        ports = [int(p) for p in sys.argv[5].split(',')]
        leechers = []
        for i in range(count):
            ses = loopback_session(ports[i])
            h, ti = add_torrent(ses, torrent, '%s/%d' % (save_root, i))
            leechers.append((ses, h))
        done = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
        told = False
        while not done.is_set():
            connected = 0
            for ses, h in leechers:
                if any(p.ip[1] == seed_port for p in h.get_peer_info()): connected += 1
                else: h.connect_peer(('127.0.0.1', seed_port))
            if connected == count and not told:
                print('ready', flush=True)
                told = True
            done.wait(0.5)
        """;

    [Fact]
    public async Task OurSeed_KeepsChokedSilentLibtorrentLeechers_PastTheirSixtySecondKeepAlive_WithTheDefaultIdleTimeout()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-idle");
        var built = TestTorrents.SingleFile(length: 16 << 20, pieceLength: 256 * 1024, announce: null, seed: 180);
        built.WritePayload(temp.Combine("seed"));
        var torrentPath = built.WriteTorrent(temp.Path);
        var log = new ConcurrentQueue<string>();
        var keepAlives = new ConcurrentDictionary<IPEndPoint, int>();
        // The session's defaults but for loopback: its idle timeout is the one under test. One upload slot (and the
        // optimistic one) under a cap the two unchoked leechers fill: the other six wait, choked and silent.
        await using var seeder = await Seeder.StartAsync(built.Torrent, new DownloadOptions
        {
            OutputDirectory = temp.Combine("seed"), ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false,
            Transport = PeerTransport.Tcp, Encryption = EncryptionPolicy.Off, Trackers = [],
            UploadSlots = 1, UploadLimit = new RateLimit(64 * 1024),
            Log = log.Enqueue,
            Trace = e => { if (e.Direction == WireDirection.Received && e.Kind == MessageKind.KeepAlive) keepAlives.AddOrUpdate(e.Peer, 1, (_, n) => n + 1); },
        }, ct: Ct);
        Assert.Equal(TimeSpan.FromMinutes(3), new SessionSettings().IdleTimeout);
        await File.WriteAllTextAsync(temp.Combine("leechers.py"), Script, Ct);
        var ports = string.Join(",", Enumerable.Range(0, Leechers).Select(_ => ProcessRunner.FreeTcpPort()));
        using var process = ProcessRunner.Start(python, [temp.Combine("leechers.py"), torrentPath, temp.Combine("lt"),
            seeder.Port.ToString(), Leechers.ToString(), ports]);
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.True(ready == "ready", $"the leechers never all connected: {ready} {string.Join("\n", log.TakeLast(10))}");
            var started = Stopwatch.StartNew();

            // A leecher's keep-alive means it sent nothing else for 60 s: twice the 30 s that dropped such peers before.
            // Wait until most of them have sent one (or until an idle drop shows the test failed), never a fixed time.
            Assert.True(await CountingTimeProvider.EventuallyAsync(
                () => keepAlives.Count >= Leechers / 2 || log.Any(IdleDrop), TimeSpan.FromSeconds(150)),
                $"only {keepAlives.Count} leechers sent a keep-alive in {started.Elapsed.TotalSeconds:0} s");

            Assert.DoesNotContain(log, IdleDrop);
            Assert.True(seeder.ConnectedPeers >= Leechers, $"{seeder.ConnectedPeers} peers connected: {string.Join("\n", log.TakeLast(10))}");
        }
        finally
        {
            ProcessRunner.Stop(process);
        }
    }

    private static bool IdleDrop(string line) => line.Contains("idle timeout", StringComparison.Ordinal);
}
