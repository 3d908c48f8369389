#!/usr/bin/python3
"""A capped swarm on loopback against the fluid bound.

One seeder and N peers, every upload capped (default 1 MiB/s), one file of F bytes (default 32 MiB), all peers started
together through one opentracker. Prints, per run: T (first peer started -> last peer complete), the fluid bound
T_min = max(F/u_s, N*F/(u_s + sum u_i), F/min d_i) (downloads are not capped: the last term is 0), T/T_min, what the
seeder uploaded, and each peer's upload and CPU seconds (utime+stime from /proc, read when the last peer completes, so
it includes start-up, the JIT for TorrentLab, and seeding to the others until then).

Every peer is a process of its own, as users run separate clients: `torrentlab FILE.torrent --seed` (Release build) or
bench/swarm/lt_peer.py (python3-libtorrent, its default settings). Swarms: torrentlab (TorrentLab seeder and peers),
libtorrent (libtorrent seeder and peers), mixed (a TorrentLab seeder, peers alternating TorrentLab and libtorrent),
lt-peers (a TorrentLab seeder, libtorrent peers: what our seed does for other clients' downloaders), base (a TorrentLab
seeder and peers from another build, TORRENTLAB_BASE=PATH: the same swarm before a change, in the same run).
Runs alternate swarm kinds and super-seeding off/on. Plain TCP, no encryption, no DHT, no PEX across the board.

usage: /usr/bin/python3 bench/swarm/swarm.py [--n 10 30] [--swarms torrentlab libtorrent mixed] [--super off on]
       [--trace-seed | --trace-all]
       [--runs 1] [--rate 1048576] [--mib 32]
Build first: dotnet build TorrentLab.Cli -c Release (or TORRENTLAB=PATH for another build). Needs opentracker, mktorrent, python3-libtorrent.
"""
import argparse, os, random, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# TORRENTLAB=path runs another build (e.g. the Native AOT publish: dotnet publish TorrentLab.Cli -c Release -o DIR).
CLI = os.environ.get('TORRENTLAB') or os.path.join(REPO, 'TorrentLab.Cli', 'bin', 'Release', 'net10.0', 'TorrentLab.Cli')
# TORRENTLAB_BASE=path: the build the `base` swarm runs (e.g. a publish of the commit before a change).
BASE_CLI = os.environ.get('TORRENTLAB_BASE')
LT_PEER = os.path.join(HERE, 'lt_peer.py')
TICK = os.sysconf('SC_CLK_TCK')
UNITS = {'B': 1, 'KiB': 1 << 10, 'MiB': 1 << 20, 'GiB': 1 << 30}


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1 (TorrentLab binds both on its peer port)."""
    for _ in range(100):
        port = random.randint(20000, 60000)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                t.bind(('127.0.0.1', port))
                u.bind(('127.0.0.1', port))
                return port
        except OSError:
            continue
    raise RuntimeError('no free port')


def cpu_seconds(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError):
        return float('nan')


class Peer:
    """One client process; a thread timestamps its output lines."""

    def __init__(self, name, client, args, done_marker):
        self.name, self.client, self.done_marker = name, client, done_marker
        self.lines, self.done_at, self.cpu, self.uploaded = [], None, float('nan'), float('nan')
        self.answered_at, self.answer_peers = None, None  # the first tracker answer (TorrentLab's --verbose line)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.ready, self.stopped = threading.Event(), False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            answer = re.search(r'tracker: (\d+) peers?,', line) if self.answered_at is None else None
            if answer:
                self.answered_at, self.answer_peers = time.monotonic(), int(answer.group(1))
            if self.done_at is None and self.done_marker in line:
                self.done_at = time.monotonic()
                self.ready.set()
            m = re.search(r'uploaded ([\d.]+) (B|KiB|MiB|GiB)', line) or re.search(r'^uploaded (\d+)()$', line.strip())
            if m:
                self.uploaded = float(m.group(1)) * UNITS.get(m.group(2) or 'B', 1)

    def stop(self):
        self.stopped = True
        self.cpu = cpu_seconds(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if self.client == 'torrentlab' else signal.SIGTERM)

    def reap(self):
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        time.sleep(0.1)  # the reader thread takes the last line


def start(client, role, name, torrent, folder, port, rate, superseed, trace=False, cli=CLI, trace_peer=False):
    os.makedirs(folder, exist_ok=True)
    if client == 'libtorrent':
        args = ['/usr/bin/python3', LT_PEER, 'seed' if role == 'seed' else 'get', torrent, folder, str(port), str(rate)]
        if superseed:
            args.append('super')
        return Peer(name, client, args, 'ready' if role == 'seed' else 'done')
    common = ['--port', str(port), '--no-dht', '--transport', 'tcp', '--encryption', 'off', '--max-upload-rate', str(rate)]
    if role == 'seed':
        return Peer(name, client, [cli, 'seed', torrent, '--data', folder] + common + (['--super-seed'] if superseed else [])
                    + (['--trace'] if trace else []), '(Ctrl-C to stop)')
    return Peer(name, client, [cli, torrent, '--output', folder, '--seed', '--quiet', '--verbose'] + common
                + (['--trace'] if trace_peer else []), 'download complete')


def run(work, torrent, size, tracker, kind, n, rate, superseed, timeout, trace=False, trace_all=False):
    tracker.restart()
    base = tempfile.mkdtemp(prefix='run-', dir=work)
    seed_client = 'libtorrent' if kind == 'libtorrent' else 'torrentlab'
    clients = {'mixed': ['torrentlab' if i % 2 == 0 else 'libtorrent' for i in range(n)], 'lt-peers': ['libtorrent'] * n,
               'base': ['torrentlab'] * n}.get(kind, [kind] * n)
    cli = BASE_CLI if kind == 'base' else CLI
    load_before = os.getloadavg()
    seeder = start(seed_client, 'seed', 'seeder', torrent, os.path.join(work, 'data'), free_port(), rate, superseed, trace, cli)
    peers = []
    t0 = time.monotonic()
    try:
        if not seeder.ready.wait(120):
            raise RuntimeError('seeder not ready: ' + ' | '.join(seeder.lines[-5:]))
        time.sleep(1.0)  # its first announce
        t0 = time.monotonic()
        for i, c in enumerate(clients):
            peers.append(start(c, 'get', 'p%02d' % i, torrent, os.path.join(base, 'p%02d' % i), free_port(), rate, False, cli=cli,
                               trace_peer=trace_all and c == 'torrentlab'))
        deadline = t0 + timeout
        while time.monotonic() < deadline and any(p.done_at is None for p in peers):
            time.sleep(0.05)
        for p in [seeder] + peers:
            p.stop()
    finally:
        for p in [seeder] + peers:
            if not p.stopped:
                p.stop()
        for p in [seeder] + peers:
            p.reap()
        shutil.rmtree(base, ignore_errors=True)
    done = [p for p in peers if p.done_at is not None]
    t = max(p.done_at for p in done) - t0 if len(done) == n else float('inf')
    u = rate
    t_min = max(size / u, n * size / (u + n * u))
    result = {
        'kind': kind, 'n': n, 'super': superseed, 'T': t, 'T_min': t_min, 'seeder_up': seeder.uploaded, 'seeder_cpu': seeder.cpu,
        'peers': peers, 't0': t0, 'load': (load_before, os.getloadavg()), 'unfinished': [p.name for p in peers if p.done_at is None],
        'first_copy': first_copy(seeder.lines, size) if trace and seed_client == 'torrentlab' else None,
    }
    if trace and os.environ.get('SEED_TRACE_DIR'):  # keep the traces for a closer look (bench/swarm/turns.py reads them)
        stamp = int(time.time())
        with open(os.path.join(os.environ['SEED_TRACE_DIR'], 'seed-%s-n%d-%d.log' % (kind, n, stamp)), 'w') as f:
            f.write('\n'.join(seeder.lines) + '\n')
        for p in peers if trace_all else []:
            with open(os.path.join(os.environ['SEED_TRACE_DIR'], 'peer-%s-n%d-%d-%s.log' % (kind, n, stamp, p.name)), 'w') as f:
                f.write('\n'.join(p.lines) + '\n')
    return result


TRACE_PIECE = re.compile(r'^(\d\d):(\d\d):(\d\d\.\d+) \S+ -> piece index=(\d+) begin=(\d+) len=(\d+)')


def first_copy(lines, size):
    """From the seed's --trace: when every byte had left the seed once, how many bytes it had sent by then (so what it
    sent twice before the swarm held one copy), and how many blocks it sent twice before every block had gone once."""
    sent, distinct, total, first, dup_before, start = set(), 0, 0, None, 0, None
    for line in lines:
        m = TRACE_PIECE.match(line)
        if not m:
            continue
        t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        start = t if start is None else start
        block = (int(m.group(4)), int(m.group(5)))
        length = int(m.group(6))
        total += length
        if first is None:
            if block in sent:
                dup_before += length
            else:
                sent.add(block)
                distinct += length
                if distinct >= size:
                    first = (t - start, total)
    return {'at': first[0] if first else float('nan'), 'sent': first[1] if first else total, 'dup': dup_before}


def make_torrent(work, name, size, seed, port):
    """Writes `size` random bytes (from `seed`) to work/data/NAME.bin and its torrent (256 KiB pieces, announcing to
    http://127.0.0.1:PORT/announce) to work/NAME.torrent; returns the torrent's path."""
    os.makedirs(os.path.join(work, 'data'), exist_ok=True)
    payload = os.path.join(work, 'data', name + '.bin')
    rng = random.Random(seed)
    with open(payload, 'wb') as f:  # 64 MiB at a time (randbytes overflows at 256 MiB); the bytes one call would give
        for offset in range(0, size, 64 << 20):
            f.write(rng.randbytes(min(64 << 20, size - offset)))
    torrent = os.path.join(work, name + '.torrent')
    subprocess.run(['mktorrent', '-l', '18', '-a', 'http://127.0.0.1:%d/announce' % port, '-o', torrent, payload], check=True,
                   stdout=subprocess.DEVNULL)
    return torrent


class OpenTracker:
    def __init__(self, work, info_hash):
        self.state = os.path.join(work, 'ot')
        os.makedirs(self.state, exist_ok=True)
        os.chmod(self.state, 0o755)
        with open(os.path.join(self.state, 'whitelist.txt'), 'w') as f:
            f.write(info_hash + '\n')
        os.chmod(os.path.join(self.state, 'whitelist.txt'), 0o644)
        self.port, self.proc = free_port(), None

    def restart(self):
        """A fresh tracker per run: no peers remembered from the last one."""
        self.stop()
        self.proc = subprocess.Popen(['opentracker', '-i', '127.0.0.1', '-p', str(self.port), '-P', str(self.port), '-d', self.state,
                                      '-w', 'whitelist.txt'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(('127.0.0.1', self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError('opentracker did not start')

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None


def mib(b):
    return b / (1 << 20)


def report(r):
    peers = r['peers']
    ups = {c: sum(p.uploaded for p in peers if p.client == c) for c in ('torrentlab', 'libtorrent')}
    cpus = {c: sum(p.cpu for p in peers if p.client == c) for c in ('torrentlab', 'libtorrent')}
    counts = {c: sum(1 for p in peers if p.client == c) for c in ('torrentlab', 'libtorrent')}
    print('swarm=%s N=%d super-seed=%s: T=%.1f s T_min=%.1f s T/T_min=%.2f; seeder uploaded %.1f MiB (%.2f F), seeder CPU %.1f s; '
          'load %.2f -> %.2f%s' % (r['kind'], r['n'], 'on' if r['super'] else 'off', r['T'], r['T_min'], r['T'] / r['T_min'],
                                   mib(r['seeder_up']), r['seeder_up'] / SIZE, r['seeder_cpu'], r['load'][0][0], r['load'][1][0],
                                   '; UNFINISHED ' + ','.join(r['unfinished']) if r['unfinished'] else ''))
    if r.get('first_copy'):
        f = r['first_copy']
        print('  seed first copy: every block out once %.1f s after its first block, %.1f MiB sent by then (%.2f F; sent twice '
              'before: %.1f MiB)' % (f['at'], mib(f['sent']), f['sent'] / SIZE, mib(f['dup'])))
    for c in ('torrentlab', 'libtorrent'):
        if counts[c]:
            print('  %-10s %2d peers: uploaded %.1f MiB (%.1f per peer), CPU %.1f s (%.2f per peer)' % (
                c, counts[c], mib(ups[c]), mib(ups[c]) / counts[c], cpus[c], cpus[c] / counts[c]))
    print('  per peer (name:client:done at:uploaded:CPU): ' + ' '.join('%s:%s:%.1fs:%.1fMiB:%.1fs' % (
        p.name, p.client[0], (p.done_at - r['t0']) if p.done_at else float('nan'), mib(p.uploaded), p.cpu) for p in peers))
    answered = sorted((p.answered_at - r['t0'], p.answer_peers) for p in peers if p.answered_at is not None)
    if answered:  # when each peer heard the tracker's first answer after the peers' start, and how many peers it named
        print('  first tracker answers (s after start:peers named): ' + ' '.join('%.2f:%d' % a for a in answered))
        print('  the same starts on the simulated network: bench/sim/run.sh swarm --peers %d --mib %d --cap app --super %s --join tracker '
              '--starts %s --one-way-ms 0.25 --seed S' % (r['n'], SIZE >> 20, 'on' if r['super'] else 'off', ','.join('%.2f' % a[0] for a in answered)))
    sys.stdout.flush()


SIZE = 0


def main():
    global SIZE
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, nargs='+', default=[10, 30])
    ap.add_argument('--swarms', nargs='+', default=['torrentlab', 'libtorrent', 'mixed'])
    ap.add_argument('--super', nargs='+', default=['off', 'on'])
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--rate', type=int, default=1 << 20)
    ap.add_argument('--mib', type=int, default=32)
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--trace-seed', action='store_true', help='run a TorrentLab seed with --trace and report its first copy')
    ap.add_argument('--trace-all', action='store_true', help='--trace-seed, and every TorrentLab peer with --trace too '
                    '(SEED_TRACE_DIR=DIR keeps each run\'s traces for bench/swarm/turns.py)')
    a = ap.parse_args()
    import libtorrent as lt
    if not os.path.exists(CLI):
        sys.exit('build first: dotnet build TorrentLab.Cli -c Release')
    if 'base' in a.swarms and not (BASE_CLI and os.path.exists(BASE_CLI)):
        sys.exit('the base swarm needs TORRENTLAB_BASE=PATH of another build')
    work = tempfile.mkdtemp(prefix='torrentlab-swarm-bench-')
    tracker = None
    try:
        SIZE = a.mib << 20
        port = free_port()
        torrent = make_torrent(work, 'swarm', SIZE, 37, port)
        tracker = OpenTracker(work, str(lt.torrent_info(torrent).info_hashes().v1))
        tracker.port = port
        print('F=%d MiB, pieces 256 KiB, every upload capped at %.2f MiB/s, downloads uncapped; %d cores; TorrentLab peers are '
              'separate processes' % (a.mib, a.rate / (1 << 20), os.cpu_count()))
        for n in a.n:
            for _ in range(a.runs):
                for s in a.super:
                    for kind in a.swarms:
                        r = run(work, torrent, SIZE, tracker, kind, n, a.rate, s == 'on', a.timeout, a.trace_seed or a.trace_all,
                                a.trace_all)
                        report(r)
    finally:
        if tracker:
            tracker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
