#!/usr/bin/python3
"""rtorrent fed by our seed against rtorrent fed by its own seed (issue 84: ">= 0.9x of what it feeds itself").

One rtorrent 0.9.8 downloader (TCP: rtorrent has no uTP) takes a file from a lone seed, which is in turn ours
(`torrentlab seed`, default options, plain TCP), rtorrent's own, and libtorrent's (bench/swarm/lt_peer.py seed, its
default settings) for context. The seed starts first with its data, checks it and announces to a fresh opentracker;
once the tracker counts it, the downloader starts with nothing and finds the seed through the tracker. T is from the
downloader's start to its `event.download.finished`; rate = F / T. Seeds are taken in turn, rotated each repeat, so
they share the load. The line per size gives each seed's median T, its rate, and ours over rtorrent's own rate.

Every process binds its own loopback address (rtorrent ignores a peer on its own address): our seed and libtorrent's
127.0.0.1, rtorrent's seed 127.0.0.2, the downloader 127.0.0.3; DHT and PEX off; each is stopped by its process id and
everything goes under one temporary folder, removed at the end.

usage: /usr/bin/python3 bench/interop/rtorrent_fed.py [--mib 128,512] [--repeats 3] [--timeout 120] [--seeds ...]
TORRENTLAB=PATH runs another build of ours. Build first: dotnet build TorrentLab.Cli -c Release. Needs rtorrent,
opentracker, mktorrent and python3-libtorrent.
"""
import argparse, math, os, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.parse, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'swarm'))
from swarm import CLI, LT_PEER, OpenTracker, cpu_seconds, free_port, make_torrent  # noqa: E402

SEEDS = ('torrentlab', 'rtorrent', 'libtorrent')
SEED_AT = {'torrentlab': '127.0.0.1', 'libtorrent': '127.0.0.1', 'rtorrent': '127.0.0.2'}
DOWNLOADER_AT = '127.0.0.3'


