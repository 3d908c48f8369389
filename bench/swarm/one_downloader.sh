#!/usr/bin/env bash
# A lone seed and one libtorrent downloader on 127.0.0.1: how long the download takes from our seed (`torrentlab seed`,
# default options) beside libtorrent's seed, rounds alternating the order. What a lone seed's first-copy rule must not
# cost: a single downloader has nobody to share with, so it should get everything as fast as before.
#
#   bench/swarm/one_downloader.sh                                   # 512 MiB, 3 rounds, AOT publish of this tree
#   TL=/tmp/aot/TorrentLab.Cli MIB=512 ROUNDS=5 bench/swarm/one_downloader.sh
#   TL=/tmp/new/TorrentLab.Cli BASE=/tmp/main/TorrentLab.Cli bench/swarm/one_downloader.sh   # also the build before
#
# Seeds: tl (ours), base (ours, the BASE build, when given), lt (lt.py seed: libtorrent's high_performance_seed preset,
# as bench/interop seeds), lt-default (lt.py seed with libtorrent's default settings). The downloader is `lt.py get`
# (libtorrent's defaults, TCP only), dialling the seed; no tracker, DHT, LSD, PEX or UPnP. Prints the wall time of the
# downloading process (start-up included, about 0.2 s) and the seed's CPU seconds while it served.
set -euo pipefail
mib=${MIB:-512}; rounds=${ROUNDS:-3}
source "$(dirname "$0")/../one_file.sh"
seeds=(tl lt lt-default)
[[ -n "${BASE:-}" ]] && seeds=(tl base lt lt-default)

run() {
  local name=$1 port out start end before after
  port=$(free_port); out="$work/out"
  rm -rf "$out"; mkdir -p "$out"
  case $name in
    tl) "$TL" seed "$work/payload.torrent" -d "$work/seed" --port "$port" --quiet --no-dht > "$work/seed.log" 2>&1 & ;;
    base) "$BASE" seed "$work/payload.torrent" -d "$work/seed" --port "$port" --quiet --no-dht > "$work/seed.log" 2>&1 & ;;
    lt) $lt seed "$work/payload.torrent" "$work/seed" "$port" > "$work/seed.log" 2>&1 < /dev/zero & ;;
    lt-default) LT_HP=0 $lt seed "$work/payload.torrent" "$work/seed" "$port" > "$work/seed.log" 2>&1 < /dev/zero & ;;
  esac
  local seeder=$!; pids+=("$seeder")
  wait_tcp "$port"
  if [[ $name == lt* ]]; then
    for _ in $(seq 600); do grep -q ready "$work/seed.log" && break; sleep 0.1; done
  else
    sleep 1   # ours listens once its data is checked; a second more for the listener
  fi
  before=$(cpu_of "$seeder")
  start=$(date +%s.%N)
  $lt get "$work/payload.torrent" "$out" "$(free_port)" "$port" >/dev/null
  end=$(date +%s.%N)
  after=$(cpu_of "$seeder")
  kill "$seeder" 2>/dev/null || true; wait "$seeder" 2>/dev/null || true
  cmp -s "$work/seed/payload.bin" "$out/payload.bin" || { echo "$name: the downloaded file differs" >&2; exit 1; }
  awk -v n="$name" -v m="$mib" -v s="$start" -v e="$end" -v a="$after" -v b="$before" \
    'BEGIN { printf "%-11s %7.2f s  %7.1f MiB/s  seed CPU %5.2f s\n", n, e - s, m / (e - s), a - b }'
}

echo "# $(date -u +%FT%TZ) $mib MiB, $rounds rounds, one libtorrent downloader; $(uptime | sed 's/.*load/load/')"
for round in $(seq "$rounds"); do
  order=("${seeds[@]}")
  if (( round % 2 == 0 )); then order=(); for ((i = ${#seeds[@]} - 1; i >= 0; i--)); do order+=("${seeds[i]}"); done; fi
  for one in "${order[@]}"; do run "$one"; done
done
echo "# $(uptime | sed 's/.*load/load/')"
