#!/usr/bin/python3
"""A lone seed in every regime: our seed beside libtorrent's, one line per regime (issue 84).

Each cell is one regime: a lone seed with its data, and D downloaders (real processes) that start together with
nothing. It runs twice per repeat, once with our seed (`torrentlab seed`, default options) and once with libtorrent's
(bench/swarm/lt_peer.py seed, its default settings), alternating: ours first in odd repeats, libtorrent's first in even
ones, so both share the load. T is from the downloaders' launch to the last one's completion. The cell prints the
medians of T for both seeds, their ratio (ours / libtorrent's), and F_first: what our seed had uploaded, in file sizes,
when the last block of the file first left it (from its `--trace`; 1.00 means it sent nothing twice before every
block was out once).

The regimes:
  downloaders  1, 2, 8 (50 belongs to the simulated network: bench/sim/run.sh swarm --peers 50 ...; not run here)
  kind         libtorrent (lt_peer.py get), torrentlab (`torrentlab FILE.torrent --output DIR --no-resume --seed`),
               mixed (half and half, ours first; not with one downloader)
  links        uncapped; seed-capped (the seed's upload at --rate); all-capped (every upload at --rate, the
               downloaders' too); downloads are never capped
  meet         seed-only (a torrent without a tracker; each downloader is told only the seed's address:
               libtorrent by connect_peer, with PEX off, ours by --peer); tracker (one fresh opentracker per run on
               127.0.0.1, the downloaders meet each other through it, libtorrent's with their PEX plugin on)
Both seeds speak PEX in every cell (ours always does; libtorrent's runs with its default plugins), so in seed-only our
downloaders, which always speak PEX, may still hear of each other from the seed; libtorrent's downloaders never do there.
Every process listens on 127.0.0.1 only, on a port of its own, plain TCP, no encryption, DHT, LSD or uTP; each is
stopped by its process id, and everything written goes under one temporary folder, removed at the end.

usage: /usr/bin/python3 bench/seed/matrix.py [--quick] [--repeats 3] [--cells GLOB ...] [--mib 128,16]
       [--rate 4194304] [--timeout 60] [--list] [--no-trace] [--keep-traces DIR]
Cells are named DOWNLOADERS/KIND/LINKS/MEET, e.g. 2/libtorrent/uncapped/seed-only; --cells '8/*' '*/tracker' runs the
cells matching any of the globs. TORRENTLAB=PATH runs another build of ours (as bench/swarm/swarm.py does).
Build first: dotnet build TorrentLab.Cli -c Release. Needs opentracker, mktorrent and python3-libtorrent.
"""
import argparse, fnmatch, math, os, signal, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'swarm'))
from swarm import CLI, LT_PEER, OpenTracker, Peer, first_copy, free_port, make_torrent  # noqa: E402

COUNTS = (1, 2, 8)
KINDS = ('libtorrent', 'torrentlab', 'mixed')
LINKS = ('uncapped', 'seed-capped', 'all-capped')
MEETS = ('seed-only', 'tracker')
QUICK = ('1/libtorrent/uncapped/seed-only', '2/libtorrent/uncapped/seed-only', '8/libtorrent/uncapped/seed-only',
         '2/libtorrent/seed-capped/seed-only', '8/libtorrent/seed-capped/seed-only')
SEEDS = ('torrentlab', 'libtorrent')
NET = ['--no-dht', '--bind', '127.0.0.1', '--transport', 'tcp', '--encryption', 'off']  # as lt_peer.py: TCP, plaintext


def cells():
    """Every regime, in the order the matrix runs them: by downloaders, then meeting, links and kind."""
    for n in COUNTS:
        for meet in MEETS:
            for links in LINKS:
                for kind in KINDS:
                    if kind == 'mixed' and n == 1:
                        continue  # half of one downloader is one of the other two kinds
                    yield {'n': n, 'kind': kind, 'links': links, 'meet': meet, 'name': '%d/%s/%s/%s' % (n, kind, links, meet)}


