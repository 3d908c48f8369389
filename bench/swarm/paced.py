#!/usr/bin/python3
"""CPU per MiB at 1 MiB/s, one peer paced by the other, TorrentLab beside libtorrent.

Two cases, each for both clients, through one opentracker on loopback, F = 32 MiB:
  seeder paced by its downloader: an uncapped seeder (the client measured) and a libtorrent downloader whose download
      is capped at 1 MiB/s; the seeder's CPU from "ready" to the downloader's completion, per MiB sent;
  rate-limited downloader: a libtorrent seeder whose upload is capped at 1 MiB/s and a downloader (the client
      measured); the downloader's whole-process CPU (start-up and the JIT included) per MiB received.
CPU is utime+stime from /proc. Reuses bench/swarm/swarm.py's helpers.

usage: /usr/bin/python3 bench/swarm/paced.py [--runs 2] [--mib 32] [--rate 1048576]
"""
import argparse, os, shutil, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import swarm  # noqa: E402


def case(work, torrent, size, tracker, measured, role, rate):
    tracker.restart()
    base = tempfile.mkdtemp(prefix='paced-', dir=work)
    load = os.getloadavg()[0]
    procs = []
    try:
        if role == 'seeder':
            seeder = swarm.start(measured, 'seed', 'seeder', torrent, os.path.join(work, 'data'), swarm.free_port(), 0, False)
            procs.append(seeder)
            if not seeder.ready.wait(120):
                raise RuntimeError('seeder not ready')
            time.sleep(1.0)
            before = swarm.cpu_seconds(seeder.proc.pid)
            os.environ['LT_DOWN_RATE'] = str(rate)
            downloader = swarm.start('libtorrent', 'get', 'downloader', torrent, os.path.join(base, 'd'), swarm.free_port(), 0, False)
            del os.environ['LT_DOWN_RATE']
            procs.append(downloader)
            watched, who = downloader, seeder
        else:
            seeder = swarm.start('libtorrent', 'seed', 'seeder', torrent, os.path.join(work, 'data'), swarm.free_port(), rate, False)
            procs.append(seeder)
            if not seeder.ready.wait(120):
                raise RuntimeError('seeder not ready')
            before = 0.0
            downloader = swarm.start(measured, 'get', 'downloader', torrent, os.path.join(base, 'd'), swarm.free_port(), 0, False)
            procs.append(downloader)
            watched, who = downloader, downloader
        t0 = time.monotonic()
        while watched.done_at is None and time.monotonic() - t0 < 300:
            time.sleep(0.05)
        cpu = swarm.cpu_seconds(who.proc.pid) - before
        elapsed = (watched.done_at or float('nan')) - t0
    finally:
        for p in procs:
            p.stop()
        for p in procs:
            p.reap()
        shutil.rmtree(base, ignore_errors=True)
    mib = size / (1 << 20)
    print('%-10s %-10s %.1f s for %d MiB (%.2f MiB/s): CPU %.2f s, %.1f ms per MiB; load %.2f -> %.2f' % (
        measured, 'seeder' if role == 'seeder' else 'downloader', elapsed, mib, mib / elapsed, cpu, 1000 * cpu / mib, load,
        os.getloadavg()[0]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=2)
    ap.add_argument('--mib', type=int, default=32)
    ap.add_argument('--rate', type=int, default=1 << 20)
    a = ap.parse_args()
    import libtorrent as lt
    work = tempfile.mkdtemp(prefix='torrentlab-paced-bench-')
    tracker = None
    try:
        size = a.mib << 20
        swarm.SIZE = size
        port = swarm.free_port()
        torrent = swarm.make_torrent(work, 'paced', size, 38, port)
        tracker = swarm.OpenTracker(work, str(lt.torrent_info(torrent).info_hashes().v1))
        tracker.port = port
        print('F=%d MiB at %.2f MiB/s; CPU = utime+stime of the measured process' % (a.mib, a.rate / (1 << 20)))
        for _ in range(a.runs):
            for role in ('seeder', 'downloader'):
                for measured in ('torrentlab', 'libtorrent'):
                    case(work, torrent, size, tracker, measured, role, a.rate)
    finally:
        if tracker:
            tracker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
