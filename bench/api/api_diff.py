#!/usr/bin/python3
"""The remote-control APIs beside the real daemons: the same calls against transmission-daemon 3.00, qbittorrent-nox
4.5.2 and `torrentlab serve`, and a report of every route or method serve lacks, every field it lacks or gives another
JSON type, and every field it answers null.

usage: /usr/bin/python3 bench/api/api_diff.py [--torrentlab CMD] [--work DIR] [--doc docs/web.md] [--fixture PATH]
                                              [--dump DIR] [--only transmission|qbittorrent]

--torrentlab is the command that runs TorrentLab (default: the Debug build, "dotnet
TorrentLab.Cli/bin/Debug/net10.0/TorrentLab.Cli.dll"). --doc rewrites the report's section of that file (between the
markers `<!-- api-diff:begin -->` and `<!-- api-diff:end -->`); --fixture writes the real daemons' answers' shapes
(every field's path and JSON type, per call) for the tests that pin them (TorrentLab.Tests/Web/ApiDiffTests.cs);
--dump keeps every answer of every server as a file.

Everything stays on 127.0.0.1: DHT, local peer discovery, UPnP/NAT-PMP and PEX are off in every daemon; the tracker is
a small HTTP tracker of this script; the web seed points at a closed port of 127.0.0.1; the peer of every torrent is
this script on the wire (a handshake, an empty bitfield, interested, then keep-alives), so each daemon lists one peer.
Calls that would reach outside (Transmission's port-test and blocklist-update) are never sent to the real daemons.

Each daemon gets the same torrent (two files, with its data in place: it seeds), announced to the tracker, with the
libtorrent peer connected; then the calls run, those that only read first. A call's answer is reduced to its shape:
every path (`torrents.*.hash`, `[].url`: `*` for a map's keys, `[]` for an array's elements) with its JSON type.
"""
import argparse, base64, datetime, hashlib, http.server, json, os, re, shlex, shutil, signal, socket, subprocess, sys
import tempfile, threading, time, urllib.error, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PIECE = 16384

# ---------------------------------------------------------------------------------------------------------------------
# What serve deliberately does not answer as the daemons do, and why. The report lists these apart; the tests pin the
# rest (a field of the real daemons missing from serve, or of another type, fails TorrentLab.Tests/Web/ApiDiffTests).
# Keys: 'transmission METHOD' or 'qbittorrent ROUTE', then a field path ('' for the whole route).
DELIBERATE = {
    # Transmission 3.00 answers these; serve answers them otherwise, or they are never sent (docs/web.md says so).
    ('transmission blocklist-update', ''): 'never sent to the real daemon: it fetches the blocklist URL, outside by default; serve\'s is tested on loopback (BlocklistApiTests)',
    ('transmission port-test', ''): 'never sent to the real daemon: it asks a web service outside; serve answers from loopback',
    ('transmission session-close', ''): 'refused: stop serve where it runs',
    # qBittorrent 4.5.2 routes TorrentLab has no feature for.
    ('qbittorrent search/plugins', ''): 'no search engine plugins (qBittorrent runs Python plugins that reach outside)',
    ('qbittorrent log/main', ''): 'no log kept for the API: serve writes its log to its standard output',
    ('qbittorrent log/peers', ''): 'no log kept for the API: serve writes its log to its standard output',
    ('qbittorrent torrents/setForceStart', ''): 'no force start: the queue starts torrents in order (topPrio puts one first)',
    ('qbittorrent torrents/toggleFirstLastPiecePrio', ''): 'the first and last pieces get no priority of their own',
    ('qbittorrent transfer/banPeers', ''): 'no ban list here',
    ('qbittorrent app/shutdown', ''): 'never sent: stop serve where it runs',
    # Fields answered as the version serve reports (app/version: qBittorrent 4.6), not as qbittorrent-nox 4.5.2.
    ('qbittorrent app/preferences', 'proxy_type'): 'a name ("None", "SOCKS5"), as qBittorrent 4.6 (the version serve reports) answers; 4.5.2 answered a number',
    # Fields of the real daemons that TorrentLab has no figure for (their types are kept; the values say "none").
}

