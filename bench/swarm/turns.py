#!/usr/bin/python3
"""How each uploader of a swarm shared its upload among the peers it served, from wire traces.

Reads either a real run's traces (a folder SEED_TRACE_DIR=DIR /usr/bin/python3 bench/swarm/swarm.py --trace-all filled:
seed-KIND-nN-STAMP.log and peer-KIND-nN-STAMP-pXX.log; STAMP picks the run, the newest by default) or a simulated
run's (the file bench/sim/run.sh swarm ... --wire FILE wrote). Prints, per uploader: the blocks it sent, its upload
over the run (MiB/s, from the first block any host sent to the last), blocks per turn (a turn: blocks sent one after
another to the same peer), and how long a request waited before its block went out (median, 90th percentile).

A hub that serves its requesters a block at a time finishes every piece late for all of them; one that serves a run of
blocks to one requester hands a whole piece on at its full rate (bench/notes/swarm.md, "Why the simulator's super-seed was
faster").

usage: /usr/bin/python3 bench/swarm/turns.py DIR [STAMP] | FILE
"""
import collections, glob, os, re, statistics, sys

LINE_REAL = re.compile(r'(\d\d):(\d\d):(\d\d\.\d+) (\S+) (->|<-) (request|piece) index=(\d+) begin=(\d+)')
LINE_SIM = re.compile(r'(\d+\.\d+) (\S+) (\S+) (->|<-) (request|piece) index=(\d+) begin=(\d+)')


def real_events(folder, stamp=None):
    files = glob.glob(os.path.join(folder, 'peer-*.log')) + glob.glob(os.path.join(folder, 'seed-*.log'))
    stamps = sorted({re.search(r'-(\d{9,})', os.path.basename(f)).group(1) for f in files})
    if not stamps:
        sys.exit('no traces in %s (SEED_TRACE_DIR=DIR bench/swarm/swarm.py --trace-all)' % folder)
    stamp = stamp or stamps[-1]
    for f in files:
        name = os.path.basename(f)
        if stamp not in name:
            continue
        host = 'seed' if name.startswith('seed-') else re.search(r'-(p\d+)\.log$', name).group(1)
        with open(f) as lines:
            for line in lines:
                m = LINE_REAL.match(line)
                if m:
                    t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
                    yield t, host, m.group(4), m.group(5), m.group(6), (m.group(7), m.group(8))


def sim_events(path):
    with open(path) as lines:
        for line in lines:
            m = LINE_SIM.match(line)
            if m:
                yield float(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5), (m.group(6), m.group(7))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    events = sorted(real_events(source, sys.argv[2] if len(sys.argv) > 2 else None) if os.path.isdir(source)
                    else sim_events(source), key=lambda e: e[0])
    sent = [e[0] for e in events if e[3] == '->' and e[4] == 'piece']
    if not sent:
        sys.exit('no blocks in the traces')
    span = max(sent) - min(sent)
    asked, waits, blocks, turns, last_to = {}, collections.defaultdict(list), collections.Counter(), collections.Counter(), {}
    for t, host, peer, direction, kind, block in events:
        if direction == '<-' and kind == 'request':
            asked[(host, peer, block)] = t
        elif direction == '->' and kind == 'piece':
            blocks[host] += 1
            if last_to.get(host) != peer:
                turns[host] += 1
                last_to[host] = peer
            at = asked.pop((host, peer, block), None)
            if at is not None:
                waits[host].append(t - at)
    print('%-6s %7s %8s %11s %13s %13s' % ('host', 'blocks', 'MiB/s', 'per turn', 'wait median', 'wait p90'))
    for host in sorted(blocks, key=lambda h: (h != 'seed', h)):
        w = waits[host]
        p90 = statistics.quantiles(w, n=10)[-1] if len(w) > 1 else float('nan')
        print('%-6s %7d %8.2f %11.1f %12.3fs %12.3fs' % (host, blocks[host], blocks[host] / 64 / span, blocks[host] / turns[host],
                                                        statistics.median(w) if w else float('nan'), p90))


if __name__ == '__main__':
    main()
