#!/usr/bin/env bash
# The embeddable tracker beside opentracker, in one run: UDP announces (BEP 15, a connect before every announce) and
# HTTP announces (keep-alive connections) per second, the server's CPU per announce and its RSS, from trackerload.c
# (recvmmsg/sendmmsg, a C client that is not the bottleneck). Rounds alternate which server goes first.
#
#   bench/tracker/run.sh                     # 3 rounds of 5 s per server and transport
#   ROUNDS=5 SECONDS_EACH=10 bench/tracker/run.sh
#   TRACKER=/path/to/torrentlab-tracker bench/tracker/run.sh   # a build of ours instead of publishing one
#   TL=/path/to/TorrentLab.Cli bench/tracker/run.sh   # `torrentlab tracker` (the whole CLI) instead of the small one
#
# By default the small tracker executable (TorrentLab.Tracker.Host, Native AOT) is published and measured.
#
# Knobs: HASHES (1000 torrents) and PEERS (20000, so 20 per torrent and full 19-20-peer answers), WINDOW (UDP requests
# in flight, 128: more overflows the servers' default 208 KiB receive queue and measures losses, not answers),
# CONNS (HTTP connections, 64, from 127.0.0.1 to 127.0.0.4 in turn: our tracker keeps at most 32 per address, and more
# from one address measured its refusals, bench/notes/2026-11-29-tracker-share.md). Everything stays on 127.0.0.0/8;
# both servers are stopped by pid on exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${ROUNDS:-3}; seconds=${SECONDS_EACH:-5}
hashes=${HASHES:-1000}; peers=${PEERS:-20000}; window=${WINDOW:-128}; conns=${CONNS:-64}
work=$(mktemp -d /tmp/trackerbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

gcc -O2 -Wall -o "$work/trackerload" "$repo/bench/tracker/trackerload.c"
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

# opentracker (Debian's build tracks only whitelisted hashes; it chroots into its folder and runs as nobody).
mkdir -m 755 "$work/ot"
"$work/trackerload" hashes "$hashes" > "$work/ot/whitelist.txt"; chmod 644 "$work/ot/whitelist.txt"
ot_port=$(free_port)
opentracker -i 127.0.0.1 -p "$ot_port" -P "$ot_port" -d "$work/ot" -w /whitelist.txt > "$work/ot.log" 2>&1 &
pids+=($!); ot_pid=$!
tl_port=$(free_port)
"${ours[@]}" --host 127.0.0.1 --port "$tl_port" --quiet > "$work/tl.log" 2>&1 &
pids+=($!); tl_pid=$!
wait_listening "$ot_port"; wait_listening "$tl_port"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

# One measurement: prints "<server> <transport> <rate>/s <cpu us per announce> <rss MiB> <client's own line>".
measure() {
  local name=$1 pid=$2 port=$3 transport=$4 width=$5
  local before after line rate
  before=$(cpu_ticks "$pid")
  local sources=""; [[ $transport == http ]] && sources=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
  line=$(BIND=$sources "$work/trackerload" "$transport" 127.0.0.1 "$port" "$seconds" "$hashes" "$peers" "$width")
  after=$(cpu_ticks "$pid")
  rate=$(awk '{print $3}' <<<"$line")
  awk -v n="$name" -v t="$transport" -v r="$rate" -v c=$((after - before)) -v hz="$hz" -v s="$seconds" -v rss="$(rss_mib "$pid")" -v l="$line" \
    'BEGIN { printf "%-12s %-4s %8d announces/s  %6.1f us CPU/announce  RSS %6s MiB   [%s]\n", n, t, r, (r > 0 ? c / hz * 1e6 / (r * s) : 0), rss, l }'
}

echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')"
echo "# $hashes torrents, $peers peers, UDP window $window, $conns HTTP connections, $seconds s each, $rounds rounds"
echo "# ours: ${ours[*]}; idle RSS: torrentlab $(rss_mib "$tl_pid") MiB, opentracker $(rss_mib "$ot_pid") MiB"
# Warm-up (JIT, swarm tables filled): not reported.
"$work/trackerload" udp 127.0.0.1 "$tl_port" 2 "$hashes" "$peers" "$window" >/dev/null
"$work/trackerload" udp 127.0.0.1 "$ot_port" 2 "$hashes" "$peers" "$window" >/dev/null
for round in $(seq "$rounds"); do
  if (( round % 2 )); then order="tl ot"; else order="ot tl"; fi
  for transport in udp http; do
    width=$window; [[ $transport == http ]] && width=$conns
    for who in $order; do
      if [[ $who == tl ]]; then measure torrentlab "$tl_pid" "$tl_port" "$transport" "$width"
      else measure opentracker "$ot_pid" "$ot_port" "$transport" "$width"; fi
    done
  done
done
echo "# peak RSS: torrentlab $(hwm_mib "$tl_pid") MiB, opentracker $(hwm_mib "$ot_pid") MiB; $(uptime | sed 's/.*load/load/')"