# ---------------------------------------------------------------------------------------------------------------------
# The calls. Transmission: (name, method, arguments); the placeholders {id}, {hash} and {downloads} are filled per
# daemon. qBittorrent: (name, http method, route, parameters).
TR_FIELDS = [  # torrent-get's fields: rpc-version 16 (Transmission 3.00) and 17 (4.0); 3.00 leaves out those it lacks
    'activityDate', 'addedDate', 'availability', 'bandwidthPriority', 'comment', 'corruptEver', 'creator', 'dateCreated',
    'desiredAvailable', 'doneDate', 'downloadDir', 'downloadedEver', 'downloadLimit', 'downloadLimited', 'editDate',
    'error', 'errorString', 'eta', 'etaIdle', 'file-count', 'files', 'fileStats', 'group', 'hashString', 'haveUnchecked',
    'haveValid', 'honorsSessionLimits', 'id', 'isFinished', 'isPrivate', 'isStalled', 'labels', 'leftUntilDone',
    'magnetLink', 'manualAnnounceTime', 'maxConnectedPeers', 'metadataPercentComplete', 'name', 'peer-limit', 'peers',
    'peersConnected', 'peersFrom', 'peersGettingFromUs', 'peersSendingToUs', 'percentComplete', 'percentDone', 'pieces',
    'pieceCount', 'pieceSize', 'priorities', 'primary-mime-type', 'queuePosition', 'rateDownload', 'rateUpload',
    'recheckProgress', 'secondsDownloading', 'secondsSeeding', 'seedIdleLimit', 'seedIdleMode', 'seedRatioLimit',
    'seedRatioMode', 'sizeWhenDone', 'startDate', 'status', 'torrentFile', 'totalSize', 'trackers', 'trackerList',
    'trackerStats', 'uploadedEver', 'uploadLimit', 'uploadLimited', 'uploadRatio', 'wanted', 'webseeds',
    'webseedsSendingToUs',
]
# transmission-remote 3.00's -l (remote.c's list fields), and the fields Transmission's web client (3.00) asks for when
# it refreshes its list every few seconds (Torrent.Fields.Stats, with ids "recently-active").
TR_REMOTE_LIST = ['error', 'errorString', 'eta', 'id', 'isFinished', 'leftUntilDone', 'name', 'peersGettingFromUs',
                  'peersSendingToUs', 'rateDownload', 'rateUpload', 'sizeWhenDone', 'status', 'uploadRatio']
TR_WEB_STATS = ['error', 'errorString', 'eta', 'isFinished', 'isStalled', 'leftUntilDone', 'metadataPercentComplete',
                'peersConnected', 'peersGettingFromUs', 'peersSendingToUs', 'percentDone', 'queuePosition', 'rateDownload',
                'rateUpload', 'recheckProgress', 'seedRatioMode', 'seedRatioLimit', 'sizeWhenDone', 'status', 'trackers',
                'downloadDir', 'uploadedEver', 'uploadRatio', 'webseedsSendingToUs', 'id']

TR_CALLS = [
    ('session-get', 'session-get', {}),
    ('session-stats', 'session-stats', {}),
    ('torrent-get every field', 'torrent-get', {'ids': ['{id}'], 'fields': TR_FIELDS}),
    ('torrent-get transmission-remote -l', 'torrent-get', {'fields': TR_REMOTE_LIST}),
    ('torrent-get web client refresh', 'torrent-get', {'ids': 'recently-active', 'fields': TR_WEB_STATS}),
    ('torrent-get table', 'torrent-get', {'ids': ['{id}'], 'fields': ['id', 'name'], 'format': 'table'}),
    ('free-space', 'free-space', {'path': '{downloads}'}),
    ('torrent-reannounce', 'torrent-reannounce', {'ids': ['{id}']}),
    ('torrent-rename-path', 'torrent-rename-path', {'ids': ['{id}'], 'path': '{name}/a.bin', 'name': 'renamed.bin'}),
    ('torrent-rename-path back', 'torrent-rename-path', {'ids': ['{id}'], 'path': '{name}/renamed.bin', 'name': 'a.bin'}),
    ('torrent-set labels', 'torrent-set', {'ids': ['{id}'], 'labels': ['apidiff-label', 'second']}),
    ('queue-move-top', 'queue-move-top', {'ids': ['{id}']}),
    ('queue-move-bottom', 'queue-move-bottom', {'ids': ['{id}']}),
    ('torrent-stop', 'torrent-stop', {'ids': ['{id}']}),
    ('torrent-start', 'torrent-start', {'ids': ['{id}']}),
]