class Seed:
    """The lone seed: one process whose output (with ours, its --trace: a line per message) goes to a file, not a pipe
    read line by line in Python, so a fast seed's trace costs this script nothing while the cell is timed."""

    def __init__(self, client, args, log, env=None):
        self.client, self.log = client, log
        self.out = open(log, 'w')
        # stdin stays open: lt_peer.py stops when its stdin closes.
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=self.out, stderr=subprocess.STDOUT, env=env)

    def text(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def wait_for(self, marker, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if marker in self.text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if self.client == 'torrentlab' else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def start_seed(client, torrent, data, port, rate, meet, log, trace):
    if client == 'torrentlab':
        args = [CLI, 'seed', torrent, '--data', data, '--port', str(port), '--max-upload-rate', str(rate), '--verbose'] + NET
        seed = Seed(client, args + (['--trace'] if trace else []), log)
        ready = seed.wait_for('(Ctrl-C to stop)', 120) and (meet == 'seed-only' or seed.wait_for('tracker: ', 30))
    else:
        # With its PEX plugin, as libtorrent runs by default and as our seed always speaks PEX: either seed may tell our
        # downloaders of each other, whoever seeds.
        env = dict(os.environ, LT_PEX='1')
        seed = Seed(client, ['/usr/bin/python3', LT_PEER, 'seed', torrent, data, str(port), str(rate)], log, env)
        ready = seed.wait_for('ready', 120)  # seeding, and with a tracker its first answer
    if not ready:
        seed.stop()
        raise RuntimeError('%s seed not ready: %s' % (client, seed.text()[-500:]))
    return seed


def start_downloader(client, name, torrent, folder, rate, meet, seed_port):
    """One downloader with nothing yet; it keeps seeding once complete (others may still want its pieces)."""
    os.makedirs(folder)
    port = free_port()
    if client == 'libtorrent':
        env = ['LT_DIAL=%d' % seed_port] if meet == 'seed-only' else ['LT_PEX=1']
        return Peer(name, client, ['env'] + env + ['/usr/bin/python3', LT_PEER, 'get', torrent, folder, str(port), str(rate)], 'done')
    args = [CLI, torrent, '--output', folder, '--no-resume', '--seed', '--quiet', '--verbose', '--port', str(port),
            '--max-upload-rate', str(rate)] + NET
    if meet == 'seed-only':
        args += ['--peer', '127.0.0.1:%d' % seed_port]
    return Peer(name, client, args, 'download complete')


def run(work, cell, seed_client, torrent, size, rate, tracker, timeout, trace, keep):
    """One cell with one seed: the time from the downloaders' launch to the last one's completion (inf past the timeout),
    and for our traced seed what it had sent when every block had left it once."""
    n, kind, links, meet = cell['n'], cell['kind'], cell['links'], cell['meet']
    clients = {'mixed': ['torrentlab' if i % 2 == 0 else 'libtorrent' for i in range(n)]}.get(kind, [kind] * n)
    if tracker:
        tracker.restart()  # a fresh tracker: no peer of an earlier run listed
    folder = tempfile.mkdtemp(prefix='run-', dir=work)
    seed_port = free_port()
    log = os.path.join(folder, 'seed.log')
    seed = start_seed(seed_client, torrent, os.path.join(work, 'data'), seed_port, rate if links != 'uncapped' else 0, meet,
                      log, trace and seed_client == 'torrentlab')
    peers = []
    try:
        t0 = time.monotonic()
        for i, c in enumerate(clients):
            peers.append(start_downloader(c, 'd%d' % i, torrent, os.path.join(folder, 'd%d' % i),
                                          rate if links == 'all-capped' else 0, meet, seed_port))
        deadline = t0 + timeout
        while time.monotonic() < deadline and any(p.done_at is None for p in peers):
            time.sleep(0.02)
            gone = [p for p in peers if p.done_at is None and p.proc.poll() is not None]
            if gone or seed.proc.poll() is not None:  # a process that ended is an error, not a timeout
                time.sleep(0.5)  # its reader thread takes the last lines
                who = gone[0] if gone else None
                if who is None or who.done_at is None:
                    last = ' | '.join(who.lines[-3:]) if who else seed.text()[-300:]
                    raise RuntimeError('%s ended early: %s' % (who.name if who else seed_client + ' seed', last))
        t = max(p.done_at for p in peers) - t0 if all(p.done_at is not None for p in peers) else math.inf
    finally:
        for p in peers:
            p.stop()
        seed.stop()
        for p in peers:
            p.reap()
        if tracker:
            tracker.stop()
    copy = None
    if trace and seed_client == 'torrentlab':
        copy = first_copy(seed.text().splitlines(), size)
        copy['out'] = not math.isnan(copy['at'])
    if keep:  # the seed's output (our trace) and each downloader's (ours: --verbose, where its peers came from)
        stem = os.path.join(keep, '%s-%s-%d' % (cell['name'].replace('/', '_'), seed_client, int(time.time() * 1000)))
        shutil.copy(log, stem + '.log')
        for p in peers:
            with open('%s-%s-%s.log' % (stem, p.name, p.client), 'w') as f:
                f.write('\n'.join(p.lines) + '\n')
    shutil.rmtree(folder, ignore_errors=True)
    return t, copy


def median(xs):
    return statistics.median(xs) if xs else math.nan


def seconds(ts, timeout):
    """The median of a seed's runs, or what the timeouts say."""
    done = [t for t in ts if t != math.inf]
    if not ts:
        return 'not run'
    if len(done) * 2 <= len(ts) and len(done) < len(ts):
        return 'timeout after %.0f s (in %d of %d runs)' % (timeout, len(ts) - len(done), len(ts))
    return '%.2f s' % median(ts) + (' (%d of %d timed out)' % (len(ts) - len(done), len(ts)) if len(done) < len(ts) else '')


def line(cell, size, rate, times, copies, timeout, load):
    """The cell's one line: regime, file size and cap, both seeds' median T, ours / libtorrent's, F_first, the runs."""
    ours, lt = times['torrentlab'], times['libtorrent']
    mo, ml = median(ours), median(lt)
    if math.isfinite(mo) and math.isfinite(ml):
        ratio = '%.2f' % (mo / ml)
    elif mo == math.inf and math.isfinite(ml):
        ratio = '>%.1f' % (timeout / ml)  # ours took longer than the timeout
    elif ml == math.inf and math.isfinite(mo):
        ratio = '<%.2f' % (mo / timeout)
    else:
        ratio = '-'
    sent = [c['sent'] / size for c in copies if c['out']]
    if sent:
        f_first = '%.2f F' % median(sent) + (' (never out in %d runs)' % (len(copies) - len(sent)) if len(sent) < len(copies) else '')
    elif copies:
        f_first = 'never out (%.2f F sent)' % max(c['sent'] / size for c in copies)
    else:
        f_first = '-'
    cap = {'uncapped': '', 'seed-capped': 'seed %.0f MiB/s' % (rate / (1 << 20)),
           'all-capped': 'all %.0f MiB/s' % (rate / (1 << 20))}[cell['links']]
    runs = '; '.join('%s %s' % (who, ','.join('%.2f' % t if math.isfinite(t) else 'timeout' for t in ts))
                     for who, ts in (('ours', ours), ('lt', lt)))
    return ('%-35s %4d MiB %-13s ours %s  lt %s  ours/lt %s  F_first %s  (%s; load %.1f)'
            % (cell['name'], size >> 20, cap, seconds(ours, timeout), seconds(lt, timeout), ratio, f_first, runs, load))


def main():
    ap = argparse.ArgumentParser(description='A lone seed in every regime, ours beside libtorrent\'s (see the docstring).')
    ap.add_argument('--quick', action='store_true', help='five libtorrent seed-only cells (1, 2, 8 uncapped; 2, 8 seed-capped), '
                    'one repeat')
    ap.add_argument('--repeats', type=int, help='runs per seed and cell (default 3, 1 with --quick)')
    ap.add_argument('--cells', nargs='+', metavar='GLOB', help='only the cells matching one of these (DOWNLOADERS/KIND/LINKS/MEET)')
    ap.add_argument('--mib', default='128,16', help='file size in MiB when no link is capped, and when one is [128,16]')
    ap.add_argument('--rate', type=int, default=4 << 20, help='the cap in bytes/s of a capped upload [4194304]')
    ap.add_argument('--timeout', type=float, default=60, help='seconds a run may take before it counts as timed out, '
                    'plus downloaders x F / rate when a link is capped [60]')
    ap.add_argument('--list', action='store_true', help='print the cells selected and exit')
    ap.add_argument('--no-trace', action='store_true', help='run our seed without --trace (no F_first)')
    ap.add_argument('--keep-traces', metavar='DIR', help='copy each run\'s seed output (our trace) and its downloaders\' '
                    'output into DIR')
    a = ap.parse_args()
    selected = [c for c in cells() if (c['name'] in QUICK if a.quick and not a.cells else True)
                and (not a.cells or any(fnmatch.fnmatch(c['name'], g) for g in a.cells))]
    if a.list:
        print('\n'.join(c['name'] for c in selected))
        return
    if not selected:
        sys.exit('no cell matches %s' % ' '.join(a.cells))
    repeats = a.repeats or (1 if a.quick else 3)
    big, small = (int(x) for x in (a.mib.split(',') + a.mib.split(','))[:2])
    import libtorrent as lt
    if not os.path.exists(CLI):
        sys.exit('build first: dotnet build TorrentLab.Cli -c Release (or TORRENTLAB=PATH)')
    if a.keep_traces:
        os.makedirs(a.keep_traces, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a SIGTERM still stops every process and removes the folder
    work = tempfile.mkdtemp(prefix='torrentlab-seed-matrix-')
    started, tracker = time.monotonic(), None
    try:
        port = free_port()  # the tracker's, written into the torrents that have one
        torrents = {}
        for size in sorted({big << 20, small << 20}):
            with_tracker = make_torrent(work, 'm%d' % (size >> 20), size, 84, port)
            meta = lt.bdecode(open(with_tracker, 'rb').read())
            del meta[b'announce']  # the same info dictionary, so the same info hash and data, with no tracker
            without = with_tracker.replace('.torrent', '-seed-only.torrent')
            with open(without, 'wb') as f:
                f.write(lt.bencode(meta))
            torrents[size] = {'tracker': with_tracker, 'seed-only': without,
                              'hash': str(lt.torrent_info(with_tracker).info_hashes().v1)}
        tracker = OpenTracker(work, '\n'.join(t['hash'] for t in torrents.values()))  # its whitelist: one hash a line
        tracker.port = port
        print('# %s  %s, %d cells x %d repeats x 2 seeds; F = %d MiB uncapped, %d MiB with a cap of %.0f MiB/s; '
              '256 KiB pieces; timeout %.0f s a run (+ downloaders x F / cap when capped); %d cores; load %.2f %.2f %.2f'
              % (time.strftime('%Y-%m-%dT%H:%M:%S'), CLI, len(selected), repeats, big, small, a.rate / (1 << 20), a.timeout,
                 os.cpu_count(), *os.getloadavg()))
        print('# 50 downloaders: the simulated network (bench/sim/run.sh swarm --peers 50), not run here')
        sys.stdout.flush()
        for cell in selected:
            size = (big if cell['links'] == 'uncapped' else small) << 20
            torrent = torrents[size][cell['meet']]
            times, copies = {s: [] for s in SEEDS}, []
            # A capped seed that alone feeds every downloader needs n F / cap: the timeout is on top of that.
            timeout = a.timeout + (cell['n'] * size / a.rate if cell['links'] != 'uncapped' else 0)
            try:
                for r in range(1, repeats + 1):
                    for seed in SEEDS if r % 2 == 1 else SEEDS[::-1]:
                        if times[seed] and times[seed][-1] == math.inf:
                            continue  # a seed that timed out once in this cell is not given the timeout again
                        t, copy = run(work, cell, seed, torrent, size, a.rate, tracker if cell['meet'] == 'tracker' else None,
                                      timeout, not a.no_trace, a.keep_traces)
                        times[seed].append(t)
                        if seed == 'torrentlab' and copy is not None:
                            copies.append(copy)
                print(line(cell, size, a.rate, times, copies, timeout, os.getloadavg()[0]))
            except RuntimeError as e:  # a seed that never got ready: say so and go on
                print('%-35s error: %s' % (cell['name'], ' '.join(str(e).split())[:300]))
            sys.stdout.flush()
        print('# done in %.0f s; load %.2f %.2f %.2f' % (time.monotonic() - started, *os.getloadavg()))
    finally:
        if tracker:
            tracker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
