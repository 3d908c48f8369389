#!/usr/bin/env python3
"""What one poll of a remote client costs at N torrents with R of them running: TorrentLab's `serve` beside
transmission-daemon and qbittorrent-nox, in one run, one daemon after the other.

usage: poll_scale.py [N=10000] [--running 50] [--stalled] [--polls 20] [--warmup 1] [--interval 0]
                     [--clients torrentlab,transmission,qbittorrent] [--torrentlab CMD] [--work DIR]

Each daemon gets N small torrents (bench/session/make_torrents.py: 1 MiB files with their data in place) through its
own API, paused (serve and qBittorrent through the qBittorrent API, 100 per request with skip_checking; Transmission
through its RPC, one per request), then R of them are started: they seed, with no peer. With --stalled the R are downloads instead: their data is not there, so
they are added to be checked (found empty) and, started, download from nobody (qBittorrent's stalledDL), as a list of
downloads waiting for peers. Then, for each client's usual
call, W warm-up polls (--warmup, 1 by default) and P timed polls, one after the other:

  transmission-web   Transmission's web client (3.00) refreshing its list: torrent-get, ids "recently-active", the
                     fields of its Torrent.Fields.Stats (its first load asks for every torrent once; not timed here)
  transmission-remote-l  transmission-remote -l: torrent-get of every torrent, the 14 fields of its list
  transmission-remote    the program itself, `transmission-remote 127.0.0.1:PORT -l`, timed as a process
  qbittorrent-getAllData @ctrl/qbittorrent's getAllData: torrents/info with no parameter (every torrent, every field)
  qbittorrent-maindata   qBittorrent's own web page: sync/maindata with the rid of its last answer (a delta)
  prometheus_scrape      serve only: GET /metrics, as a Prometheus scrapes it (every torrent's series)

--interval waits that many seconds between timed polls (qBittorrent's web page polls every 1.5 s by default): what
changes between polls at a client's own pace, such as the seconds a running torrent has been active, then shows in the
deltas. For each: the median and largest wall time of a poll (request sent to answer read), the answer's bytes, and the
daemon's CPU per poll (its utime+stime from /proc over the P polls, divided by P), which at one poll a second is the
share of a core a polling client costs. serve is a .NET program: its first hundred or so polls of a call also pay for
the JIT compiling the methods they run again with full optimisation (tiered compilation, on a background thread that
counts in its CPU), so `--warmup 150` measures a client that has been polling for a few minutes. Everything stays on 127.0.0.1, DHT, LSD, UPnP and PEX off in every daemon.
"""
import argparse, base64, json, os, shutil, statistics, subprocess, sys, time, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'session'))
import serve_scale as scale  # noqa: E402  (its daemons, their configuration and /proc readers)

TR_WEB_STATS = ['error', 'errorString', 'eta', 'isFinished', 'isStalled', 'leftUntilDone', 'metadataPercentComplete',
                'peersConnected', 'peersGettingFromUs', 'peersSendingToUs', 'percentDone', 'queuePosition', 'rateDownload',
                'rateUpload', 'recheckProgress', 'seedRatioMode', 'seedRatioLimit', 'sizeWhenDone', 'status', 'trackers',
                'downloadDir', 'uploadedEver', 'uploadRatio', 'webseedsSendingToUs', 'id']
TR_REMOTE_LIST = ['error', 'errorString', 'eta', 'id', 'isFinished', 'leftUntilDone', 'name', 'peersGettingFromUs',
                  'peersSendingToUs', 'rateDownload', 'rateUpload', 'sizeWhenDone', 'status', 'uploadRatio']


def timed(call):
    started = time.perf_counter()
    size = call()
    return time.perf_counter() - started, size


def rpc_poll(url):
    """A Transmission RPC client with its session id: returns a function making one call and giving the answer's bytes."""
    state = {'id': ''}

    def call(method, arguments):
        body = json.dumps({'method': method, 'arguments': arguments}).encode()
        for _ in range(3):
            request = urllib.request.Request(url, data=body, headers={'X-Transmission-Session-Id': state['id']})
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    data = response.read()
                    answer = json.loads(data)
                    if answer.get('result') != 'success': raise SystemExit('%s %s: %s' % (url, method, answer.get('result')))
                    return data
            except urllib.error.HTTPError as e:
                if e.code != 409: raise
                state['id'] = e.headers['X-Transmission-Session-Id']
        raise SystemExit('no session id from ' + url)
    return call


