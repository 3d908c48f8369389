#!/usr/bin/python3
"""One download from one Transmission seeder, TorrentLab against libtorrent, alternating (issue 39, finding 7).

transmission-cli 3.00 seeds one file of F bytes (default 12 MiB, 256 KiB pieces) on 127.0.0.1 (DHT, LPD, PEX, uTP,
port forwarding and encryption off; no tracker: Transmission ignores 127.x peers from trackers anyway), and each round
starts one downloader that dials it directly: the `torrentlab FILE.torrent --peer 127.0.0.1:PORT` main command, then a
libtorrent session (python3-libtorrent, default settings) told the same peer. A fresh Transmission per round, so neither
downloader meets a seeder that already knows it. T runs from the downloader's start to its completion.

usage: /usr/bin/python3 bench/swarm/from_transmission.py [--mib 12] [--rounds 3]
Build first: dotnet build TorrentLab.Cli -c Release (or TORRENTLAB=PATH). Needs transmission-cli, mktorrent, python3-libtorrent.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from swarm import CLI, Peer, free_port, make_torrent  # noqa: E402

LT_GET = """
import sys, time, libtorrent as lt
torrent, path, port, peer = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ses = lt.session({'listen_interfaces': '127.0.0.1:%d' % port, 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False, 'enable_incoming_utp': False})
atp = lt.add_torrent_params(); atp.ti = lt.torrent_info(torrent); atp.save_path = path
h = ses.add_torrent(atp)
h.connect_peer(('127.0.0.1', peer))
deadline = time.time() + 120
while time.time() < deadline and not h.status().is_seeding:
    time.sleep(0.05)
print('done' if h.status().is_seeding else 'timeout', flush=True)
"""


def transmission(torrent, data, work):
    port = free_port()
    config = tempfile.mkdtemp(prefix='tr-config-', dir=work)
    with open(os.path.join(config, 'settings.json'), 'w') as f:
        json.dump({'bind-address-ipv4': '127.0.0.1', 'bind-address-ipv6': '::1', 'dht-enabled': False, 'lpd-enabled': False,
                   'pex-enabled': False, 'utp-enabled': False, 'port-forwarding-enabled': False, 'peer-port': port,
                   'encryption': 0, 'rpc-enabled': False, 'ratio-limit-enabled': False, 'speed-limit-up-enabled': False}, f)
    proc = subprocess.Popen(['transmission-cli', '-g', config, '-w', data, torrent], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return proc, port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mib', type=int, default=12)
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix='torrentlab-from-transmission-')
    try:
        data = os.path.join(work, 'data')
        torrent = make_torrent(work, 'tr', a.mib << 20, 43, 9)  # no tracker answers: peers are dialled
        script = os.path.join(work, 'lt_get.py')
        with open(script, 'w') as f:
            f.write(LT_GET)
        print('F=%d MiB from one transmission-cli seeder; downloader: %s; %d cores' % (a.mib, CLI, os.cpu_count()), flush=True)
        for _ in range(a.rounds):
            for client in ('torrentlab', 'libtorrent'):
                seeder, port = transmission(torrent, data, work)
                time.sleep(3)  # it checks the data, then seeds
                folder = tempfile.mkdtemp(prefix='get-', dir=work)
                load = os.getloadavg()[0]
                t0 = time.monotonic()
                if client == 'torrentlab':
                    peer = Peer('downloader', client, [CLI, torrent, '--output', folder, '--quiet', '--verbose', '--no-dht',
                                                       '--peer', '127.0.0.1:%d' % port, '--port', str(free_port())],
                                'download complete')
                else:
                    peer = Peer('downloader', client, ['/usr/bin/python3', script, torrent, folder, str(free_port()), str(port)],
                                'done')
                peer.ready.wait(120)
                t = (peer.done_at - t0) if peer.done_at else float('inf')
                peer.stop()
                peer.reap()
                seeder.terminate()
                seeder.wait()
                print('%-10s T=%6.2f s  %.1f MiB/s  load %.2f' % (client, t, a.mib / t, load), flush=True)
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
