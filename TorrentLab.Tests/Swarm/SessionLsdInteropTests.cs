using System.Diagnostics;
using System.Security.Cryptography;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>Local service discovery (BEP 14) against libtorrent, in two network namespaces this test creates and joins
/// by a veth pair: the only way the peers can learn of each other is the multicast announce (no tracker in the torrent,
/// no DHT, no <c>--peer</c>). Multicast never leaves the namespaces, which are deleted at the end.</summary>
/// <remarks>Needs iproute2, CAP_NET_ADMIN and python3-libtorrent; skipped visibly with the reason otherwise.</remarks>
[Trait("Tier", "Slow")]
public class SessionLsdInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A libtorrent peer with LSD on and everything else that finds peers off. "seed" seeds, announces every 2 s
    // (local_service_announce_interval) and dials nobody, "fetch" downloads and prints each peer LSD gave it (lsd_peer_alert), until it has
    // both the data and a peer from LSD.
    private const string Script = LibtorrentScript.OnDisk + """
        import sys, time
        import libtorrent as lt
        mode, torrent, save_path, address, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
        settings = {
            'listen_interfaces': '%s:%d' % (address, port),
            'enable_dht': False, 'enable_lsd': True, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False,
            'out_enc_policy': 2, 'in_enc_policy': 2,
            'alert_mask': lt.alert.category_t.all_categories,
        }
        if mode == 'seed':
            # It announces every 2 s and never dials: it hears our announces too, and a connection it opened would
            # finish the download before our LSD heard it (CI saw that: lsd 0).
            settings['local_service_announce_interval'] = 2
            settings['enable_outgoing_tcp'] = False
        ses = lt.session(settings, 0)
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save_path
        atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_pex
        h = ses.add_torrent(atp)
        deadline = time.time() + 60
        if mode == 'seed':
            while time.time() < deadline and h.status().state != lt.torrent_status.seeding:
                time.sleep(0.1)
            print('ready' if h.status().state == lt.torrent_status.seeding else 'not ready', flush=True)
            sys.stdin.read()
        else:
            print('ready', flush=True)
            heard = False
            while time.time() < deadline and not (heard and h.status().is_seeding):
                for a in ses.pop_alerts():
                    if a.what() == 'lsd_peer':
                        heard = True
                        print('lsd_peer %s' % a.message(), flush=True)
                time.sleep(0.1)
            print('done' if h.status().is_seeding and on_disk(ses, h) else 'not done', flush=True)
        """;

    [Fact]
    public async Task OurDownload_FindsALibtorrentSeederOnlyThroughLsd_AndCompletes()
    {
        var python = Interop.RequireLibtorrentPython();
        using var net = NetNamespaces.CreateOrSkip();
        var (ours, theirs) = (net.Create("la"), net.Create("lb"));
        var subnet = $"10.202.{Random.Shared.Next(1, 254)}";
        net.Link(ours, $"{subnet}.1", theirs, $"{subnet}.2");
        using var folder = new TempFolder("torrentlab-lsd");
        var built = TestTorrents.SingleFile(length: 512 * 1024, pieceLength: 32 * 1024, name: "lsd.bin", announce: null, seed: 14);
        var payload = folder.Combine("seed");
        built.WritePayload(payload);
        var torrent = built.WriteTorrent(folder.Path);
        var script = folder.Combine("peer.py");
        await File.WriteAllTextAsync(script, Script, Ct);

        Process? seeder = null;
        try
        {
            seeder = NetNamespaces.Start(theirs, python, [script, "seed", torrent, payload, $"{subnet}.2", "6881"]);
            var ready = await seeder.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.True(ready == "ready", $"the libtorrent seeder did not get ready: {ready}");

            var result = NetNamespaces.Run(ours, "dotnet", [CliRunner.CliDll, torrent, "-o", folder.Combine("out"), "--port", "6881",
                "--no-dht", "--lsd", "--verbose", "--stall-timeout", "60"], TimeSpan.FromSeconds(90));

            Assert.True(result.ExitCode == CliRunner.Codes.Ok, $"exit {result.ExitCode}: {result.Stderr}");
            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(folder.Combine("out", "lsd.bin"))));
            Assert.Matches(@"peers from: tracker 0, dht 0, pex 0, lsd [1-9]\d*, given 0", result.Stderr);
            Assert.Contains($"lsd: new peer {subnet}.2:6881", result.Stderr);
        }
        finally
        {
            if (seeder is not null)
            {
                ProcessRunner.Stop(seeder);
                seeder.Dispose();
            }
        }
    }

    [Fact]
    public async Task Libtorrent_FindsOurSeederThroughOurLsdAnnounce_AndCompletes()
    {
        var python = Interop.RequireLibtorrentPython();
        using var net = NetNamespaces.CreateOrSkip();
        var (ours, theirs) = (net.Create("la"), net.Create("lb"));
        var subnet = $"10.203.{Random.Shared.Next(1, 254)}";
        net.Link(ours, $"{subnet}.1", theirs, $"{subnet}.2");
        using var folder = new TempFolder("torrentlab-lsd");
        var built = TestTorrents.SingleFile(length: 512 * 1024, pieceLength: 32 * 1024, name: "lsd.bin", announce: null, seed: 41);
        var payload = folder.Combine("seed");
        built.WritePayload(payload);
        var torrent = built.WriteTorrent(folder.Path);
        var script = folder.Combine("peer.py");
        await File.WriteAllTextAsync(script, Script, Ct);

        Process? fetcher = null, seeder = null;
        try
        {
            // libtorrent first, so it is listening when our seeder's first announce goes out. (Our seeder may also hear
            // libtorrent's announces and dial it first; what this test asks is that libtorrent reads ours.)
            fetcher = NetNamespaces.Start(theirs, python, [script, "fetch", torrent, folder.Combine("got"), $"{subnet}.2", "6881"]);
            Assert.Equal("ready", await fetcher.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));
            seeder = NetNamespaces.Start(ours, "dotnet", [CliRunner.CliDll, "seed", torrent, "--data", payload, "--port", "6881", "--no-dht", "--lsd", "--quiet"]);

            var lines = new List<string>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && await fetcher.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(deadline - DateTime.UtcNow, Ct) is { } line)
            {
                lines.Add(line);
                if (line is "done" or "not done") break;
            }

            Assert.Contains("done", lines);
            Assert.Contains(lines, l => l.StartsWith("lsd_peer", StringComparison.Ordinal) && l.Contains($"{subnet}.1:6881", StringComparison.Ordinal));
            Assert.Equal(SHA1.HashData(built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(folder.Combine("got"), "lsd.bin"))));
        }
        finally
        {
            foreach (var process in new[] { fetcher, seeder })
            {
                if (process is null) continue;
                ProcessRunner.Stop(process);
                process.Dispose();
            }
        }
    }
}