def get(url):
    with urllib.request.urlopen(url, timeout=600) as response:
        return response.read()


def add_paused_qbittorrent_api(base, paths, skip=True):
    for i in range(0, len(paths), 100):
        fields = {'paused': 'true', 'skip_checking': 'true'} if skip else {'paused': 'true'}
        body, content_type = scale.multipart(paths[i:i + 100], fields)
        scale.http(base + '/api/v2/torrents/add', body, {'Content-Type': content_type})


def measure(name, pid, polls, call, warmup=1, interval=0.0):
    for _ in range(warmup): call()  # the first recently-active answer, a first sync/maindata; serve's JIT
    times, sizes = [], []
    before = scale.cpu_seconds(pid)
    for i in range(polls):
        if interval and i: time.sleep(interval)  # a client's own pace between polls (--interval), not a wait for a state
        seconds, size = timed(call)
        times.append(seconds)
        sizes.append(size)
    cpu = (scale.cpu_seconds(pid) - before) / polls
    print('%-26s %-24s after %3d: poll median %7.1f ms  max %7.1f ms  %10d bytes  CPU %6.1f ms per poll (%5.2f %% of a core at one poll a second)'
          % (name, call.__name__, warmup, statistics.median(times) * 1000, max(times) * 1000, int(statistics.median(sizes)), cpu * 1000, cpu * 100),
          flush=True)


def run_transmission_polls(label, pid, rpc_url, polls, warmup, interval):
    call = rpc_poll(rpc_url)

    def transmission_web():
        return len(call('torrent-get', {'ids': 'recently-active', 'fields': TR_WEB_STATS}))

    def transmission_remote_l():
        return len(call('torrent-get', {'fields': TR_REMOTE_LIST}))

    host = rpc_url.split('/')[2]

    def transmission_remote():
        out = subprocess.run(['transmission-remote', host, '-l'], capture_output=True, env=dict(os.environ, HOME='/tmp'), timeout=600)
        if out.returncode != 0: raise SystemExit('transmission-remote -l: ' + out.stderr.decode()[:200])
        return len(out.stdout)

    for poll in (transmission_web, transmission_remote_l, transmission_remote):
        measure(label, pid, polls, poll, warmup, interval)


def run_qbittorrent_polls(label, pid, base, polls, warmup, interval):
    state = {'rid': 0}

    def qbittorrent_getAllData():
        return len(get(base + '/api/v2/torrents/info'))

    # A session of its own (a SID cookie), so qbittorrent-nox keeps this client's last answer and sends deltas.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.open(urllib.request.Request(base + '/api/v2/auth/login', data=b'username=admin&password=adminadmin'), timeout=60).read()

    def qbittorrent_maindata():
        data = opener.open(base + '/api/v2/sync/maindata?rid=%d' % state['rid'], timeout=600).read()
        state['rid'] = json.loads(data)['rid']
        return len(data)

    for poll in (qbittorrent_getAllData, qbittorrent_maindata):
        measure(label, pid, polls, poll, warmup, interval)


