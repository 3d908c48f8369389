#!/usr/bin/python3
"""Time to the first peer and to the metadata through the DHT: a local DHT of python3-libtorrent nodes on 127.0.0.1
(one seeding a trackerless torrent), then `torrentlab dht get_peers` runs bootstrapped from one node, several times,
then `torrentlab magnet_info` of the xt-only magnet link (peers from the DHT, metadata by ut_metadata), several times.

Usage: /usr/bin/python3 bench/dht/first_peer.py PATH/TO/TorrentLab.Cli.dll [runs] [nodes]
Prints, per run, the time from process start to the first peer line and to the end of the lookup, then the time from
process start to the printed metadata, then medians.
Everything stays on 127.0.0.1; no node has a public router to bootstrap from."""
import os, socket, statistics, subprocess, sys, tempfile, time
import libtorrent as lt

cli, runs, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5, int(sys.argv[3]) if len(sys.argv) > 3 else 8


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


ports = [free_port() for _ in range(count)]
sessions = []
for i, port in enumerate(ports):
    sessions.append(lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_dht': True, 'dht_bootstrap_nodes': '' if i == 0 else '127.0.0.1:%d' % ports[0],
        'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False, 'dht_enforce_node_id': False,
        'dht_prefer_verified_node_ids': False, 'allow_multiple_connections_per_ip': True,
        'alert_mask': lt.alert.category_t.dht_notification}, 0))
    sessions[-1].add_extension('ut_metadata')   # BEP 9: the seeder hands out the metadata of the magnet link
folder = tempfile.mkdtemp(prefix='torrentlab-dht-bench-')
with open(os.path.join(folder, 'payload.bin'), 'wb') as f:
    f.write(os.urandom(1 << 20))
fs = lt.file_storage()
lt.add_files(fs, os.path.join(folder, 'payload.bin'))
ct = lt.create_torrent(fs, 1 << 16, flags=lt.create_torrent.v1_only)
lt.set_piece_hashes(ct, folder)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(lt.bencode(ct.generate()))
atp.save_path = folder
atp.flags = lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
sessions[-1].add_torrent(atp)
ih = str(atp.ti.info_hashes().v1)
deadline, heard = time.time() + 60, set()
while time.time() < deadline and len(heard) < 2:
    time.sleep(0.05)
    for i, s in enumerate(sessions):
        for a in s.pop_alerts():
            if isinstance(a, lt.dht_announce_alert) and str(a.info_hash) == ih:
                heard.add(i)
print('local DHT of %d libtorrent nodes ready; info hash %s' % (count, ih), flush=True)

firsts, totals = [], []
for run in range(runs):
    start = time.monotonic()
    p = subprocess.Popen(['dotnet', cli, 'dht', 'get_peers', ih, '--bootstrap', '127.0.0.1:%d' % ports[0]],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env=dict(os.environ, TORRENTLAB_DHT_LOOPBACK_ONLY='1'))
    first = p.stdout.readline().strip()
    t_first = time.monotonic() - start
    p.wait()
    t_total = time.monotonic() - start
    firsts.append(t_first)
    totals.append(t_total)
    print('run %d: first peer %s after %.3f s, lookup done after %.3f s' % (run + 1, first, t_first, t_total), flush=True)
print('median: first peer %.3f s, whole lookup %.3f s (process start included)' % (statistics.median(firsts), statistics.median(totals)))

metas = []
for run in range(runs):
    start = time.monotonic()
    done = subprocess.run(['dotnet', cli, 'magnet_info', 'magnet:?xt=urn:btih:' + ih, '--dht-bootstrap', '127.0.0.1:%d' % ports[0]],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, TORRENTLAB_DHT_LOOPBACK_ONLY='1'))
    metas.append(time.monotonic() - start)
    print('run %d: metadata %s after %.3f s' % (run + 1, 'printed' if done.returncode == 0 else 'FAILED ' + done.stderr.strip(), metas[-1]), flush=True)
print('median: metadata of the xt-only magnet link %.3f s (process start included)' % statistics.median(metas))
