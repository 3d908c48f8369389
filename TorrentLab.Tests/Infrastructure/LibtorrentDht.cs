using System.Diagnostics;
using System.Net;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A local DHT of python3-libtorrent nodes on 127.0.0.1, or on ::1 for the IPv6 DHT of BEP 32 (one process,
/// several sessions), the last of which seeds a trackerless torrent and has announced it to the DHT; stopped by its
/// process id on dispose.</summary>
/// <remarks>The settings that make a DHT work on one address are those of INTEROP.md ("Local DHT on one address"):
/// no routing or search IP restrictions, no node id enforcement, the first node bootstrapping nobody and the others
/// bootstrapping from it. No node ever has a public router to bootstrap from.</remarks>
public sealed class LibtorrentDht : IDisposable
{
    private const string Script = LibtorrentScript.Prelude + """
        import os
        folder, host, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
        at = ('[%s]:%d' if ':' in host else '%s:%d')   # an IPv6 address in brackets
        sessions = []
        for i, port in enumerate(ports):
            sessions.append(loopback_session(port, None, {
                'enable_dht': True, 'listen_interfaces': at % (host, port),
                'dht_bootstrap_nodes': '' if i == 0 else at % (host, ports[0]),
                'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
                'dht_enforce_node_id': False, 'dht_prefer_verified_node_ids': False,
                'dht_sample_infohashes_interval': 0,   # BEP 51: a fresh sample for every query, not one per 6 hours
                'alert_mask': lt.alert.category_t.dht_notification | lt.alert.category_t.dht_operation_notification | lt.alert.category_t.status_notification,
            }))
            sessions[-1].add_extension('ut_metadata')   # BEP 9: magnet links (xt only) fetch metadata from these peers
        def wait_for_bootstrap(deadline):
            done = {0}
            while time.time() < deadline and len(done) < len(sessions):
                time.sleep(0.05)
                for i, s in enumerate(sessions):
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_bootstrap_alert): done.add(i)
            return len(done) == len(sessions)

        ih, handle = None, None
        def seed():
            global ih, handle
            payload = os.path.join(folder, 'payload.bin')
            with open(payload, 'wb') as f: f.write(os.urandom(64 * 1024))
            fs = lt.file_storage(); lt.add_files(fs, payload)
            ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)   # no tracker: trackerless
            lt.set_piece_hashes(ct, folder)
            tpath = os.path.join(folder, 'payload.torrent')
            with open(tpath, 'wb') as f: f.write(lt.bencode(ct.generate()))
            atp = lt.add_torrent_params(); atp.ti = lt.torrent_info(tpath); atp.save_path = folder
            atp.flags = lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex   # DHT on for this torrent
            handle = sessions[-1].add_torrent(atp)
            ih = str(atp.ti.info_hashes().v1)
            ok = announces_seen(time.time() + 30, 2) >= 2
            print(('seeding %s %s' % (ih, tpath)) if ok else 'not seeding: the seeder did not announce to the DHT', flush=True)

        def announces_seen(deadline, need):
            heard = set()
            while time.time() < deadline and len(heard) < need:
                time.sleep(0.05)
                for i, s in enumerate(sessions):
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_announce_alert) and str(a.info_hash) == ih: heard.add(i)
            return len(heard)

        print('ready' if wait_for_bootstrap(time.time() + 30) else 'not ready: the DHT did not bootstrap', flush=True)
        for line in sys.stdin:
            parts = line.split()
            if not parts: continue
            if parts[0] == 'seed':            # add the trackerless torrent to the last node; it announces it
                seed()
            elif parts[0] == 'get_peers':     # a get_peers lookup from the first node
                s = sessions[0]
                s.dht_get_peers(lt.sha1_hash(bytes.fromhex(parts[1])))
                end, got = time.time() + 20, None
                while time.time() < end and got is None:
                    s.wait_for_alert(200)
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_get_peers_reply_alert) and str(a.info_hash) == parts[1]: got = a.peers()
                print('peers ' + ' '.join(('[%s]:%d' if ':' in p[0] else '%s:%d') % p for p in (got or [])), flush=True)
            elif parts[0] == 'download':      # an xt-only magnet link on the first node: peers and metadata via the DHT
                atp = lt.parse_magnet_uri('magnet:?xt=urn:btih:' + parts[1])
                atp.save_path = parts[2]
                atp.flags |= lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
                h = sessions[0].add_torrent(atp)
                end = time.time() + 90
                while time.time() < end and not h.status().is_seeding:
                    time.sleep(0.1)
                    sessions[0].pop_alerts()
                st = h.status()
                if not st.is_seeding: print('not done: %s, %d peers, progress %.2f' % (st.state, st.num_peers, st.progress), flush=True)
                else: print('done' if on_disk(sessions[0], h) else 'not done: the file was not flushed in 30 s', flush=True)
            elif parts[0] == 'tables':        # the ports of the nodes every node's routing table holds (live and replacements)
                import struct, warnings
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore', DeprecationWarning)   # dht_state(): the one call that lists a table's nodes
                    states = [s.dht_state() for s in sessions]
                routed = {struct.unpack('>H', n[-2:])[0] for st in states for key in (b'nodes', b'nodes6') for n in st.get(key, [])}
                print('tables ' + ' '.join(str(p) for p in sorted(routed)), flush=True)
            elif parts[0] in ('put_immutable', 'put_mutable'):   # BEP 44 put from the last node
                s = sessions[-1]
                if parts[0] == 'put_immutable':
                    s.dht_put_immutable_item(bytes.fromhex(parts[1]))
                else:                                            # secret (64-byte expanded), public key, data, salt ('-': none)
                    s.dht_put_mutable_item(*[b'' if p == '-' else bytes.fromhex(p) for p in parts[1:5]])
                end, done = time.time() + 20, None
                while time.time() < end and done is None:
                    s.wait_for_alert(200)
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_put_alert): done = a
                print('put %s %d' % (done.target, done.num_success) if done else 'put none 0', flush=True)
            elif parts[0] == 'get_immutable':                    # BEP 44 get from the first node
                s = sessions[0]
                s.dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(parts[1])))
                end, got = time.time() + 20, None
                while time.time() < end and got is None:
                    s.wait_for_alert(200)
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_immutable_item_alert) and str(a.target) == parts[1]:
                            try: got = lt.bencode(a.item['value']).hex()
                            except Exception: got = 'none'   # no node held it: the item is undefined
                print('item ' + (got or 'none'), flush=True)
            elif parts[0] == 'get_mutable':                      # public key, salt (hex, '-' for none)
                s = sessions[0]
                salt = b'' if parts[2] == '-' else bytes.fromhex(parts[2])
                s.dht_get_mutable_item(bytes.fromhex(parts[1]), salt)
                end, got, final = time.time() + 20, None, False
                while time.time() < end and not final:
                    s.wait_for_alert(200)
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_mutable_item_alert) and a.key.hex() == parts[1]:
                            got, final = a, a.authoritative
                print('mutable %d %s %s' % (got.seq, lt.bencode(got.item['value']).hex(), got.signature.hex()) if got else 'mutable none', flush=True)
            elif parts[0] == 'sample':                           # BEP 51 sample_infohashes from the first node to a port
                s = sessions[0]
                s.dht_sample_infohashes(('127.0.0.1', int(parts[1])), lt.sha1_hash(bytes(20)))
                end, got = time.time() + 20, None
                while time.time() < end and got is None:
                    s.wait_for_alert(200)
                    for a in s.pop_alerts():
                        if isinstance(a, lt.dht_sample_infohashes_alert) and a.endpoint[1] == int(parts[1]): got = a
                print('sample %d %d %s' % (got.num_infohashes, got.interval.total_seconds(), ' '.join(str(h) for h in got.samples)) if got else 'sample none', flush=True)
        """;

    private readonly Process _process;

    private LibtorrentDht(Process process, IReadOnlyList<int> ports, IPAddress host)
    {
        _process = process;
        Ports = ports;
        Host = host;
    }

    /// <summary>The address every node listens on: 127.0.0.1, or ::1 for the IPv6 DHT.</summary>
    public IPAddress Host { get; }

    /// <summary>Each node's port (TCP for its peer, UDP for its DHT node); the last one seeds.</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>The first node, which the others bootstrapped from.</summary>
    public IPEndPoint First => new(Host, Ports[0]);

    /// <summary>The seeder's peer address, as a DHT lookup should find it.</summary>
    public IPEndPoint Seeder => new(Host, Ports[^1]);

    /// <summary>The trackerless torrent's info hash, 40 hex digits, once <see cref="SeedAsync"/> ran.</summary>
    public string InfoHash { get; private set; } = "";

    public string TorrentPath { get; private set; } = "";

    /// <summary>Starts <paramref name="nodes"/> libtorrent nodes and waits until they bootstrapped; with
    /// <paramref name="seed"/>, the last one then seeds a trackerless torrent (<see cref="SeedAsync"/>); with
    /// <paramref name="ipv6"/>, every node listens (and runs its DHT) on [::1] only.</summary>
    public static async Task<LibtorrentDht> StartAsync(string python, string folder, int nodes, CancellationToken ct, bool seed = true,
        bool ipv6 = false)
    {
        var host = ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        var script = Path.Combine(folder, "lt_dht.py");
        await File.WriteAllTextAsync(script, Script, ct);
        var ports = Enumerable.Range(0, nodes).Select(_ => ProcessRunner.FreeTcpAndUdpPort()).ToList();
        var process = ProcessRunner.Start(python, [script, folder, host.ToString(), .. ports.Select(p => p.ToString())]);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(40), ct);
            if (line != "ready") Assert.Fail($"the libtorrent DHT did not get ready: {line} {await ReadErrorsAsync(process)}");
            var dht = new LibtorrentDht(process, ports, host);
            if (seed) await dht.SeedAsync(ct);
            return dht;
        }
        catch
        {
            ProcessRunner.Stop(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Adds a trackerless torrent to the last node and waits until it announced it to the DHT.</summary>
    public async Task SeedAsync(CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync("seed".AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        // 90 s: under the whole suite's load on two cores the announce took over 40 s once (CI), alone it takes seconds.
        var line = await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(90), ct);
        if (line is null || !line.StartsWith("seeding ", StringComparison.Ordinal)) Assert.Fail($"the libtorrent seeder failed: {line}");
        var parts = line!.Split(' ');
        (InfoHash, TorrentPath) = (parts[1], parts[2]);
    }

    /// <summary>Runs a get_peers lookup from the first libtorrent node and returns the peers it found.</summary>
    public async Task<List<string>> GetPeersAsync(string infoHash, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync($"get_peers {infoHash}".AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        var line = await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
        return line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList() ?? [];
    }

    /// <summary>The first libtorrent node downloads the xt-only magnet link of <paramref name="infoHash"/> into
    /// <paramref name="folder"/>, finding peers and metadata through the DHT; returns "done" or why not.</summary>
    public async Task<string> DownloadAsync(string infoHash, string folder, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync($"download {infoHash} {folder}".AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        return await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(120), ct) ?? "no answer";
    }

    /// <summary>The ports of the nodes the libtorrent nodes' routing tables hold, live ones and replacements (each node
    /// listens on <see cref="Host"/>).</summary>
    public async Task<List<int>> RoutedPortsAsync(CancellationToken ct) =>
        [.. (await AskAsync("tables", ct)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(int.Parse)];

    /// <summary>Sends one command to the script and returns the line it answers (its first word repeats the command's
    /// kind: "put", "item", "mutable", "sample").</summary>
    public async Task<string> AskAsync(string command, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync(command.AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        return await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(40), ct) ?? "no answer";
    }

    private static async Task<string> ReadErrorsAsync(Process process)
    {
        ProcessRunner.Stop(process);
        return await process.StandardError.ReadToEndAsync();
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