def run_metrics_scrapes(label, pid, base, polls, warmup, interval):
    def prometheus_scrape():
        return len(get(base + '/metrics'))  # what a Prometheus reads at each scrape: every torrent's series
    measure(label, pid, polls, prometheus_scrape, warmup, interval)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('count', type=int, nargs='?', default=10000)
    parser.add_argument('--running', type=int, default=50)
    parser.add_argument('--stalled', action='store_true', help='the running torrents are downloads with no data and no peer')
    parser.add_argument('--polls', type=int, default=20)
    parser.add_argument('--interval', type=float, default=0.0, help='seconds between timed polls')
    parser.add_argument('--warmup', type=int, default=1, help='polls of each call before the timed ones')
    parser.add_argument('--clients', default='torrentlab,transmission,qbittorrent')
    parser.add_argument('--torrentlab', default='dotnet TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll')
    parser.add_argument('--work', default='/tmp/torrentlab-poll-bench')
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    torrents, data = os.path.join(args.work, 'torrents'), os.path.join(args.work, 'data')
    subprocess.run([sys.executable, os.path.join(here, '..', 'session', 'make_torrents.py'), str(args.count), torrents, data], check=True)
    paths = sorted(os.path.join(torrents, name) for name in os.listdir(torrents))
    running = paths[:args.running]
    wanted = 'downloading' if args.stalled else 'seeding'
    print('poll_scale: %d torrents, %d running (%s), %d polls per call %.1f s apart after %d warm-up polls, load %s'
          % (args.count, args.running, wanted, args.polls, args.interval, args.warmup, open('/proc/loadavg').read().split()[0]), flush=True)
    for name in args.clients.split(','):
        work = os.path.join(args.work, name)
        os.makedirs(work, exist_ok=True)
        shutil.copytree(data, os.path.join(work, 'downloads'), copy_function=os.link)
        if args.stalled:
            for path in running: os.remove(os.path.join(work, 'downloads', os.path.basename(path)[:-len('.torrent')]))
        client = {'torrentlab': lambda: scale.TorrentLab(args.torrentlab, work), 'transmission': lambda: scale.Transmission(work),
                  'qbittorrent': lambda: scale.QBittorrent(work)}[name]()
        try:
            client.start(first=True)
            pid = client.process.pid
            started = time.time()
            if name == 'transmission':
                rpc = rpc_poll('http://127.0.0.1:%d/transmission/rpc' % client.rpc_port)
                for path in paths:
                    rpc('torrent-add', {'metainfo': base64.b64encode(open(path, 'rb').read()).decode(), 'download-dir': client.downloads, 'paused': True})
                # Transmission verifies every torrent it is given, paused ones too, one at a time (about 0.1 s each
                # here, most of it a pause it makes per torrent): the start waits until none is checking or waiting to
                # (a torrent started while it waits to be checked goes to the end of that queue).
                scale.wait_until(lambda: not any(t['status'] in (1, 2) for t in json.loads(rpc('torrent-get', {'fields': ['status']}))['arguments']['torrents']),
                                 'transmission: every torrent verified', limit=3 * 3600, step=10)
                rpc('torrent-start', {'ids': list(range(1, args.running + 1))})  # ids in the order added: the first R paths
                status = 4 if args.stalled else 6
                scale.wait_until(lambda: sum(1 for t in json.loads(rpc('torrent-get', {'fields': ['status']}))['arguments']['torrents']
                                             if t['status'] == status) >= args.running, 'transmission: %d %s' % (args.running, wanted))
            else:
                base = client.url if name == 'torrentlab' else 'http://127.0.0.1:%d' % client.web_port
                if args.stalled:
                    add_paused_qbittorrent_api(base, running, skip=False)  # checked: found without their data
                    add_paused_qbittorrent_api(base, paths[args.running:])
                else:
                    add_paused_qbittorrent_api(base, paths)
                info = json.loads(get(base + '/api/v2/torrents/info'))
                names = set(os.path.basename(path)[:-len('.torrent')] for path in running)
                hashes = sorted(t['hash'] for t in info if t['name'] in names)
                scale.wait_until(lambda: not any(t['state'].startswith('checking') for t in json.loads(get(base + '/api/v2/torrents/info'))),
                                 '%s: none checking' % name)
                scale.http(base + '/api/v2/torrents/resume', ('hashes=' + '|'.join(hashes)).encode(),
                           {'Content-Type': 'application/x-www-form-urlencoded'})
                scale.wait_until(lambda: sum(1 for t in json.loads(get(base + '/api/v2/torrents/info?filter=' + wanted))) >= args.running,
                                 '%s: %d %s' % (name, args.running, wanted))
            print('%-26s %d torrents added paused, %d started, in %.0f s; RSS %.0f MiB; load %s' % (client.name, args.count, args.running,
                  time.time() - started, scale.proc_stats(pid)[0], open('/proc/loadavg').read().split()[0]), flush=True)
            # Past the 60 s in which a torrent just added, checked or started is "recently active" in both Transmission
            # and serve: the web client's polls then see what a long-running daemon's do.
            time.sleep(65)
            if name in ('torrentlab', 'transmission'):
                rpc_url = (client.url if name == 'torrentlab' else 'http://127.0.0.1:%d' % client.rpc_port) + '/transmission/rpc'
                run_transmission_polls(client.name, pid, rpc_url, args.polls, args.warmup, args.interval)
            if name == 'torrentlab':
                run_metrics_scrapes(client.name, pid, client.url, args.polls, args.warmup, args.interval)
            if name in ('torrentlab', 'qbittorrent'):
                run_qbittorrent_polls(client.name, pid, client.url if name == 'torrentlab' else 'http://127.0.0.1:%d' % client.web_port, args.polls, args.warmup, args.interval)
        finally:
            if getattr(client, 'process', None) is not None and client.process.poll() is None: client.stop()


if __name__ == '__main__':
    main()
