#!/usr/bin/env python3
"""Loads N small seeding torrents into one long-running client and prints what that client costs: TorrentLab's
`serve`, transmission-daemon and qbittorrent-nox, in one run, one after the other.

usage: serve_scale.py N [--clients torrentlab,transmission,qbittorrent] [--torrentlab CMD] [--work DIR] [--idle SECONDS]
                      [--hold SECONDS] [--torrentlab-checks] [--torrentlab-single]

--torrentlab is the command that runs TorrentLab (default: the JIT Release build,
"dotnet TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll"; a Native AOT binary works too).
Everything stays on 127.0.0.1: DHT, local peer discovery, UPnP/NAT-PMP and PEX are off in every client. Each torrent is
a 1 MiB file with its data already in place (bench/session/make_torrents.py), added through a remote API: to ours and
to qBittorrent through the qBittorrent WebUI API, 100 torrents per request (ours through its own API, one per request,
with --torrentlab-single), to Transmission through its RPC, one per request. Ours and qBittorrent are told to skip the
hash check (ours hashes with --torrentlab-checks); Transmission has no such switch and verifies. For the first start and for a restart of the same client,
prints: seconds from the first add (or the restart) until every torrent is seeding, seconds from SIGINT (ours) or SIGTERM
(theirs) until the process exits, seconds from a restart until the remote API answers, listening TCP sockets, bound UDP
sockets, threads, anonymous RSS (MiB: the process's own memory, without the pages of files it maps) 2 s after all are
seeding and again at the end of the idle window, the latter per torrent (KiB above the empty client's: what an idle
torrent costs), and the idle CPU (% of one core) over the idle window.
"""
import argparse, base64, concurrent.futures, json, os, re, shlex, shutil, signal, socket, subprocess, sys, time, urllib.error, urllib.request, uuid

here = os.path.dirname(os.path.abspath(__file__))
tick = os.sysconf('SC_CLK_TCK')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def proc_stats(pid):
    status = open('/proc/%d/status' % pid).read()
    # Anonymous memory: libtorrent (qBittorrent) maps the files it checks and serves, and those file pages would count
    # in VmRSS as the client's memory.
    rss = int(re.search(r'RssAnon:\s+(\d+)', status).group(1)) / 1024
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


def http(url, body=None, headers=None, method=None, timeout=300):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read(), response.headers


def wait_until(check, what, limit=3600, step=0.5):
    started = time.time()
    while True:
        if check(): return time.time() - started
        if time.time() - started > limit: raise SystemExit('%s: not after %d s' % (what, limit))
        time.sleep(step)


def multipart(files, fields):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)).encode())
    for path in files:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="torrents"; filename="%s"\r\n'
                      'Content-Type: application/x-bittorrent\r\n\r\n' % (boundary, os.path.basename(path))).encode()
                     + open(path, 'rb').read() + b'\r\n')
    parts.append(('--%s--\r\n' % boundary).encode())
    return b''.join(parts), 'multipart/form-data; boundary=' + boundary


