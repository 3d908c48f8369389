#!/usr/bin/env bash
# Honest announces per second while another torrent holds a big swarm (issue 53, finding 4), ours beside opentracker
# in one run. For each server: the honest rate alone (1,000 torrents, 20,000 peers, as run.sh), then one more torrent
# is filled with BIG peers (half from 127.0.0.1, half from 127.0.0.2: opentracker keys a peer by address and port) and
# kept busy with RATE announces a second into it while the honest rate is measured again.
#
#   bench/tracker/bigswarm.sh                        # publishes ours (Native AOT); 5 s per measurement, about 90 s
#   TRACKER=/path/to/torrentlab-tracker bench/tracker/bigswarm.sh
#   TL=TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli bench/tracker/bigswarm.sh   # `torrentlab tracker` instead
#
# Knobs: BIG (69000 peers), RATE (1000 announces/s into the big torrent), SECONDS_EACH (5). Everything stays on
# 127.0.0.0/8; both servers are stopped by pid on exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${SECONDS_EACH:-5}; big=${BIG:-69000}; rate=${RATE:-1000}
hashes=1000; peers=20000; window=128; conns=64; half=$(( (big + 1) / 2 ))
work=$(mktemp -d /tmp/trackerbig.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

gcc -O2 -Wall -o "$work/trackerload" "$repo/bench/tracker/trackerload.c"
load="$work/trackerload"
if [[ -n "${TL:-}" ]]; then
  ours=("$TL" tracker)
else
  if [[ -z "${TRACKER:-}" ]]; then
    dotnet publish -c Release -r linux-x64 "$repo/TorrentLab.Tracker.Host" -o "$work/aot" -v q -nologo >/dev/null
    TRACKER="$work/aot/torrentlab-tracker"
  fi
  ours=("$TRACKER")
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listening() { for _ in $(seq 100); do ss -ltnH "sport = :$1" | grep -q . && return 0; sleep 0.1; done; echo "port $1 never listened" >&2; exit 1; }

mkdir -m 755 "$work/ot"
"$load" hashes $((hashes + 1)) > "$work/ot/whitelist.txt"; chmod 644 "$work/ot/whitelist.txt"   # torrent 1000 is the big one
bighash=$(tail -1 "$work/ot/whitelist.txt" | sed 's/../%&/g')
ot_port=$(free_port)
opentracker -i 127.0.0.1 -p "$ot_port" -P "$ot_port" -d "$work/ot" -w /whitelist.txt > "$work/ot.log" 2>&1 &
pids+=($!)
tl_port=$(free_port)
"${ours[@]}" --host 127.0.0.1 --port "$tl_port" --quiet > "$work/tl.log" 2>&1 &
pids+=($!)
wait_listening "$ot_port"; wait_listening "$tl_port"

honest() { # server port label
  local u h
  u=$("$load" udp 127.0.0.1 "$2" "$seconds" $hashes $peers $window | awk '{print $3}')
  h=$("$load" http 127.0.0.1 "$2" "$seconds" $hashes $peers $conns | awk '{print $3}')
  printf '%-12s %-22s udp %7d/s  http %7d/s\n' "$1" "$3" "$u" "$h"
  echo "$u $h"  >> "$work/$1.$3"
}

echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')"
echo "# honest: $hashes torrents, $peers peers, UDP window $window, $conns HTTP connections, $seconds s each; big: $big peers, $rate announces/s"
echo "# ours: ${ours[*]}"
for who in torrentlab opentracker; do
  if [[ $who == torrentlab ]]; then port=$tl_port; else port=$ot_port; fi
  "$load" udp 127.0.0.1 "$port" 2 $hashes $peers $window >/dev/null   # warm-up: tables filled, JIT done
  honest "$who" "$port" alone | head -1
  FILL=1 HASH_BASE=$hashes "$load" udp 127.0.0.1 "$port" 60 1 "$half" $window > /dev/null
  FILL=1 HASH_BASE=$hashes PEER_BASE=100000 BIND=127.0.0.2 "$load" udp 127.0.0.1 "$port" 60 1 "$((big - half))" $window > /dev/null
  echo "$who big torrent: $(curl -s "http://127.0.0.1:$port/scrape?info_hash=$bighash" | grep -ao '[a-z]*i[0-9]*e' | tr '\n' ' ')"
  RATE=$rate HASH_BASE=$hashes "$load" udp 127.0.0.1 "$port" $((2 * seconds + 3)) 1 "$half" 16 > "$work/drip.$who" &
  drip=$!
  honest "$who" "$port" "beside-the-big-swarm" | head -1
  wait "$drip"; echo "$who background: $(cat "$work/drip.$who")"
done
echo "# $(uptime | sed 's/.*load/load/')"
