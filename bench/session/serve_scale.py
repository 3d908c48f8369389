#!/usr/bin/env python3
"""Loads N small seeding torrents into one `torrentlab serve` and prints what one session costs.

usage: serve_scale.py TORRENTLAB N [WORK_DIR=/tmp/torrentlab-session-bench] [IDLE_SECONDS=60]
TORRENTLAB is the command to run (e.g. "dotnet TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll" or a Native AOT
binary). Everything stays on 127.0.0.1; the DHT is off. Prints, for the first start and for a restart: seconds until
every torrent is seeding, listening TCP sockets, bound UDP sockets, threads, RSS (MiB), RSS per torrent (KiB, over
the empty server's), and the idle CPU (% of one core) over IDLE_SECONDS.
"""
import json, os, re, shlex, shutil, signal, subprocess, sys, time, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
cli, count = shlex.split(sys.argv[1]), int(sys.argv[2])
work = sys.argv[3] if len(sys.argv) > 3 else '/tmp/torrentlab-session-bench'
idle_seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 60
tick = os.sysconf('SC_CLK_TCK')

def proc_stats(pid):
    status = open('/proc/%d/status' % pid).read()
    rss = int(re.search(r'VmRSS:\s+(\d+)', status).group(1)) / 1024
    threads = int(re.search(r'Threads:\s+(\d+)', status).group(1))
    inodes = set()
    for fd in os.listdir('/proc/%d/fd' % pid):
        try:
            target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
        except OSError:
            continue
        if target.startswith('socket:['): inodes.add(target[8:-1])
    def count_sockets(tables, listening):
        n = 0
        for table in tables:
            for line in open('/proc/%d/net/%s' % (pid, table)).readlines()[1:]:
                f = line.split()
                if f[9] in inodes and (not listening or f[3] == '0A'): n += 1
        return n
    return rss, threads, count_sockets(['tcp', 'tcp6'], True), count_sockets(['udp', 'udp6'], False)

def cpu_seconds(pid):
    fields = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def start(downloads, extra):
    process = subprocess.Popen(cli + ['serve', '--port', '0', '--downloads', downloads, '--no-dht', '--seed',
                                      '--bind', '127.0.0.1', '--max-active', '1000'] + extra,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = None
    while True:
        line = process.stdout.readline()
        if not line: raise SystemExit('serve ended before it printed its address')
        m = re.match(r'serving (http://[^/ ]+)/', line)
        if m: url = m.group(1)
        if line.startswith('peers reach every torrent on port'): return process, url

def api(url, path, body=None, content_type=None):
    request = urllib.request.Request(url + path, data=body, headers={'Content-Type': content_type} if content_type else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b'null')

def wait_all_seeding(url, started):
    while True:
        states = [t['state'] for t in api(url, '/api/torrents')]
        if len(states) == count and all(s == 'seeding' for s in states): return time.time() - started
        if time.time() - started > 3600: raise SystemExit('not all seeding after an hour')
        time.sleep(0.5)

def report(label, process, seconds, base_rss):
    time.sleep(2)
    rss, threads, tcp, udp = proc_stats(process.pid)
    before = cpu_seconds(process.pid)
    time.sleep(idle_seconds)
    idle = (cpu_seconds(process.pid) - before) / idle_seconds * 100
    per = (rss - base_rss) * 1024 / count
    print('%-8s N=%d  all seeding after %.1f s  TCP listening %d  UDP %d  threads %d  RSS %.0f MiB (%.1f KiB per torrent)  idle CPU %.2f %% of a core'
          % (label, count, seconds, tcp, udp, threads, rss, per, idle), flush=True)

def stop(process):
    process.send_signal(signal.SIGINT)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()

shutil.rmtree(work, ignore_errors=True)
torrents, downloads = os.path.join(work, 'torrents'), os.path.join(work, 'downloads')
subprocess.run([sys.executable, os.path.join(here, 'make_torrents.py'), str(count), torrents, downloads], check=True)

process, url = start(downloads, ['--peer-port', '0'])
time.sleep(2)
base_rss = proc_stats(process.pid)[0]
started = time.time()
for name in sorted(os.listdir(torrents)):
    with open(os.path.join(torrents, name), 'rb') as f:
        api(url, '/api/torrents?start=true', f.read(), 'application/x-bittorrent')
added = time.time() - started
seconds = wait_all_seeding(url, started)
print('added %d torrents through the API in %.1f s' % (count, added))
report('start', process, seconds, base_rss)
stop(process)

started = time.time()
process, url = start(downloads, [])
seconds = wait_all_seeding(url, started)
report('restart', process, seconds, base_rss)
stop(process)