class TorrentLab:
    name = 'torrentlab'

    def __init__(self, command, work, check=False, single=False):
        self.command, self.work, self.check, self.single = shlex.split(command), work, check, single
        self.downloads = os.path.join(work, 'downloads')
        self.process = self.url = None

    def start(self, first):
        args = ['serve', '--port', '0', '--downloads', self.downloads, '--no-dht', '--seed', '--bind', '127.0.0.1', '--max-active', '1000']
        if first: args += ['--peer-port', str(free_port())]
        self.process = subprocess.Popen(self.command + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        while True:
            line = self.process.stdout.readline()
            if not line: raise SystemExit('serve ended before it printed its address')
            m = re.match(r'serving (http://[^/ ]+)/', line)
            if m: self.url = m.group(1)
            if line.startswith('peers reach every torrent on port'): return

    def api(self, path, body=None, content_type=None):
        data, _ = http(self.url + path, body, {'Content-Type': content_type} if content_type else {})
        return json.loads(data or b'null')

    def add(self, paths):
        if not self.single:
            # As qBittorrent is added to below: the qBittorrent API's torrents/add, 100 .torrent files per request.
            for i in range(0, len(paths), 100):
                fields = {'savepath': self.downloads} if self.check else {'savepath': self.downloads, 'skip_checking': 'true'}
                body, content_type = multipart(paths[i:i + 100], fields)
                http(self.url + '/api/v2/torrents/add', body, {'Content-Type': content_type})
            return
        # --torrentlab-single: our own API, eight requests at a time, one torrent each (as a remote tool adding a folder
        # would, or Transmission's RPC).
        # skipChecking, as qBittorrent's skip_checking below: the data is known to be right, so neither hashes it.
        query = '/api/torrents?start=true' + ('' if self.check else '&skipChecking=true')
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda path: self.api(query, open(path, 'rb').read(), 'application/x-bittorrent'), paths))

    def seeding(self, count):
        states = [t['state'] for t in self.api('/api/torrents')]
        return len(states) == count and all(s == 'seeding' for s in states)

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try: self.process.wait(120)
        except subprocess.TimeoutExpired: self.process.kill(); self.process.wait()


class Transmission:
    name = 'transmission-daemon'

    def __init__(self, work):
        self.work, self.config = work, os.path.join(work, 'config')
        self.downloads = os.path.join(work, 'downloads')
        self.rpc_port, self.peer_port = free_port(), free_port()
        self.session_id = ''
        os.makedirs(self.config, exist_ok=True)
        json.dump({'bind-address-ipv4': '127.0.0.1', 'bind-address-ipv6': '::1', 'dht-enabled': False, 'lpd-enabled': False,
                   'pex-enabled': False, 'port-forwarding-enabled': False, 'peer-port': self.peer_port, 'peer-port-random-on-start': False,
                   'rpc-enabled': True, 'rpc-bind-address': '127.0.0.1', 'rpc-port': self.rpc_port, 'rpc-authentication-required': False,
                   'rpc-whitelist-enabled': True, 'rpc-whitelist': '127.0.0.1', 'rpc-host-whitelist-enabled': False,
                   'download-dir': self.downloads, 'download-queue-enabled': False, 'seed-queue-enabled': False,
                   'queue-stalled-enabled': False, 'ratio-limit-enabled': False, 'idle-seeding-limit-enabled': False,
                   'blocklist-enabled': False, 'message-level': 1}, open(os.path.join(self.config, 'settings.json'), 'w'))

    def start(self, first):
        self.process = subprocess.Popen(['transmission-daemon', '-f', '-g', self.config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.try_rpc('session-get') is not None, 'transmission RPC', 60, 0.2)

    def try_rpc(self, method, arguments=None):
        try: return self.rpc(method, arguments)
        except (urllib.error.URLError, ConnectionError): return None

    def rpc(self, method, arguments=None):
        body = json.dumps({'method': method, 'arguments': arguments or {}}).encode()
        for _ in range(3):
            try:
                data, _ = http('http://127.0.0.1:%d/transmission/rpc' % self.rpc_port, body, {'X-Transmission-Session-Id': self.session_id})
                return json.loads(data)['arguments']
            except urllib.error.HTTPError as e:
                if e.code != 409: raise
                self.session_id = e.headers['X-Transmission-Session-Id']
        raise SystemExit('transmission: no session id')

    def add(self, paths):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda path: self.rpc('torrent-add', {'metainfo': base64.b64encode(open(path, 'rb').read()).decode(),
                                                                'download-dir': self.downloads}), paths))

    def seeding(self, count):
        torrents = self.rpc('torrent-get', {'fields': ['status']})['torrents']
        return len(torrents) == count and all(t['status'] == 6 for t in torrents)  # 6: TR_STATUS_SEED

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try: self.process.wait(120)
        except subprocess.TimeoutExpired: self.process.kill(); self.process.wait()


