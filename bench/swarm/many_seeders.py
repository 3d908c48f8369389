#!/usr/bin/python3
"""One download from many capped seeders on loopback: how fast a client connects to a swarm and fills its pipe.

S libtorrent seeders (default 40, each a libtorrent session of its own in this process, each on its own port and
capped at 512 KiB/s upload, loopback included) seed one file of F bytes (default 64 MiB, 256 KiB pieces) through one
opentracker; then one downloader starts (TorrentLab, the `torrentlab FILE.torrent` main command, or libtorrent,
bench/swarm/lt_peer.py with its default settings) and T runs from its start to its completion. The bound is
T_min = F / (S * cap) (3.2 s for the defaults): every seeder uploading at its cap from the first second. Rounds alternate
the two downloaders, TorrentLab first. Plain TCP, no encryption, DHT or PEX; everything on 127.0.0.1.

usage: /usr/bin/python3 bench/swarm/many_seeders.py [--seeders 40] [--rate 524288] [--mib 64] [--rounds 3]
Build first: dotnet build TorrentLab.Cli -c Release (or TORRENTLAB=PATH, e.g. the Native AOT publish). Needs opentracker,
mktorrent, python3-libtorrent.
"""
import argparse, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import libtorrent as lt  # noqa: E402
from swarm import CLI, LT_PEER, OpenTracker, Peer, free_port, make_torrent  # noqa: E402


def start_seeders(count, torrent, data, rate, timeout=120):
    """count libtorrent sessions seeding the data in place, each announced to the tracker once before this returns."""
    info = lt.torrent_info(torrent)
    sessions = []
    for _ in range(count):
        ses = lt.session({
            'listen_interfaces': '127.0.0.1:%d' % free_port(),
            'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
            'enable_outgoing_utp': False, 'enable_incoming_utp': False,
            'allow_multiple_connections_per_ip': True, 'out_enc_policy': 2, 'in_enc_policy': 2, 'ssrf_mitigation': False,
            'upload_rate_limit': rate, 'alert_mask': lt.alert.category_t.tracker_notification,
        }, 0)
        everyone = lt.ip_filter()  # the cap applies to loopback peers too (not libtorrent's exempt local class)
        everyone.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(everyone)
        atp = lt.add_torrent_params()
        atp.ti = info
        atp.save_path = data
        atp.flags = (lt.torrent_flags.seed_mode | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
                     | lt.torrent_flags.disable_pex)
        ses.add_torrent(atp)
        sessions.append(ses)
    waiting, deadline = set(range(count)), time.time() + timeout
    while waiting and time.time() < deadline:
        for i in list(waiting):
            if any(isinstance(a, lt.tracker_reply_alert) for a in sessions[i].pop_alerts()):
                waiting.discard(i)
        time.sleep(0.05)
    if waiting:
        raise RuntimeError('%d seeders never heard from the tracker' % len(waiting))
    return sessions


def download(client, torrent, folder):
    os.makedirs(folder, exist_ok=True)
    if client == 'libtorrent':
        return Peer('downloader', client, ['/usr/bin/python3', LT_PEER, 'get', torrent, folder, str(free_port()), '0'], 'done')
    return Peer('downloader', client, [CLI, torrent, '--output', folder, '--quiet', '--verbose', '--port', str(free_port()),
                                       '--no-dht', '--transport', 'tcp', '--encryption', 'off'], 'download complete')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seeders', type=int, default=40)
    ap.add_argument('--rate', type=int, default=512 << 10)
    ap.add_argument('--mib', type=int, default=64)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--timeout', type=float, default=120)
    a = ap.parse_args()
    if not os.path.exists(CLI):
        sys.exit('build first: dotnet build TorrentLab.Cli -c Release')
    work = tempfile.mkdtemp(prefix='torrentlab-seeders-bench-')
    tracker, sessions = None, []
    try:
        size = a.mib << 20
        data = os.path.join(work, 'data')
        port = free_port()
        torrent = make_torrent(work, 'many', size, 41, port)
        tracker = OpenTracker(work, str(lt.torrent_info(torrent).info_hashes().v1))
        tracker.port = port
        tracker.restart()
        sessions = start_seeders(a.seeders, torrent, data, a.rate)
        t_min = size / (a.seeders * a.rate)
        print('F=%d MiB, %d libtorrent seeders capped at %d KiB/s each, T_min=%.1f s; downloader: %s; %d cores'
              % (a.mib, a.seeders, a.rate >> 10, t_min, CLI, os.cpu_count()), flush=True)
        times = {'torrentlab': [], 'libtorrent': []}
        for _ in range(a.rounds):
            for client in ('torrentlab', 'libtorrent'):
                folder = tempfile.mkdtemp(prefix='get-', dir=work)
                load = os.getloadavg()[0]
                t0 = time.monotonic()
                peer = download(client, torrent, folder)
                peer.ready.wait(a.timeout)
                t = (peer.done_at - t0) if peer.done_at else float('inf')
                peer.stop()
                peer.reap()
                times[client].append(t)
                print('%-10s T=%5.2f s  T/T_min=%.2f  CPU %.2f s  load %.2f -> %.2f' % (client, t, t / t_min, peer.cpu, load,
                                                                                        os.getloadavg()[0]), flush=True)
                shutil.rmtree(folder, ignore_errors=True)
        ours, theirs = sorted(times['torrentlab']), sorted(times['libtorrent'])
        print('median: torrentlab %.2f s, libtorrent %.2f s, ratio %.2f' % (ours[len(ours) // 2], theirs[len(theirs) // 2],
                                                                            ours[len(ours) // 2] / theirs[len(theirs) // 2]))
    finally:
        del sessions
        if tracker:
            tracker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
