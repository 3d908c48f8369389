#!/usr/bin/env bash
# Honest announces per second beside a torrent at the peer cap (issues 53 and 82), ours beside opentracker in one run.
# Four servers run at once, ours and opentracker twice each: "alone" holds the honest torrents (1,000 torrents, 20,000
# peers, as run.sh), "beside" holds them too and one more torrent filled with BIG peers (half from 127.0.0.1, half from
# 127.0.0.2: opentracker keys a peer by address and port), kept busy by RATE announces a second for the whole run. Each
# round measures the honest rate of all four in turn (UDP, then HTTP; the order rotates from round to round), so a load
# that drifts over the run weighs on alone and beside alike. Each round's ratio beside/alone is printed, then the
# median of the rounds.
#
#   bench/tracker/bigswarm.sh                        # publishes ours (Native AOT); 5 rounds of 5 s per measurement, ~4 min
#   ROUNDS=7 TRACKER=/path/to/torrentlab-tracker bench/tracker/bigswarm.sh
#   TL=TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli bench/tracker/bigswarm.sh   # `torrentlab tracker` instead
#
# Knobs: BIG (100000 peers: our tracker's cap per torrent), RATE (1000 announces/s into each big torrent), SECONDS_EACH
# (5), ROUNDS (5). The honest HTTP load comes from 127.0.0.1 to 127.0.0.4, 16 connections each: our tracker keeps at
# most 32 connections per address (it closes or refuses the others), and 64 from one address measured that churn
# rather than the announces (bench/notes/2026-11-29-tracker-share.md). Everything stays on 127.0.0.0/8; the servers are
# stopped by pid on exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${SECONDS_EACH:-5}; big=${BIG:-100000}; rate=${RATE:-1000}; rounds=${ROUNDS:-5}
hashes=1000; peers=20000; window=128; conns=64; half=$(( (big + 1) / 2 ))
sources=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
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

declare -A port
"$load" hashes $((hashes + 1)) > "$work/whitelist.txt"   # torrent 1000 is the big one
bighash=$(tail -1 "$work/whitelist.txt" | sed 's/../%&/g')
for who in ot-alone ot-beside; do   # opentracker chroots into its folder and runs as nobody
  mkdir -m 755 "$work/$who"; cp "$work/whitelist.txt" "$work/$who/"; chmod 644 "$work/$who/whitelist.txt"
  port[$who]=$(free_port)
  opentracker -i 127.0.0.1 -p "${port[$who]}" -P "${port[$who]}" -d "$work/$who" -w /whitelist.txt > "$work/$who.log" 2>&1 &
  pids+=($!)
done
for who in tl-alone tl-beside; do
  port[$who]=$(free_port)
  "${ours[@]}" --host 127.0.0.1 --port "${port[$who]}" --quiet > "$work/$who.log" 2>&1 &
  pids+=($!)
done
servers=(tl-alone tl-beside ot-alone ot-beside)
for who in "${servers[@]}"; do wait_listening "${port[$who]}"; done

echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')"
echo "# honest: $hashes torrents, $peers peers, UDP window $window, $conns HTTP connections from 4 addresses, $seconds s each, $rounds rounds"
echo "# big: $big peers, $rate announces/s into it for the whole run; ours: ${ours[*]}"
for who in "${servers[@]}"; do "$load" udp 127.0.0.1 "${port[$who]}" 2 $hashes $peers $window >/dev/null; done   # tables filled, JIT done
for who in tl-beside ot-beside; do
  FILL=1 HASH_BASE=$hashes "$load" udp 127.0.0.1 "${port[$who]}" 60 1 "$half" $window > /dev/null
  FILL=1 HASH_BASE=$hashes PEER_BASE=100000 BIND=127.0.0.2 "$load" udp 127.0.0.1 "${port[$who]}" 60 1 "$((big - half))" $window > /dev/null
  echo "# $who big torrent: $(curl -s "http://127.0.0.1:${port[$who]}/scrape?info_hash=$bighash" | grep -ao '[a-z]*i[0-9]*e' | tr '\n' ' ')"
done
# The drips run past the last round (each measurement takes its seconds and a moment to start), then end by themselves.
duration=$(( rounds * 4 * (2 * seconds + 2) + 10 ))
drips=()
for who in tl-beside ot-beside; do
  RATE=$rate HASH_BASE=$hashes "$load" udp 127.0.0.1 "${port[$who]}" "$duration" 1 "$half" 16 > "$work/drip.$who" &
  drips+=($!)
done
sleep 1
for round in $(seq "$rounds"); do
  for k in 0 1 2 3; do
    who=${servers[$(( (k + round) % 4 ))]}
    u=$("$load" udp 127.0.0.1 "${port[$who]}" "$seconds" $hashes $peers $window | awk '{print $3}')
    h=$(BIND=$sources "$load" http 127.0.0.1 "${port[$who]}" "$seconds" $hashes $peers $conns)
    printf 'round %d  %-10s udp %7d/s  http %7d/s   [%s]\n' "$round" "$who" "$u" "$(awk '{print $3}' <<<"$h")" "$(cut -d' ' -f4-7 <<<"$h")"
    echo "$round $who $u $(awk '{print $3}' <<<"$h")" >> "$work/rates"
  done
done
echo "# $(uptime | sed 's/.*load/load/')"
# Per round, beside / alone for each server and transport; then the median of the rounds.
awk '
  { rate[$1, $2, "udp"] = $3; rate[$1, $2, "http"] = $4; if ($1 > n) n = $1 }
  function median(list, count,   i, j, t) {
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (list[j] < list[i]) { t = list[i]; list[i] = list[j]; list[j] = t }
    return count % 2 ? list[(count + 1) / 2] : (list[count / 2] + list[count / 2 + 1]) / 2
  }
  END {
    split("tl ot", kinds, " "); split("udp http", transports, " ")
    for (a = 1; a <= 2; a++) for (b = 1; b <= 2; b++) {
      line = sprintf("%-12s %-4s beside/alone by round:", kinds[a] == "tl" ? "torrentlab" : "opentracker", transports[b])
      for (r = 1; r <= n; r++) {
        ratio[r] = rate[r, kinds[a] "-beside", transports[b]] / rate[r, kinds[a] "-alone", transports[b]]
        line = line sprintf(" %.2f", ratio[r])
      }
      printf "%s   median %.2f\n", line, median(ratio, n)
    }
  }' "$work/rates"
wait "${drips[@]}"
for who in tl-beside ot-beside; do echo "# $who background: $(cat "$work/drip.$who")"; done
