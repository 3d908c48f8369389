using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 21 (partial seeds) against python3-libtorrent on loopback: libtorrent acts on our partial seed's
/// <c>upload_only</c>, and a libtorrent partial seed's <c>event=paused</c> announce is accepted by our tracker.</summary>
[Trait("Tier", "Slow")]
public class PartialSeedInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Files end on piece boundaries, so the first file's pieces are whole: a partial seed of it holds them all.
    private static readonly TestTorrents.Built Built = TestTorrents.MultiFile(
        [("first.bin", 6 * 16384), ("second.bin", 5 * 16384)], name: "partial", announce: null, pieceLength: 16 * 1024, seed: 21);

    private const string Script = """
        import sys, time
        import libtorrent as lt
        mode, torrent, save_path, port, arg = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
        s = lt.session({
            'listen_interfaces': '127.0.0.1:%d' % port,
            'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False,
            'allow_multiple_connections_per_ip': True, 'announce_to_all_trackers': True,
            'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                | lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification,
        }, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
        if mode == 'partial':                       # holds the first file only, wants nothing else: a partial seed
            atp.file_priorities = [4, 0]
            atp.trackers = [arg]
        h = s.add_torrent(atp)
        deadline = time.time() + 20
        if mode == 'watch':                         # wants everything; dials our partial seed at 127.0.0.1:arg
            asked, dropped, seen = 0, False, []
            while time.time() < deadline:
                have = sum(1 for b in h.status().pieces if b)
                for a in s.pop_alerts():
                    seen.append(a.message())
                    dropped = dropped or (isinstance(a, lt.peer_disconnected_alert) and 'upload-only' in a.message())
                if have == 6 and dropped:           # all it could get from us, then we are an upload-only peer it needs no more
                    print('pieces=%d dropped as upload-only' % have, flush=True)
                    sys.exit(0)
                if have < 6 and not h.get_peer_info() and time.time() - asked > 1:
                    h.connect_peer(('127.0.0.1', int(arg)))
                    asked = time.time()
                time.sleep(0.05)
            print('not seen: pieces=%d; %s' % (sum(1 for b in h.status().pieces if b), seen[-12:]), flush=True)
            sys.exit(1)
        while time.time() < deadline and not h.status().is_finished:
            time.sleep(0.05)
        h.force_reannounce()                        # a regular announce, now as a partial seed
        print('finished %s' % h.status().is_finished, flush=True)
        sys.stdin.read()
        """;

    /// <summary>The first file only, in <c>data/partial/</c>; the .torrent and the libtorrent script beside it.</summary>
    private static async Task<(string Data, string TorrentPath)> PartialDataAsync(TempFolder temp)
    {
        var data = temp.Combine("data");
        Directory.CreateDirectory(Path.Combine(data, "partial"));
        await File.WriteAllBytesAsync(Path.Combine(data, "partial", "first.bin"), Built.Files[0].Data, Ct);
        await File.WriteAllTextAsync(temp.Combine("lt.py"), Script, Ct);
        return (data, Built.WriteTorrent(temp.Path));
    }

    [Fact]
    public async Task OurPartialSeed_SaysUploadOnly_AndLibtorrentDropsUsOnceItHasOurPieces()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-bep21");
        var (data, torrentPath) = await PartialDataAsync(temp);
        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
        });
        await using var seeder = await Seeder.StartAsync(session, Built.Torrent, new DownloadOptions { OutputDirectory = data }, allowPartial: true, Ct);

        Assert.Equal(6, seeder.PiecesAvailable);   // the first file's pieces

        var watch = ProcessRunner.Run(python, [temp.Combine("lt.py"), "watch", torrentPath, temp.Combine("lt"), ProcessRunner.FreeTcpPort().ToString(),
            session.Port.ToString()], TimeSpan.FromSeconds(30));

        Assert.True(watch.ExitCode == 0, watch.Stdout + watch.Stderr);
        // libtorrent took the first file's six pieces, then closed the connection because we said upload_only: a peer
        // that has nothing more it wants and wants nothing itself (BEP 21; without upload_only it stays connected).
        Assert.Equal("pieces=6 dropped as upload-only", watch.Stdout.Trim());
    }

    [Fact]
    public async Task LibtorrentPartialSeed_AnnouncesPaused_AndOurTrackerAcceptsIt()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-bep21");
        var (data, torrentPath) = await PartialDataAsync(temp);
        var lines = new ConcurrentQueue<string>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Log = lines.Enqueue }, Ct);

        var partial = ProcessRunner.Start(python, [temp.Combine("lt.py"), "partial", torrentPath, data, ProcessRunner.FreeTcpPort().ToString(),
            tracker.HttpAnnounceUrl]);
        try
        {
            var finished = await partial.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(25), Ct);
            Assert.Equal("finished True", finished);
            await Wait.UntilAsync(() => lines.Any(l => l.Contains("event=paused", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct);
            // BEP 21's scrape: one incomplete peer, no downloader (it is a partial seed).
            using var client = new TorrentLab.Tracker.TrackerClient([[tracker.HttpAnnounceUrl]]);
            Assert.Equal(new TorrentLab.Tracker.ScrapeResult(Seeders: 0, Leechers: 1, Completed: 0, Downloaders: 0),
                await client.ScrapeAsync(Built.Torrent.InfoHash, Ct));
        }
        finally
        {
            ProcessRunner.Stop(partial);
            partial.Dispose();
        }

        Assert.Contains(lines, l => l.Contains("event=paused", StringComparison.Ordinal));
        var paused = lines.First(l => l.Contains("event=paused", StringComparison.Ordinal));
        Assert.Contains($"left={Built.Files[1].Data.Length}", paused);   // what it lacks: the skipped file
        Assert.DoesNotContain(lines, l => l.Contains("failure", StringComparison.OrdinalIgnoreCase));
    }
}