QB_READS = [
    ('app/version', {}), ('app/webapiVersion', {}), ('app/buildInfo', {}), ('app/preferences', {}),
    ('app/defaultSavePath', {}), ('transfer/info', {}), ('transfer/speedLimitsMode', {}),
    ('transfer/downloadLimit', {}), ('transfer/uploadLimit', {}),
    ('torrents/info', {}), ('torrents/info', {'filter': 'stalled_uploading'}), ('torrents/info', {'filter': 'moving'}),
    ('torrents/properties', {'hash': '{hash}'}), ('torrents/trackers', {'hash': '{hash}'}),
    ('torrents/webseeds', {'hash': '{hash}'}), ('torrents/files', {'hash': '{hash}'}),
    ('torrents/pieceStates', {'hash': '{hash}'}), ('torrents/pieceHashes', {'hash': '{hash}'}),
    ('torrents/categories', {}), ('torrents/tags', {}),
    ('sync/maindata', {}), ('sync/torrentPeers', {'hash': '{hash}'}),
    ('log/main', {}), ('log/peers', {}), ('search/plugins', {}), ('rss/items', {}), ('rss/rules', {}),
]
QB_CHANGES = [  # POST, in this order; each leaves the torrent seeding as it was (or puts it back)
    ('torrents/downloadLimit', {'hashes': '{hash}'}), ('torrents/uploadLimit', {'hashes': '{hash}'}),
    ('app/setPreferences', {'json': json.dumps({'dl_limit': 0})}),
    ('transfer/toggleSpeedLimitsMode', {}), ('transfer/toggleSpeedLimitsMode', {}),
    ('torrents/createCategory', {'category': 'apidiff', 'savePath': ''}),
    ('torrents/setCategory', {'hashes': '{hash}', 'category': 'apidiff'}),
    ('torrents/createTags', {'tags': 'one,two'}), ('torrents/addTags', {'hashes': '{hash}', 'tags': 'one,two'}),
    ('torrents/removeTags', {'hashes': '{hash}', 'tags': 'two'}), ('torrents/deleteTags', {'tags': 'two'}),
    ('torrents/rename', {'hash': '{hash}', 'name': 'apidiff renamed'}),
    ('torrents/renameFile', {'hash': '{hash}', 'oldPath': '{name}/a.bin', 'newPath': '{name}/renamed.bin'}),
    ('torrents/renameFile', {'hash': '{hash}', 'oldPath': '{name}/renamed.bin', 'newPath': '{name}/a.bin'}),
    ('torrents/renameFolder', {'hash': '{hash}', 'oldPath': '{name}/sub', 'newPath': '{name}/sub2'}),
    ('torrents/renameFolder', {'hash': '{hash}', 'oldPath': '{name}/sub2', 'newPath': '{name}/sub'}),
    ('torrents/reannounce', {'hashes': '{hash}'}),
    ('torrents/topPrio', {'hashes': '{hash}'}), ('torrents/bottomPrio', {'hashes': '{hash}'}),
    ('torrents/increasePrio', {'hashes': '{hash}'}), ('torrents/decreasePrio', {'hashes': '{hash}'}),
    ('torrents/toggleSequentialDownload', {'hashes': '{hash}'}), ('torrents/toggleSequentialDownload', {'hashes': '{hash}'}),
    ('torrents/setShareLimits', {'hashes': '{hash}', 'ratioLimit': '-2', 'seedingTimeLimit': '-2', 'inactiveSeedingTimeLimit': '-2'}),
    ('torrents/setAutoManagement', {'hashes': '{hash}', 'enable': 'false'}),
    ('torrents/editCategory', {'category': 'apidiff', 'savePath': ''}),
    ('torrents/export', {'hash': '{hash}'}),
    ('torrents/setSuperSeeding', {'hashes': '{hash}', 'value': 'false'}),
    ('torrents/setForceStart', {'hashes': '{hash}', 'value': 'false'}),
    ('torrents/toggleFirstLastPiecePrio', {'hashes': '{hash}'}), ('torrents/toggleFirstLastPiecePrio', {'hashes': '{hash}'}),
    ('torrents/addPeers', {'hashes': '{hash}', 'peers': '127.0.0.1:9'}),
    ('transfer/banPeers', {'peers': '127.0.0.9:9'}),
    ('torrents/removeCategories', {'categories': 'apidiff'}),
]

# torrent-get's fields of rpc-version 17 that Transmission 3.00 does not have (it answers 0 for any name it does not
# know): their type is the spec's (docs/rpc-spec.md of Transmission 4.0), checked against serve's answer instead.
RPC17 = {'availability': 'array', 'file-count': 'number', 'group': 'string', 'percentComplete': 'number',
         'primary-mime-type': 'string', 'trackerList': 'string'}

# Routes whose answer is itself a map (keyed by category name or info hash).
ROOT_MAPS = {'torrents/categories', 'torrents/downloadLimit', 'torrents/uploadLimit', 'torrents/addPeers'}

# Maps: objects whose keys are data (info hashes, addresses, names), compared by their values' shape.
MAPS = {'torrents', 'peers', 'categories', 'trackers', 'torrents_removed'}


# ---------------------------------------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def bencode(value):
    if isinstance(value, int): return b'i%de' % value
    if isinstance(value, bytes): return b'%d:%s' % (len(value), value)
    if isinstance(value, str): return bencode(value.encode())
    if isinstance(value, list): return b'l' + b''.join(bencode(v) for v in value) + b'e'
    if isinstance(value, dict): return b'd' + b''.join(bencode(k) + bencode(value[k]) for k in sorted(value)) + b'e'
    raise TypeError(type(value))