class QBittorrent:
    name = 'qbittorrent-nox'

    def __init__(self, work):
        self.work, self.profile = work, os.path.join(work, 'profile')
        self.downloads = os.path.join(work, 'downloads')
        self.web_port, self.peer_port = free_port(), free_port()
        config = os.path.join(self.profile, 'qBittorrent', 'config')
        os.makedirs(config, exist_ok=True)
        open(os.path.join(config, 'qBittorrent.conf'), 'w').write('\n'.join([
            '[LegalNotice]', 'Accepted=true', '',
            '[BitTorrent]', 'Session\\Port=%d' % self.peer_port, 'Session\\InterfaceAddress=127.0.0.1', 'Session\\Interface=lo',
            'Session\\QueueingSystemEnabled=false', 'Session\\DefaultSavePath=%s' % self.downloads, 'Session\\DHTEnabled=false',
            'Session\\LSDEnabled=false', 'Session\\PeXEnabled=false', 'Session\\AnonymousModeEnabled=false', '',
            '[Preferences]', 'WebUI\\Address=127.0.0.1', 'WebUI\\Port=%d' % self.web_port, 'WebUI\\LocalHostAuth=false',
            'WebUI\\CSRFProtection=false', 'WebUI\\HostHeaderValidation=false', 'Bittorrent\\DHT=false', 'Bittorrent\\LSD=false',
            'Bittorrent\\PeX=false', 'Connection\\UPnP=false', 'Connection\\ResolvePeerCountries=false',
            'Downloads\\SavePath=%s' % self.downloads, '']))

    def start(self, first):
        self.process = subprocess.Popen(['qbittorrent-nox', '--profile=' + self.profile, '--webui-port=%d' % self.web_port],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.try_get('/api/v2/app/version') is not None, 'qbittorrent WebUI', 60, 0.2)

    def try_get(self, path):
        try: return http('http://127.0.0.1:%d%s' % (self.web_port, path))[0]
        except (urllib.error.URLError, ConnectionError): return None

    def add(self, paths):
        for i in range(0, len(paths), 100):
            # skip_checking: qBittorrent checks one small torrent a second (1,000 took over a quarter of an hour here);
            # told the data is complete, it seeds at once, as it did in the measurement.
            body, content_type = multipart(paths[i:i + 100], {'savepath': self.downloads, 'skip_checking': 'true'})
            http('http://127.0.0.1:%d/api/v2/torrents/add' % self.web_port, body, {'Content-Type': content_type})

    def seeding(self, count):
        torrents = json.loads(self.try_get('/api/v2/torrents/info') or b'[]')
        return len(torrents) == count and all(t['state'] in ('uploading', 'stalledUP', 'forcedUP') for t in torrents)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try: self.process.wait(120)
        except subprocess.TimeoutExpired: self.process.kill(); self.process.wait()


def report(client, label, count, seconds, base_rss, idle_seconds):
    time.sleep(2)
    pid = client.process.pid
    busy_rss = proc_stats(pid)[0]
    before = cpu_seconds(pid)
    time.sleep(idle_seconds)
    idle = (cpu_seconds(pid) - before) / idle_seconds * 100
    rss, threads, tcp, udp = proc_stats(pid)
    per = (rss - base_rss) * 1024 / count
    print('%-20s %-8s N=%d  all seeding after %7.1f s  TCP listening %d  UDP %d  threads %4d  RSS (anon) %5.0f MiB when all seeding, '
          '%5.0f MiB after the idle window (%6.1f KiB per torrent)  idle CPU %.2f %% of a core'
          % (client.name, label, count, seconds, tcp, udp, threads, busy_rss, rss, per, idle), flush=True)


def run(client, torrents, count, idle_seconds, hold_seconds=0):
    try:
        measure(client, torrents, count, idle_seconds, hold_seconds)
    finally:
        # Interrupted (Ctrl-C, a kill, an error): the client must not outlive the benchmark, seeding into the next run's folder.
        if getattr(client, 'process', None) is not None and client.process.poll() is None: client.stop()


