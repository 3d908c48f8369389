#!/usr/bin/env bash
# Quiet peers are kept (issue 56, section 4): a `torrentlab seed` of 64 MiB capped at MAX_UPLOAD_RATE serves 8 default
# libtorrent leechers that know only the seed, for SECONDS_RUN (300). At most four of them are unchoked at a time, so
# the rest wait choked and silent (libtorrent sends a keep-alive only after 60 s of silence). Every 10 s the script
# samples how many leechers are connected to the seed; at the end it counts the seed's idle-timeout drops (expected: 0)
# and every disconnect it logged.
#
#   bench/interop/silent-leechers.sh                       # builds the CLI (Release) and runs 5 minutes
#   SECONDS_RUN=60 MAX_UPLOAD_RATE=200K bench/interop/silent-leechers.sh
#
# Everything stays on 127.0.0.1: DHT, LSD, UPnP, NAT-PMP and PEX are off on both sides; processes are stopped by pid.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${SECONDS_RUN:-300}; rate=${MAX_UPLOAD_RATE:-100K}; leechers=${LEECHERS:-8}
work=$(mktemp -d /tmp/silent-leechers.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

dotnet build -c Release "$repo/TorrentLab.Cli" -v q -nologo >/dev/null
tl=(dotnet "$repo/TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll")
mkdir -p "$work/data"
head -c $((64 << 20)) /dev/urandom > "$work/data/quiet.bin"
"${tl[@]}" create "$work/data/quiet.bin" -o "$work/quiet.torrent" -l 256K -q
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${tl[@]}" seed "$work/quiet.torrent" -d "$work/data" -p "$port" --bind 127.0.0.1 --no-dht --encryption off \
  --max-upload-rate "$rate" -v > "$work/seed.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.1; done

echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); $leechers libtorrent leechers, seed capped at $rate/s, ${seconds} s"
/usr/bin/python3 - "$work/quiet.torrent" "$work" "$port" "$seconds" "$leechers" <<'EOF'
import sys, time
import libtorrent as lt
torrent, work, seed_port, seconds, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sessions = []
for i in range(count):
    s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False,
                    'enable_natpmp': False, 'enable_outgoing_utp': False, 'enable_incoming_utp': False,
                    'out_enc_policy': 2, 'in_enc_policy': 2, 'ssrf_mitigation': False,
                    'allow_multiple_connections_per_ip': True}, 0)
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(torrent)
    atp.save_path = '%s/lt%d' % (work, i)
    atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
    h = s.add_torrent(atp)
    h.connect_peer(('127.0.0.1', seed_port))
    sessions.append((s, h))
start = time.time(); low = count
while time.time() - start < seconds:
    time.sleep(10)
    connected = sum(1 for _, h in sessions if h.status().num_peers > 0)
    if time.time() - start > 20: low = min(low, connected)  # the first 20 s: connecting
    print('%4.0f s  connected %d of %d  progress %s' % (time.time() - start, connected, count,
          ' '.join('%3.0f%%' % (h.status().progress * 100) for _, h in sessions)), flush=True)
print('fewest leechers connected after the first 20 s: %d of %d' % (low, count))
EOF
echo "the seed's idle-timeout drops: $(grep -c 'idle timeout' "$work/seed.log" || true)"
echo "the seed's disconnects: $(grep -c 'disconnected' "$work/seed.log" || true)"
grep 'disconnected' "$work/seed.log" | head -5 || true
