# python3-libtorrent seeder or downloader for bench/interop/run.sh, loopback only (no DHT, LSD, UPnP, NAT-PMP, PEX).
# seed:     lt.py seed TORRENT DATA_DIR PORT [DIAL_PORT]   prints "ready", then seeds until stdin closes or it is killed,
#           dialling 127.0.0.1:DIAL_PORT whenever it has no peer
# download: lt.py get  TORRENT OUT_DIR  PORT [SEEDER_PORT...] exits 0 once the torrent is complete (dialling the seeders)
# create:   lt.py create-v2 FILE PIECE_BYTES ANNOUNCE OUT    writes a BEP 52 v2-only torrent of FILE
# LT_HP=1 in the environment: the downloader starts from the high-performance preset (else libtorrent's defaults);
#           LT_HP=0: a seed with libtorrent's defaults (else the high-performance preset)
# LT_UTP_ONLY=1 in the environment: uTP only, TCP off in both directions (else TCP only)
# LT_RC4=1 in the environment: MSE/PE with RC4 forced in both directions (else plaintext only)
# LT_DOWNLOAD_RATE=BYTES in the environment: get with that download limit, and print the rate over 10 s from the
#           second second after the first verified piece, as `TorrentLab.Bench limited-download` does, then stop
import os, sys, time
import libtorrent as lt

if sys.argv[1] == 'create-v2':
    data, piece, announce, out = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    fs = lt.file_storage()
    lt.add_files(fs, data)
    ct = lt.create_torrent(fs, piece, flags=lt.create_torrent.v2_only)
    ct.add_tracker(announce)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(data)))
    with open(out, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    sys.exit(0)

mode, torrent, path, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
dial = int(sys.argv[5]) if len(sys.argv) > 5 else 0
hp = os.environ.get('LT_HP', '1' if mode == 'seed' else '0') == '1'  # a seed: the high-performance preset unless LT_HP=0
settings = lt.high_performance_seed() if hp else lt.default_settings()
settings.update({
    'listen_interfaces': '127.0.0.1:%d' % port,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'allow_multiple_connections_per_ip': True, 'out_enc_policy': 2, 'in_enc_policy': 2,
    'ssrf_mitigation': False,
    'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.tracker_notification,
})
if os.environ.get('LT_UTP_ONLY') == '1':
    settings.update({'enable_incoming_tcp': False, 'enable_outgoing_tcp': False,
                     'enable_incoming_utp': True, 'enable_outgoing_utp': True})
rate = int(os.environ.get('LT_DOWNLOAD_RATE', '0'))
if rate:
    settings['download_rate_limit'] = rate
if os.environ.get('LT_RC4') == '1':
    # enc_policy 0 = forced; allowed_enc_level 2 = RC4 only
    settings.update({'out_enc_policy': 0, 'in_enc_policy': 0, 'allowed_enc_level': 2, 'prefer_rc4': True})
ses = lt.session(settings, 0)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = path
atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
if rate:
    # libtorrent exempts local peers from its limits (they are in the local peer class): put every address in the
    # global class only, so the limit applies on loopback.
    everyone = lt.ip_filter()
    everyone.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
    ses.set_peer_class_filter(everyone)
h = ses.add_torrent(atp)
deadline = time.time() + 600
if mode == 'seed':
    replied = not list(atp.ti.trackers())  # a torrent without a tracker is ready once it is seeding (peers dial it)
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.tracker_reply_alert):
                replied = True
        if replied and h.status().state == lt.torrent_status.seeding:
            break
    print('ready', flush=True)
    # Seed until stdin closes. Transmission ignores loopback peers from trackers, so we dial it (again and again
    # until it is up: it starts after we are ready).
    # A SIGTERM (how run.sh stops a seeder) ends seeding as a closed stdin does, and then the tracker hears "stopped":
    # a long run would otherwise leave it listing dozens of dead seeders, and a client asking for 50 peers could get
    # none that is alive.
    import select, signal
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        if select.select([sys.stdin], [], [], 1.0)[0] and not sys.stdin.buffer.read1(4096):
            break
        if dial and h.status().num_peers == 0:
            h.connect_peer(('127.0.0.1', dial))
    status = h.status()
    print('uploaded %d payload bytes, %d bytes in all' % (status.total_payload_upload, status.total_upload), flush=True)
    ses.remove_torrent(h)
    del h
    del ses  # the session's end sends "stopped" to the tracker (waiting at most stop_tracker_timeout)
else:
    for extra in sys.argv[5:]:  # get: seeders to dial (a torrent without a tracker)
        h.connect_peer(('127.0.0.1', int(extra)))
    started, first, at_start = time.time(), None, None
    while time.time() < deadline:
        if rate:
            # Verified bytes at the window's edges, and when they were read, as the TorrentLab bench counts them.
            now, done = time.time(), h.status().total_wanted_done
            if first is None and done > 0:
                first = now
            if first is not None and at_start is None and now >= first + 2:
                at_start = (now, done)
            elif at_start is not None and now >= at_start[0] + 10:
                got = (done - at_start[1]) / (now - at_start[0])
                print('limit %.2f MiB/s: %.2f MiB/s over %.1f s (%.0f %% of the limit); first piece after %.1f s'
                      % (rate / 1048576, got / 1048576, now - at_start[0], 100 * got / rate, first - started), flush=True)
                sys.exit(0)
        if h.status().is_seeding:
            sys.exit(0)
        time.sleep(0.05)
    sys.exit(1)
