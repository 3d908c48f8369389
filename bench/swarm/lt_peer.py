# One python3-libtorrent peer of bench/swarm/swarm.py and bench/seed/matrix.py, loopback only (no DHT, LSD, UPnP,
# NAT-PMP, uTP or encryption; no PEX unless LT_PEX=1), libtorrent's default settings with an upload cap (applied to
# loopback peers too), as a user would run it.
# usage: lt_peer.py seed|get TORRENT DIR PORT UPLOAD_BYTES_PER_S [super]   (LT_DOWN_RATE=BYTES_PER_S caps its download)
# LT_DIAL=PORT[,PORT...] dials those peers on 127.0.0.1 once the torrent is added (a torrent without a tracker);
# LT_PEX=1 loads libtorrent's default plugins (ut_pex, ut_metadata, smart_ban) and leaves PEX on for the torrent.
# prints "ready" (seed: seeding and the tracker answered, or seeding when the torrent names no tracker), "done" (get:
# complete); keeps seeding until SIGTERM or stdin closes, then prints "uploaded BYTES" and exits.
import os, signal, sys, threading, time
import libtorrent as lt

mode, torrent, path, port, rate = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
superseed = len(sys.argv) > 6 and sys.argv[6] == 'super'
ses = lt.session({
    'listen_interfaces': '127.0.0.1:%d' % port,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'allow_multiple_connections_per_ip': True, 'out_enc_policy': 2, 'in_enc_policy': 2,
    'ssrf_mitigation': False, 'upload_rate_limit': rate, 'download_rate_limit': int(os.environ.get('LT_DOWN_RATE', '0')),
    'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.tracker_notification,
}, *([] if os.environ.get('LT_PEX') == '1' else [0]))
# libtorrent exempts local peers (loopback, LAN) from rate limits through its local peer class: put every IPv4 address in
# the global class only, so the cap applies on loopback as it would between machines.
everyone = lt.ip_filter()
everyone.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
ses.set_peer_class_filter(everyone)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = path
atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
if os.environ.get('LT_PEX') != '1':
    atp.flags |= lt.torrent_flags.disable_pex
if superseed:
    atp.flags |= lt.torrent_flags.super_seeding
h = ses.add_torrent(atp)
for dial in filter(None, os.environ.get('LT_DIAL', '').split(',')):
    h.connect_peer(('127.0.0.1', int(dial)))
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
replied = mode != 'seed' or not list(atp.ti.trackers())
said = False
deadline = time.time() + 900
while not stop.is_set() and time.time() < deadline:
    ses.wait_for_alert(100)
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert):
            replied = True
    if not said and replied and h.status().is_seeding:
        print('ready' if mode == 'seed' else 'done', flush=True)
        said = True
print('uploaded %d' % h.status().total_payload_upload, flush=True)