def rtorrent(work, torrent, data, address, finished=None):
    """An rtorrent on `address` with its session, log and rc under `work`; `finished` is touched when it completes."""
    os.makedirs(work, exist_ok=True)
    os.makedirs(data, exist_ok=True)
    port = free_port()
    rc = os.path.join(work, 'rtorrent.rc')
    lines = ['directory.default.set = %s' % data, 'session.path.set = %s' % os.path.join(work, 'session'),
             'network.port_range.set = %d-%d' % (port, port), 'network.port_random.set = no',
             'network.bind_address.set = %s' % address, 'system.daemon.set = true', 'dht.mode.set = disable',
             'protocol.pex.set = no', 'trackers.use_udp.set = no',
             'log.open_file = "main", %s' % os.path.join(work, 'rtorrent.log'), 'log.add_output = "info", "main"']
    if finished:
        lines.append('method.set_key = event.download.finished, done, "execute.nothrow=touch,%s"' % finished)
    lines.append('load.start_verbose = "%s", "d.directory.set=%s"' % (torrent, data))
    os.makedirs(os.path.join(work, 'session'), exist_ok=True)
    with open(rc, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return subprocess.Popen(['rtorrent', '-n', '-o', 'import=' + rc], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_seed(client, torrent, data, work):
    log = open(os.path.join(work, 'seed.log'), 'w')
    if client == 'torrentlab':
        port = free_port()
        return subprocess.Popen([CLI, 'seed', torrent, '--data', data, '--port', str(port), '--no-dht', '--bind', SEED_AT[client],
                                 '--transport', 'tcp', '--encryption', 'off'], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    if client == 'libtorrent':  # stdin stays open: lt_peer.py stops when it closes
        return subprocess.Popen(['/usr/bin/python3', LT_PEER, 'seed', torrent, data, str(free_port()), '0'],
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    return rtorrent(os.path.join(work, 'seed'), torrent, data, SEED_AT[client])


def stop(proc, client):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT if client == 'torrentlab' else signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def seeders(tracker_port, info_hash):
    """What the tracker's scrape counts as complete for the torrent (0 when it cannot say)."""
    url = 'http://127.0.0.1:%d/scrape?info_hash=%s' % (tracker_port, urllib.parse.quote(bytes.fromhex(info_hash)))
    try:
        body = urllib.request.urlopen(url, timeout=2).read()
    except OSError:
        return 0
    at = body.find(b'8:completei')
    if at < 0:
        return 0
    return int(body[at + 11:body.index(b'e', at + 11)])


def run(work, seed_client, torrent, info_hash, tracker, timeout):
    """One run: T from the downloader's start to its completion (inf past the timeout), and the CPU seconds the seed
    and the downloader spent meanwhile."""
    tracker.restart()
    folder = tempfile.mkdtemp(prefix='run-', dir=work)
    seed = start_seed(seed_client, torrent, os.path.join(work, 'data'), folder)
    downloader = None
    try:
        deadline = time.monotonic() + 120  # checking 512 MiB, then the first announce
        while seeders(tracker.port, info_hash) < 1:
            if seed.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('%s seed never announced' % seed_client)
            time.sleep(0.05)
        finished = os.path.join(folder, 'finished')
        seed_cpu = cpu_seconds(seed.pid)
        t0 = time.monotonic()
        downloader = rtorrent(os.path.join(folder, 'get'), torrent, os.path.join(folder, 'got'), DOWNLOADER_AT, finished)
        while not os.path.exists(finished) and time.monotonic() < t0 + timeout:
            if downloader.poll() is not None:
                raise RuntimeError('the rtorrent downloader ended early')
            time.sleep(0.01)
        t = time.monotonic() - t0 if os.path.exists(finished) else math.inf
        return t, cpu_seconds(seed.pid) - seed_cpu, cpu_seconds(downloader.pid)
    finally:
        if downloader:
            stop(downloader, 'rtorrent')
        stop(seed, seed_client)
        tracker.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description='rtorrent fed by our seed, by its own and by libtorrent\'s (see the docstring).')
    ap.add_argument('--mib', default='128,512', help='file sizes in MiB [128,512]')
    ap.add_argument('--repeats', type=int, default=3, help='runs per seed and size [3]')
    ap.add_argument('--timeout', type=float, default=120, help='seconds a run may take [120]')
    ap.add_argument('--seeds', nargs='+', default=list(SEEDS), choices=SEEDS, help='the seeds to run [all three]')
    a = ap.parse_args()
    if not os.path.exists(CLI):
        sys.exit('build first: dotnet build TorrentLab.Cli -c Release (or TORRENTLAB=PATH)')
    import libtorrent as lt
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix='torrentlab-rtorrent-fed-')
    tracker = None
    try:
        port = free_port()
        sizes = [int(m) for m in a.mib.split(',')]
        torrents = {m: make_torrent(work, 'r%d' % m, m << 20, 84, port) for m in sizes}
        hashes = {m: str(lt.torrent_info(t).info_hashes().v1) for m, t in torrents.items()}
        tracker = OpenTracker(work, '\n'.join(hashes.values()))
        tracker.port = port
        print('# %s  %s; rtorrent downloading over TCP from each seed in turn; %d repeats; 256 KiB pieces; %d cores; '
              'load %.2f %.2f %.2f' % (time.strftime('%Y-%m-%dT%H:%M:%S'), CLI, a.repeats, os.cpu_count(), *os.getloadavg()))
        sys.stdout.flush()
        for m in sizes:
            times, cpus = {s: [] for s in a.seeds}, {s: [] for s in a.seeds}
            for r in range(a.repeats):
                order = a.seeds[r % len(a.seeds):] + a.seeds[:r % len(a.seeds)]
                for s in order:
                    t, seed_cpu, downloader_cpu = run(work, s, torrents[m], hashes[m], tracker, a.timeout)
                    times[s].append(t)
                    cpus[s].append((seed_cpu, downloader_cpu))
            med = {s: statistics.median(ts) for s, ts in times.items()}
            parts = ['%s %.2f s (%.0f MiB/s; %s; CPU s seed/downloader %s)'
                     % (s, med[s], m / med[s] if math.isfinite(med[s]) else 0, ','.join('%.2f' % t for t in times[s]),
                        ','.join('%.1f/%.1f' % c for c in cpus[s])) for s in a.seeds]
            ratio = ('  ours/rtorrent\'s rate %.2f' % (med['rtorrent'] / med['torrentlab'])
                     if 'torrentlab' in med and 'rtorrent' in med else '')
            print('%4d MiB  %s%s  (load %.1f)' % (m, '  '.join(parts), ratio, os.getloadavg()[0]))
            sys.stdout.flush()
    finally:
        if tracker:
            tracker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