def measure(client, torrents, count, idle_seconds, hold_seconds):
    client.start(first=True)
    time.sleep(2)
    base_rss = proc_stats(client.process.pid)[0]
    paths = sorted(os.path.join(torrents, name) for name in os.listdir(torrents))
    started = time.time()
    client.add(paths)
    added = time.time() - started
    seconds = added + wait_until(lambda: client.seeding(count), client.name + ' seeding')
    print('%-20s added %d torrents through its API in %.1f s' % (client.name, count, added), flush=True)
    report(client, 'start', count, seconds, base_rss, idle_seconds)
    stopped = timed(client.stop)
    started = time.time()
    client.start(first=False)
    answering = time.time() - started
    seconds = answering + wait_until(lambda: client.seeding(count), client.name + ' seeding after a restart')
    report(client, 'restart', count, seconds, base_rss, idle_seconds)
    if hold_seconds > 0:  # time to look at the restarted process (a heap walk, perf) before it stops
        print('%-20s holding pid %d for %.0f s' % (client.name, client.process.pid, hold_seconds), flush=True)
        time.sleep(hold_seconds)
    stopped_again = timed(client.stop)
    print('%-20s stop   N=%d  exited %.1f s and %.1f s after the signal; after the restart its API answered in %.1f s'
          % (client.name, count, stopped, stopped_again, answering), flush=True)


def timed(action):
    started = time.time()
    action()
    return time.time() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('count', type=int)
    parser.add_argument('--clients', default='torrentlab,transmission,qbittorrent')
    parser.add_argument('--torrentlab', default='dotnet TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll')
    parser.add_argument('--work', default='/tmp/torrentlab-session-bench')
    parser.add_argument('--idle', type=float, default=60)
    parser.add_argument('--hold', type=float, default=0, help='seconds to keep each client running after its restart report')
    parser.add_argument('--torrentlab-checks', action='store_true',
                        help='add to TorrentLab without skipChecking: it hashes each torrent\'s data before it seeds')
    parser.add_argument('--torrentlab-single', action='store_true',
                        help='add to TorrentLab through its own API, one torrent per request (by default: as to qBittorrent, '
                             'through the qBittorrent API, 100 per request)')
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill stops the client too (see run)
    deleted = os.path.isdir(args.work)
    shutil.rmtree(args.work, ignore_errors=True)
    deleted_at = time.time()
    torrents, data = os.path.join(args.work, 'torrents'), os.path.join(args.work, 'data')
    subprocess.run([sys.executable, os.path.join(here, 'make_torrents.py'), str(args.count), torrents, data], check=True)
    for name in args.clients.split(','):
        work = os.path.join(args.work, name)
        downloads = os.path.join(work, 'downloads')
        os.makedirs(work, exist_ok=True)
        # Each client seeds its own copy of the data (hard links: no client writes a seeding torrent's file).
        shutil.copytree(data, downloads, copy_function=os.link)
        # ext4 without a journal (this VM's) will not reuse an inode freed in the last 60 s, or in the last 300 s more
        # while its inode table block is dirty (fs/ext4/ialloc.c, recently_deleted): each file a client creates scans
        # past the previous run's 40,000 deleted inodes, reading each one's deletion time, and the client's own new
        # files keep those blocks dirty. Whichever client ran first after a deletion paid for it (8-12 s for the same
        # build). Flush, and let the deleted inodes age past both limits.
        os.sync()
        wait = deleted_at + 365 - time.time() if deleted else 0
        if wait > 0:
            print('waiting %.0f s: inodes freed by deleting the last run are not reused for 360 s (ext4 without a journal)' % wait,
                  flush=True)
        time.sleep(max(wait, 5))
        client = {'torrentlab': lambda: TorrentLab(args.torrentlab, work, args.torrentlab_checks, args.torrentlab_single), 'transmission': lambda: Transmission(work),
                  'qbittorrent': lambda: QBittorrent(work)}[name]()
        run(client, torrents, args.count, args.idle, args.hold)


if __name__ == '__main__':
    main()
