using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 54 (<c>lt_donthave</c>) against python3-libtorrent on loopback: a piece we cannot read any more is
/// announced lost to the peer that asked for it, which keeps the connection and asks elsewhere.</summary>
[Trait("Tier", "Slow")]
public class DontHaveInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Files end on piece boundaries: the second file's five pieces are its own, the first file's six stay readable.
    private static readonly TestTorrents.Built Built = TestTorrents.MultiFile(
        [("first.bin", 6 * 16384), ("second.bin", 5 * 16384)], name: "lost", announce: null, pieceLength: 16 * 1024, seed: 54);

    // libtorrent dials our seed (again when the connection closed) and wants everything; it succeeds when it holds the
    // first file's six pieces and, while connected to us, its view of our pieces (peer_info.pieces) has shrunk to those.
    private const string Script = """
        import sys, time
        import libtorrent as lt
        torrent, save_path, port, ours = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        s = lt.session({
            'listen_interfaces': '127.0.0.1:%d' % port,
            'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False, 'allow_multiple_connections_per_ip': True,
        }, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
        h = s.add_torrent(atp)
        deadline, asked, have, theirs = time.time() + 20, 0, 0, -1
        while time.time() < deadline:
            have = sum(1 for b in h.status().pieces if b)
            peers = [p for p in h.get_peer_info() if p.ip[1] == ours]
            for p in peers: theirs = sum(1 for b in p.pieces if b)
            if have == 6 and theirs == 6 and peers:
                print('pieces=6 ours=6', flush=True)
                sys.exit(0)
            if not peers and time.time() - asked > 1:
                h.connect_peer(('127.0.0.1', ours))
                asked = time.time()
            time.sleep(0.05)
        print('not seen: pieces=%d ours=%d' % (have, theirs), flush=True)
        sys.exit(1)
        """;

    [Fact]
    public async Task APieceWeCannotReadAnyMore_IsAnnouncedLost_AndThePeerIsNotDropped()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-bep54");
        var data = temp.Combine("data");
        Built.WritePayload(data);
        var torrentPath = Built.WriteTorrent(temp.Path);
        await File.WriteAllTextAsync(temp.Combine("lt.py"), Script, Ct);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
        });
        await using var seeder = await Seeder.StartAsync(session, Built.Torrent,
            new DownloadOptions { OutputDirectory = data, Log = log.Enqueue }, allowPartial: false, Ct);
        // After the seed checked its data: the second file loses its content under it (a disk gone bad, a file cut by
        // another program). Reading its pieces now fails.
        await using (var cut = new FileStream(Path.Combine(data, "lost", "second.bin"), FileMode.Open, FileAccess.Write)) cut.SetLength(0);

        var run = ProcessRunner.Run(python, [temp.Combine("lt.py"), torrentPath, temp.Combine("lt"), ProcessRunner.FreeTcpPort().ToString(),
            session.Port.ToString()], TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr + string.Join("\n", log.TakeLast(20)));
        // We kept the connection (libtorrent itself may close it once we hold nothing more it wants: we are upload-only,
        // BEP 21). Before, we closed it at the first failed read, with the good blocks of the same batch, so it never
        // got a piece from us however often it dialled again.
        Assert.Equal("pieces=6 ours=6", run.Stdout.Trim());
        Assert.Contains(log, l => l.Contains("(lt_donthave)", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("cannot serve it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APieceLibtorrentCannotReadAnyMore_IsForgottenThere_AndComesFromAnotherPeer()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-bep54-in");
        var theirs = temp.Combine("lt");
        var ours = temp.Combine("ours");
        Built.WritePayload(theirs);
        Built.WritePayload(ours);
        var torrentPath = Built.WriteTorrent(temp.Path);
        using var libtorrent = await LibtorrentSeeder.StartAsync(python, torrentPath, theirs, temp.Path, Ct);
        // libtorrent checked its data and seeds; now its second file is cut, so reading those five pieces fails, and it
        // answers a request for one with lt_donthave and a reject.
        await using (var cut = new FileStream(Path.Combine(theirs, "lost", "second.bin"), FileMode.Open, FileAccess.Write)) cut.SetLength(0);

        // A second seeder, ours, has everything but sends slowly (32 KiB/s): most requests go to libtorrent first.
        await using var seedSession = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
        });
        await using var seeder = await Seeder.StartAsync(seedSession, Built.Torrent,
            new DownloadOptions { OutputDirectory = ours, UploadLimit = new RateLimit(32 * 1024) }, allowPartial: false, Ct);

        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Transport = PeerTransport.Tcp, Dht = false,
        });
        var output = temp.Combine("out");
        var result = await TorrentClient.DownloadAsync(session, Built.Torrent, new DownloadOptions
        {
            OutputDirectory = output, Resume = false, Log = log.Enqueue,
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, libtorrent.Port), new IPEndPoint(IPAddress.Loopback, seedSession.Port)],
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        foreach (var (path, data) in Built.Files) Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(output, path), Ct));
        var lost = log.Where(l => l.Contains("no longer has piece", StringComparison.Ordinal)).ToList();
        Assert.True(lost.Count > 0, "libtorrent's lt_donthave was not seen:\n" + string.Join("\n", log.TakeLast(30)));
        // Only the cut file's pieces (6-10) were withdrawn, and libtorrent, which sent them, was not dropped for it.
        Assert.All(lost, l => Assert.Matches(@"no longer has piece (6|7|8|9|10) \(lt_donthave\)", l));
        Assert.DoesNotContain(log, l => l.Contains("lt_donthave", StringComparison.Ordinal) && l.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains(result.PeersUsed, p => p.Contains($":{libtorrent.Port}", StringComparison.Ordinal)); // it delivered the rest
    }
}