def make_torrent(folder, announce, webseed):
    """apidiff/a.bin (20 pieces and a bit) and apidiff/sub/b.bin, with their data written below folder."""
    files = [(['a.bin'], 20 * PIECE + 1000), (['sub', 'b.bin'], 12 * PIECE - 1000)]
    data = b''
    for i, (path, length) in enumerate(files):
        content = hashlib.sha256(b'apidiff %d' % i).digest() * (length // 32 + 1)
        content = content[:length]
        target = os.path.join(folder, 'apidiff', *path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, 'wb').write(content)
        data += content
    pieces = b''.join(hashlib.sha1(data[o:o + PIECE]).digest() for o in range(0, len(data), PIECE))
    info = {'name': 'apidiff', 'piece length': PIECE, 'pieces': pieces,
            'files': [{'path': path, 'length': length} for path, length in files]}
    metainfo = {'announce': announce, 'info': info, 'url-list': [webseed], 'comment': 'api diff', 'created by': 'api_diff.py',
                'creation date': 1700000000}
    return bencode(metainfo), hashlib.sha1(bencode(info)).hexdigest()


class Tracker(http.server.ThreadingHTTPServer):
    """An HTTP tracker that answers every announce with no peers (1 seeder, 1 leecher) and every scrape with those counts."""

    def __init__(self):
        super().__init__(('127.0.0.1', 0), TrackerHandler)
        self.url = 'http://127.0.0.1:%d/announce' % self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass  # a client that hung up before its answer (a daemon stopping) is no news


class TrackerHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.urlparse(self.path).query
        hashes = [urllib.parse.unquote_to_bytes(part.split('=', 1)[1]) for part in query.split('&') if part.startswith('info_hash=')]
        if self.path.startswith('/scrape'):
            files = {h: {'complete': 1, 'incomplete': 1, 'downloaded': 3} for h in hashes}
            body = bencode({'files': files})
        else:
            body = bencode({'interval': 1800, 'min interval': 60, 'complete': 1, 'incomplete': 1, 'peers': b''})
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


def http(url, body=None, headers=None, method=None, timeout=60):
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get('Content-Type', ''), response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type', ''), e.read()


def wait_until(check, what, limit=120, step=0.25):
    started = time.time()
    while True:
        value = check()
        if value: return value
        if time.time() - started > limit: raise SystemExit('%s: not after %d s' % (what, limit))
        time.sleep(step)


def stop(process):
    if process is None or process.poll() is not None: return
    process.send_signal(signal.SIGINT if getattr(process, 'gentle', False) else signal.SIGTERM)
    try: process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------------------------------------------------------------
class Transmission:
    """Transmission's RPC, of transmission-daemon or of serve."""

    def __init__(self, url):
        self.url, self.session_id = url, ''

    def call(self, method, arguments):
        body = json.dumps({'method': method, 'arguments': arguments}).encode()
        for _ in range(3):
            status, _, data = http(self.url, body, {'X-Transmission-Session-Id': self.session_id, 'Content-Type': 'application/json'})
            if status != 409: return status, data
            self.session_id = self.last_id()
        raise SystemExit('%s: no session id' % self.url)

    def last_id(self):
        request = urllib.request.Request(self.url, data=b'{}', method='POST')
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as e:
            return e.headers.get('X-Transmission-Session-Id', '')
        return ''

    def get(self, method, arguments):
        status, data = self.call(method, arguments)
        answer = json.loads(data)
        if answer.get('result') != 'success': raise SystemExit('%s %s: %s' % (self.url, method, answer.get('result')))
        return answer['arguments']


class QBittorrent:
    def __init__(self, base):
        self.base = base

    def call(self, method, route, params):
        url = self.base + '/api/v2/' + route
        body = urllib.parse.urlencode(params).encode() if method == 'POST' else None
        if method == 'GET' and params: url += '?' + urllib.parse.urlencode(params)
        headers = {'Content-Type': 'application/x-www-form-urlencoded'} if method == 'POST' else {}
        status, content_type, data = http(url, body, headers, method)
        return status, content_type, data

    def json(self, route, params=None):
        status, _, data = self.call('GET', route, params or {})
        return json.loads(data) if status == 200 else None


class Daemon:
    """One server under test: its process, its RPC and API (serve has both), its peer port and downloads folder."""

    def __init__(self, name, work):
        self.name, self.work = name, work
        self.downloads = os.path.join(work, 'downloads')
        self.peer_port = free_port()
        self.process = None
        self.transmission = self.qbittorrent = None


def start_transmission(work):
    d = Daemon('transmission-daemon', work)
    config = os.path.join(work, 'config')
    os.makedirs(config, exist_ok=True)
    rpc_port = free_port()
    json.dump({'bind-address-ipv4': '127.0.0.1', 'bind-address-ipv6': '::1', 'dht-enabled': False, 'lpd-enabled': False,
               'pex-enabled': False, 'utp-enabled': False, 'port-forwarding-enabled': False, 'peer-port': d.peer_port,
               'peer-port-random-on-start': False, 'rpc-enabled': True, 'rpc-bind-address': '127.0.0.1', 'rpc-port': rpc_port,
               'rpc-authentication-required': False, 'rpc-whitelist-enabled': True, 'rpc-whitelist': '127.0.0.1',
               'rpc-host-whitelist-enabled': False, 'download-dir': d.downloads, 'encryption': 0, 'message-level': 1,
               'ratio-limit-enabled': False, 'idle-seeding-limit-enabled': False, 'blocklist-enabled': False},
              open(os.path.join(config, 'settings.json'), 'w'))
    d.process = subprocess.Popen(['transmission-daemon', '-f', '-g', config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d.transmission = Transmission('http://127.0.0.1:%d/transmission/rpc' % rpc_port)
    wait_until(lambda: try_(lambda: d.transmission.get('session-get', {})), 'transmission-daemon RPC', 60)
    return d


def start_qbittorrent(work):
    d = Daemon('qbittorrent-nox', work)
    web_port = free_port()
    config = os.path.join(work, 'profile', 'qBittorrent', 'config')
    os.makedirs(config, exist_ok=True)
    open(os.path.join(config, 'qBittorrent.conf'), 'w').write('\n'.join([
        '[LegalNotice]', 'Accepted=true', '',
        '[BitTorrent]', 'Session\\Port=%d' % d.peer_port, 'Session\\InterfaceAddress=127.0.0.1', 'Session\\Interface=lo',
        'Session\\QueueingSystemEnabled=true', 'Session\\DefaultSavePath=%s' % d.downloads, 'Session\\DHTEnabled=false',
        'Session\\LSDEnabled=false', 'Session\\PeXEnabled=false', 'Session\\Encryption=0', 'Session\\BTProtocol=1', '',
        '[Preferences]', 'WebUI\\Address=127.0.0.1', 'WebUI\\Port=%d' % web_port, 'WebUI\\LocalHostAuth=false',
        'WebUI\\CSRFProtection=false', 'WebUI\\HostHeaderValidation=false', 'Bittorrent\\DHT=false', 'Bittorrent\\LSD=false',
        'Bittorrent\\PeX=false', 'Connection\\UPnP=false', 'Connection\\ResolvePeerCountries=false',
        'Downloads\\SavePath=%s' % d.downloads, '']))
    d.process = subprocess.Popen(['qbittorrent-nox', '--profile=' + os.path.join(work, 'profile'), '--webui-port=%d' % web_port],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d.qbittorrent = QBittorrent('http://127.0.0.1:%d' % web_port)
    wait_until(lambda: try_(lambda: d.qbittorrent.call('GET', 'app/version', {})[0] == 200), 'qbittorrent-nox WebUI', 120)
    return d


def start_serve(work, command):
    d = Daemon('torrentlab serve', work)
    os.makedirs(d.downloads, exist_ok=True)
    d.process = subprocess.Popen(shlex.split(command) + ['serve', '--port', '0', '--downloads', d.downloads, '--no-dht', '--seed',
                                                          '--bind', '127.0.0.1', '--peer-port', str(d.peer_port), '--encryption', 'prefer'],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    d.process.gentle = True
    url = None
    while True:
        line = d.process.stdout.readline()
        if not line: raise SystemExit('serve ended before it printed its address')
        m = re.match(r'serving (http://[^/ ]+)/', line)
        if m: url = m.group(1)
        if line.startswith('peers reach every torrent on port'): break
    threading.Thread(target=lambda: [None for _ in d.process.stdout], daemon=True).start()  # keep its pipe drained
    d.transmission = Transmission(url + '/transmission/rpc')
    d.qbittorrent = QBittorrent(url)
    return d


def try_(action):
    try: return action()
    except (urllib.error.URLError, ConnectionError, OSError, SystemExit, ValueError): return None


# ---------------------------------------------------------------------------------------------------------------------
class Leecher:
    """A peer of this script on the wire (BEP 3): it connects to a daemon, sends its handshake, an empty bitfield and
    interested, then only keep-alives, so every daemon lists one connected peer that has nothing; when a daemon drops
    it (a stop, a reannounce), it connects again. (A libtorrent session as that peer was reset by qbittorrent-nox
    after its handshake, though a plain one is answered.)"""

    def __init__(self, info_hash):
        self.info_hash = bytes.fromhex(info_hash)

    def join(self, daemon, pieces):
        stop = threading.Event()
        threading.Thread(target=self.run, args=(daemon, pieces, stop), daemon=True).start()
        return stop

    def run(self, daemon, pieces, stop):
        while not stop.is_set():
            try:
                s = socket.create_connection(('127.0.0.1', daemon.peer_port), timeout=10)
            except OSError:
                stop.wait(1)
                continue
            try:
                # <pstrlen=19><"BitTorrent protocol"><8 reserved><info_hash 20><peer_id 20>
                s.sendall(bytes([19]) + b'BitTorrent protocol' + bytes(8) + self.info_hash + b'-AD0100-' + os.urandom(6).hex().encode())
                answer = b''
                while len(answer) < 68:
                    chunk = s.recv(68 - len(answer))
                    if not chunk: raise OSError('closed at the handshake')
                    answer += chunk
                bitfield = bytes((pieces + 7) // 8)
                s.sendall((1 + len(bitfield)).to_bytes(4, 'big') + b'\x05' + bitfield + (1).to_bytes(4, 'big') + b'\x02')  # bitfield, interested
                s.settimeout(1)
                last = time.time()
                while not stop.is_set():
                    try:
                        if not s.recv(65536): break
                    except socket.timeout: pass
                    if time.time() - last > 20:
                        s.sendall(bytes(4))  # keep-alive
                        last = time.time()
            except OSError:
                pass
            finally:
                s.close()
            stop.wait(1)

    def leave(self, stop):
        stop.set()


def add_torrent(d, torrent_bytes, info_hash):
    if d.name == 'qbittorrent-nox':
        boundary = 'apidiffboundary'
        body = ('--%s\r\nContent-Disposition: form-data; name="savepath"\r\n\r\n%s\r\n' % (boundary, d.downloads)).encode() \
            + ('--%s\r\nContent-Disposition: form-data; name="torrents"; filename="apidiff.torrent"\r\n'
               'Content-Type: application/x-bittorrent\r\n\r\n' % boundary).encode() + torrent_bytes + ('\r\n--%s--\r\n' % boundary).encode()
        status, _, data = http(d.qbittorrent.base + '/api/v2/torrents/add', body, {'Content-Type': 'multipart/form-data; boundary=' + boundary})
        if status != 200: raise SystemExit('qbittorrent-nox torrents/add: %d %s' % (status, data))
    else:
        d.transmission.get('torrent-add', {'metainfo': base64.b64encode(torrent_bytes).decode(), 'download-dir': d.downloads})
    d.hash = info_hash
    d.id = d.transmission.get('torrent-get', {'fields': ['id', 'hashString']})['torrents'][0]['id'] if d.transmission else None


def ready(d):
    """Seeding, announced, with the leecher connected."""
    if d.transmission:
        t = d.transmission.get('torrent-get', {'ids': [d.id], 'fields': ['status', 'peersConnected', 'trackerStats']})['torrents'][0]
        announced = any(s.get('lastAnnounceSucceeded') for s in t.get('trackerStats', []))
        if d.name == 'torrentlab serve' and not announced:  # its own REST API says when a tracker answered
            details = json.loads(http(d.qbittorrent.base + '/api/torrents/' + d.hash)[2])
            announced = any(tracker.get('lastAnswer') for tracker in details['trackers'])
        return t['status'] == 6 and t['peersConnected'] > 0 and announced
    info = d.qbittorrent.json('torrents/info', {'hashes': d.hash})
    trackers = d.qbittorrent.json('torrents/trackers', {'hash': d.hash}) or []
    return bool(info) and info[0]['state'] in ('uploading', 'stalledUP', 'forcedUP', 'queuedUP') and info[0]['num_leechs'] > 0 \
        and any(t['status'] == 2 for t in trackers)


# ---------------------------------------------------------------------------------------------------------------------
def shape(value, path='', out=None, root_map=False):
    """Every path of a JSON value with its type; a map's keys become '*', an array's elements '[]'."""
    out = {} if out is None else out
    kind = 'null' if value is None else 'bool' if isinstance(value, bool) else 'number' if isinstance(value, (int, float)) \
        else 'string' if isinstance(value, str) else 'array' if isinstance(value, list) else 'object'
    out.setdefault(path or '.', set()).add(kind)
    if isinstance(value, dict):
        last = path.rsplit('.', 1)[-1]
        for key, child in value.items():
            shape(child, (path + '.' if path else '') + ('*' if (path and last in MAPS) or (not path and root_map) else key), out)
    elif isinstance(value, list):
        for child in value: shape(child, path + '[]', out)
    return out


def answer_shape(status, content_type, data, root_map=False):
    if status != 200: return {'.': {'status %d' % status}}
    if 'json' in content_type:
        try: return shape(json.loads(data), root_map=root_map)
        except ValueError: pass
    text = data.decode('utf-8', 'replace')
    return {'.': {'text number' if re.fullmatch(r'-?[0-9.]+', text.strip()) else 'text'}}


def run_transmission_calls(d, dump):
    results = {}
    for name, method, arguments in TR_CALLS:
        filled = json.loads(json.dumps(arguments).replace('"{id}"', str(d.id)).replace('{downloads}', d.downloads).replace('{name}', 'apidiff'))
        status, data = d.transmission.call(method, filled)
        answer = json.loads(data) if status == 200 else None
        key = 'transmission ' + name
        if answer is None: results[key] = {'.': {'status %d' % status}}
        elif answer.get('result') != 'success':
            results[key] = {'.': {'refused'}}
            results[key + ' result'] = answer.get('result')
        else:
            results[key] = shape(answer['arguments'])
            if d.name == 'transmission-daemon':  # the spec's types for the fields 3.00 lacks
                for field, kind in RPC17.items():
                    if 'torrents[].' + field in results[key]: results[key]['torrents[].' + field] = {kind}
        if dump: open(os.path.join(dump, (d.name + ' ' + key).replace('/', '_').replace(' ', '_') + '.json'), 'wb').write(data)
    return results


def run_qbittorrent_calls(d, dump):
    results, rid = {}, 0
    for method, calls in (('GET', QB_READS), ('POST', QB_CHANGES)):
        for route, params in calls:
            filled = {k: v.replace('{hash}', d.hash).replace('{rid}', str(rid)).replace('{name}', 'apidiff') for k, v in params.items()}
            status, content_type, data = d.qbittorrent.call(method, route, filled)
            key = 'qbittorrent ' + route + (' ' + ' '.join('%s=%s' % kv for kv in params.items() if kv[0] in ('filter', 'rid')) if any(
                k in ('filter', 'rid') for k in params) else '')
            while key in results: key += "'"
            results[key] = answer_shape(status, content_type, data, root_map=route in ROOT_MAPS)
            if route == 'sync/maindata' and status == 200 and 'rid' not in params: rid = json.loads(data).get('rid', 0)
            if dump: open(os.path.join(dump, (d.name + ' ' + key).replace('/', '_').replace(' ', '_')), 'wb').write(data)
    return results


def serve_fixture_shape(shapes):
    return {path: sorted(kinds) for path, kinds in sorted(shapes.items())}


def diff(real, ours, api):
    """Rows (call, path, what the daemon answers, what serve answers) for every difference that matters to a client."""
    rows = []
    for call, real_shape in real.items():
        if not call.startswith(api) or call.endswith(' result'): continue
        our_shape = ours.get(call, {})
        real_root, our_root = real_shape.get('.', set()), our_shape.get('.', set())
        if any(k.startswith('status') or k == 'refused' for k in real_root):
            if any(k.startswith('status') for k in our_root) and not any(k.startswith('status') for k in real_root):
                rows.append((call, '', ', '.join(sorted(real_root)), ', '.join(sorted(our_root))))
            continue
        if any(k.startswith('status') or k == 'refused' for k in our_root):
            detail = ours.get(call + ' result') or ''
            rows.append((call, '', ', '.join(sorted(real_root)), ', '.join(sorted(our_root)) + (': ' + detail if detail else '')))
            continue
        for path, kinds in sorted(real_shape.items()):
            mine = our_shape.get(path)
            if mine is None:
                parent = path.rsplit('[]', 1)[0] if path.endswith('[]') else path
                rows.append((call, path, '/'.join(sorted(kinds)), 'missing'))
            elif not (kinds - {'null'}) <= mine and not (kinds <= mine) and kinds != {'null'}:
                rows.append((call, path, '/'.join(sorted(kinds)), '/'.join(sorted(mine))))
        for path, kinds in sorted(our_shape.items()):
            if kinds == {'null'}: rows.append((call, path, '/'.join(sorted(real_shape.get(path, {'(not asked)'}))), 'null'))
    return rows


def deliberate(call, path):
    route = ' '.join(call.split(' ')[:2]).rstrip("'")
    return DELIBERATE.get((route, path)) or DELIBERATE.get((route, ''))


def report(real, ours, started, ended, command):
    lines = ['<!-- api-diff:begin -->',
             '### The remote APIs beside the real daemons (`bench/api/api_diff.py`)', '',
             'Run %s, %s (load %s): the same calls against transmission-daemon 3.00, qbittorrent-nox 4.5.2 and `%s serve`, '
             'each seeding one torrent of two files announced to a tracker, with a peer connected. A row is a '
             'route or method that serve does not answer as the daemon does, a field the daemon answers and serve lacks or '
             'gives another JSON type, or a field serve answers `null`. `*` stands for a map\'s keys (info hashes, addresses, '
             'names), `[]` for an array\'s elements.' % (started, ended, open('/proc/loadavg').read().split()[0], command), '']
    for api, title in (('transmission', 'Transmission RPC'), ('qbittorrent', 'qBittorrent WebUI API')):
        rows = diff(real, ours, api)
        open_rows = [r for r in rows if not deliberate(r[0], r[1])]
        lines += ['#### %s: %d difference(s)' % (title, len(open_rows)), '']
        if open_rows:
            lines += ['| call | field | daemon | serve |', '|---|---|---|---|']
            lines += ['| %s | `%s` | %s | %s |' % (c, p or '(route)', a, b) for c, p, a, b in open_rows]
        else:
            lines += ['None: every route and field the daemon answers, serve answers with the same type.']
        lines.append('')
        kept = [(c, p, deliberate(c, p)) for c, p, _, _ in rows if deliberate(c, p)]
        kept += [(k[0], k[1], why) for k, why in DELIBERATE.items() if k[0].startswith(api) and not any(
            c.startswith(k[0]) and p == k[1] for c, p, _ in kept)]
        if kept:
            lines += ['Deliberately not supported:', '']
            seen = set()
            for c, p, why in kept:
                name = ' '.join(c.split(' ')[:2]).rstrip("'")
                if (name, p) in seen: continue
                seen.add((name, p))
                lines.append('- %s%s: %s.' % (name.split(' ', 1)[1], ' `%s`' % p if p else '', why))
            lines.append('')
    lines.append('<!-- api-diff:end -->')
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--torrentlab', default='dotnet ' + os.path.join(ROOT, 'TorrentLab.Cli/bin/Debug/net10.0/TorrentLab.Cli.dll'))
    parser.add_argument('--work', default=None)
    parser.add_argument('--doc', default=None)
    parser.add_argument('--fixture', default=None)
    parser.add_argument('--dump', default=None)
    parser.add_argument('--only', choices=['transmission', 'qbittorrent'])
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = args.work or tempfile.mkdtemp(prefix='torrentlab-api-diff-')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if args.dump: os.makedirs(args.dump, exist_ok=True)
    started = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    tracker = Tracker()
    data = os.path.join(work, 'data')
    torrent_bytes, info_hash = make_torrent(data, tracker.url, 'http://127.0.0.1:%d/webseed/' % free_port())
    torrent_path = os.path.join(work, 'apidiff.torrent')
    open(torrent_path, 'wb').write(torrent_bytes)
    leecher = Leecher(info_hash)
    real, ours, daemons = {}, {}, []
    try:
        plan = [('transmission', start_transmission), ('qbittorrent', start_qbittorrent), ('serve', None)]
        for api, starter in plan:
            if args.only and api not in (args.only, 'serve'): continue
            folder = os.path.join(work, api)
            shutil.copytree(data, os.path.join(folder, 'downloads'))
            d = starter(folder) if starter else start_serve(folder, args.torrentlab)
            daemons.append(d)
            add_torrent(d, torrent_bytes, info_hash)
            handle = leecher.join(d, 32)
            wait_until(lambda: try_(lambda: ready(d)), d.name + ': seeding, announced, a peer connected', 120, 0.5)
            if api == 'serve':
                if args.only != 'qbittorrent': ours.update(run_transmission_calls(d, args.dump))
                # The Transmission calls stopped and restarted the torrent: its peer connects again first.
                wait_until(lambda: try_(lambda: ready(d)), d.name + ': seeding with a peer again', 120, 0.5)
                if args.only != 'transmission': ours.update(run_qbittorrent_calls(d, args.dump))
            elif api == 'transmission':
                real.update(run_transmission_calls(d, args.dump))
            else:
                real.update(run_qbittorrent_calls(d, args.dump))
            leecher.leave(handle)
            stop(d.process)
    finally:
        for d in daemons: stop(d.process)
        tracker.shutdown()
    ended = datetime.datetime.now().strftime('%H:%M')
    text = report(real, ours, started, ended, os.path.basename(shlex.split(args.torrentlab)[-1]))
    print(text)
    if args.doc:
        doc = open(args.doc).read()
        begin, end = doc.find('<!-- api-diff:begin -->'), doc.find('<!-- api-diff:end -->')
        if begin < 0 or end < 0: raise SystemExit('%s has no api-diff markers' % args.doc)
        open(args.doc, 'w').write(doc[:begin] + text + doc[end + len('<!-- api-diff:end -->'):])
    if args.fixture:
        calls = []
        for name, method, arguments in TR_CALLS:
            key = 'transmission ' + name
            if key in real and not any(k.startswith('status') or k == 'refused' for k in real[key].get('.', ())):
                calls.append({'api': 'transmission', 'name': name, 'method': method, 'arguments': arguments,
                              'shape': serve_fixture_shape(real[key])})
        for method, group in (('GET', QB_READS), ('POST', QB_CHANGES)):
            for route, params in group:
                key = [k for k in real if k.startswith('qbittorrent ' + route)]
                key = 'qbittorrent ' + route + (' ' + ' '.join('%s=%s' % kv for kv in params.items() if kv[0] in ('filter', 'rid'))
                                                 if any(k in ('filter', 'rid') for k in params) else '')
                if key in real and not any(k.startswith('status') for k in real[key].get('.', ())) and not deliberate(key, ''):
                    calls.append({'api': 'qbittorrent', 'name': key.split(' ', 1)[1], 'method': method, 'route': route,
                                  'parameters': params, 'shape': serve_fixture_shape(real[key])})
        deliberate_list = [{'call': k[0], 'path': k[1], 'why': v} for k, v in DELIBERATE.items()]
        json.dump({'generated': started, 'by': 'bench/api/api_diff.py', 'calls': calls, 'deliberate': deliberate_list},
                  open(args.fixture, 'w'), indent=1, sort_keys=False)
        print('wrote %s' % args.fixture)


if __name__ == "__main__":
    main()
