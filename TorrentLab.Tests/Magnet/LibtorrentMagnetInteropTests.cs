using System.Net;
using TorrentLab.Lab;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Wire;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Magnet;

/// <summary>Magnet links against python3-libtorrent on loopback (DHT, LSD, UPnP, NAT-PMP and PEX off; ut_metadata on).</summary>
[Trait("Tier", "Slow")]
public class LibtorrentMagnetInteropTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private const string Settings = """
        import sys, time
        import libtorrent as lt
        def session(port):
            s = lt.session({
                'listen_interfaces': '127.0.0.1:%d' % port,
                'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
                'enable_outgoing_utp': False, 'enable_incoming_utp': False,
                'allow_multiple_connections_per_ip': True, 'out_enc_policy': 2, 'in_enc_policy': 2,
                'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
            }, 0)
            s.add_extension('ut_metadata')   # BEP 9 only: no ut_pex, no smart_ban
            return s
        FLAGS = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex

        """;

    // Seeds a .torrent whose payload is in save_path; prints "ready" once seeding, then waits for stdin to close.
    private const string Seeder = Settings + """
        torrent, save_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        ses = session(port)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = FLAGS
        h = ses.add_torrent(atp)
        deadline = time.time() + 15
        while time.time() < deadline and h.status().state != lt.torrent_status.seeding:
            time.sleep(0.05)
        print('ready' if h.status().state == lt.torrent_status.seeding else 'not ready: %s' % h.status().state, flush=True)
        sys.stdin.read()
        """;

    // Adds a magnet link, dials the given peer, and prints "metadata <name> <pieces>" once the info dictionary arrived.
    private const string MagnetClient = Settings + """
        uri, save_path, port, peer_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        ses = session(port)
        atp = lt.parse_magnet_uri(uri)
        atp.save_path = save_path
        atp.flags = FLAGS | lt.torrent_flags.upload_mode   # fetch the metadata only
        h = ses.add_torrent(atp)
        h.connect_peer(('127.0.0.1', peer_port))
        deadline = time.time() + 15
        while time.time() < deadline:
            for a in ses.pop_alerts():
                if isinstance(a, lt.metadata_received_alert):
                    ti = h.torrent_file()
                    print('metadata %s %d %s' % (ti.name(), ti.num_pieces(), ti.info_hashes().v1), flush=True)
                    sys.exit(0)
            ses.wait_for_alert(200)
        print('no metadata: has_metadata=%s peers=%d' % (h.status().has_metadata, h.status().num_peers), flush=True)
        sys.exit(1)
        """;

    /// <summary>A libtorrent seeder of <paramref name="built"/> on a free port, once it says it is seeding.</summary>
    private static async Task<(System.Diagnostics.Process Seeder, int Port)> StartSeederAsync(string python, TempFolder temp, TestTorrents.Built built)
    {
        built.WritePayload(temp.Combine("seed"));
        var torrentPath = built.WriteTorrent(temp.Path);
        await File.WriteAllTextAsync(temp.Combine("seeder.py"), Seeder, Ct);
        var port = ProcessRunner.FreeTcpPort();
        var seeder = ProcessRunner.Start(python, [temp.Combine("seeder.py"), torrentPath, temp.Combine("seed"), port.ToString()]);
        var ready = await seeder.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(18), Ct);
        if (ready == "ready") return (seeder, port);
        ProcessRunner.Stop(seeder);   // stderr is not read: it stays open while the seeder runs
        seeder.Dispose();
        throw new InvalidOperationException($"libtorrent seeder: {ready}");
    }

    [Fact]
    public async Task FetchAsync_FromALibtorrentSeederGivenByXpe_ReturnsItsInfoDictionaryThenDownloads()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-magnet-lt");
        var built = TestTorrents.SingleFile(length: 600_000, pieceLength: 32 * 1024, name: "lt-seed.bin", announce: null);
        var (seeder, port) = await StartSeederAsync(python, temp, built);
        try
        {
            var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=127.0.0.1:{port}");

            var raw = await MetadataFetcher.FetchAsync(link, PeerId.CreateOurs(), link.Peers,
                new MetadataFetchOptions { Connection = TestDownloader.Quick, Timeout = TimeSpan.FromSeconds(15) }, Ct);

            Assert.Equal(built.Torrent.RawInfo.ToArray(), raw);
            Assert.Equal(built.Torrent.InfoHash, Torrent.ParseInfo(raw).InfoHash);

            // And the whole download, as a user would run it: metadata then the reference engine.
            var cli = await CliRunner.RunAsync(["magnet_download", "-o", temp.Combine("out.bin"), "-q", link.ToString()], TimeSpan.FromSeconds(30));
            Assert.True(cli.ExitCode == CliRunner.Codes.Ok, cli.Stderr);
            Assert.Equal(built.Payload, await File.ReadAllBytesAsync(temp.Combine("out.bin"), Ct));
        }
        finally
        {
            ProcessRunner.Stop(seeder);
            seeder.Dispose();
        }
    }

    [Fact]
    public async Task LibtorrentClient_FetchesMetadataFromASyntheticPeerServingIt()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-magnet-lt");
        var built = TestTorrents.SingleFile(length: 2_000_000, pieceLength: 16 * 1024, name: "served.bin", announce: null);   // 2.5 KiB of metadata
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with
        {
            ServeMetadata = true,
            Connection = TestDownloader.Quick,
        });
        await File.WriteAllTextAsync(temp.Combine("client.py"), MagnetClient, Ct);
        var link = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&dn=served.bin";

        var result = ProcessRunner.Run(python, [temp.Combine("client.py"), link, temp.Combine("dl"), ProcessRunner.FreeTcpPort().ToString(), peer.EndPoint.Port.ToString()],
            TimeSpan.FromSeconds(25));

        Assert.True(result.ExitCode == 0, $"{result.Stdout} {result.Stderr} peer log: {string.Join(" | ", peer.Log)}");
        Assert.Equal($"metadata served.bin {built.Torrent.PieceCount} {built.Torrent.InfoHash.Hex}", result.Stdout.Trim());
        Assert.Contains(peer.Log, line => line.Contains("answered ut_metadata request piece=0 with ut_metadata data"));
    }

    [Fact]
    public async Task MagnetWithSelectOnly_FromALibtorrentSeeder_DownloadsOnlyThoseFiles_AndLibtorrentReadsTheSameSelection()
    {
        var python = Interop.RequireLibtorrentPython();
        using var temp = new TempFolder("torrentlab-magnet-so");
        var built = TestTorrents.MultiFile([("a.bin", 6 * 16384), ("b.bin", 7 * 16384), ("c.bin", 5 * 16384), ("d.bin", 4 * 16384)],
            name: "so-set", announce: null, pieceLength: 16 * 1024);
        var (seeder, port) = await StartSeederAsync(python, temp, built);
        try
        {
            // BEP 53: files 1 and 3 (from 0): b.bin and d.bin.
            var link = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=127.0.0.1:{port}&so=1,3";

            var cli = await CliRunner.RunAsync([link, "-o", temp.Combine("out"), "--quiet", "--port", "0", "--no-dht", "--no-resume"], TimeSpan.FromSeconds(40));

            Assert.True(cli.ExitCode == CliRunner.Codes.Ok, cli.Stderr);
            var folder = temp.Combine("out", "so-set");
            Assert.Equal(built.Files[1].Data, await File.ReadAllBytesAsync(Path.Combine(folder, "b.bin"), Ct));
            Assert.Equal(built.Files[3].Data, await File.ReadAllBytesAsync(Path.Combine(folder, "d.bin"), Ct));
            // Files end on piece boundaries: a skipped file shares no piece with a selected one, so it is never created.
            Assert.False(File.Exists(Path.Combine(folder, "a.bin")));
            Assert.False(File.Exists(Path.Combine(folder, "c.bin")));
        }
        finally
        {
            ProcessRunner.Stop(seeder);
            seeder.Dispose();
        }

        // The other direction: libtorrent reads the 'so' we write as the same file priorities (4 selected, 0 skipped).
        var ours = MagnetLink.Parse($"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&so=1,3-4").ToString();
        var read = ProcessRunner.Run(python, ["-c", "import sys, libtorrent as lt; print(list(lt.parse_magnet_uri(sys.argv[1]).file_priorities))", ours],
            TimeSpan.FromSeconds(20));
        Assert.True(read.ExitCode == 0, read.Stderr);
        Assert.Equal("[0, 4, 0, 4, 4]", read.Stdout.Trim());
    }
}
