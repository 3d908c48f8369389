#!/usr/bin/env bash
# uTP beside TCP: one 256 MiB download TorrentLab -> TorrentLab on 127.0.0.1, over TCP and over uTP, and libtorrent ->
# libtorrent over uTP only for reference, rounds alternating the order. Prints wall-clock MiB/s of the download
# (start-up included), the downloader's CPU seconds and the seeder's CPU seconds while it served (from /proc).
#
#   bench/utp/run.sh                          # 256 MiB, 2 rounds
#   MIB=512 ROUNDS=3 bench/utp/run.sh
#   TL=/path/to/TorrentLab.Cli bench/utp/run.sh   # a build of ours instead of publishing one (Native AOT)
#   WHO="tl-lt lt" MIB=64 ROUNDS=5 bench/utp/run.sh   # what our uTP sends to libtorrent, beside libtorrent's own, alternated
#
# WHO picks the transfers (default "tcp utp lt"): tcp and utp are TorrentLab -> TorrentLab, lt is libtorrent ->
# libtorrent over uTP, tl-lt is a TorrentLab seeder -> a libtorrent downloader over uTP (both uTP only).
#
# The seeder is dialled by the downloader (--peer); no tracker, DHT, LSD, PEX or UPnP. Both processes are stopped by
# pid on exit.
set -euo pipefail
mib=${MIB:-256}; rounds=${ROUNDS:-2}
source "$(dirname "$0")/../one_file.sh"

# One download: prints "<name> <MiB/s> <CPU s>". The seeder is started fresh for each run.
run() {
  local name=$1 transport=$2 seed_port get_port out start end cpu
  seed_port=$(free_port); get_port=$(free_port); out="$work/out.$name"
  rm -rf "$out"; mkdir -p "$out"
  if [[ $name == libtorrent-utp ]]; then
    LT_UTP_ONLY=1 $lt seed "$work/payload.torrent" "$work/seed" "$seed_port" > "$work/seed.log" 2>&1 < /dev/zero &
  else
    "$TL" seed "$work/payload.torrent" -d "$work/seed" --port "$seed_port" --transport "$transport" --quiet --no-dht > "$work/seed.log" 2>&1 &
  fi
  local seeder=$!; pids+=("$seeder")
  wait_udp "$seed_port"
  if [[ $name == libtorrent-utp ]]; then
    for _ in $(seq 300); do grep -q ready "$work/seed.log" && break; sleep 0.1; done
  else
    sleep 1   # ours binds once its data is checked; a second more for the listener to start
  fi
  local seeder_cpu_before
  seeder_cpu_before=$(cpu_of "$seeder")
  start=$(date +%s.%N)
  if [[ $name == libtorrent-utp || $name == torrentlab-to-lt ]]; then
    cpu=$( { /usr/bin/time -f "%U %S" env LT_UTP_ONLY=1 $lt get "$work/payload.torrent" "$out" "$get_port" "$seed_port" >/dev/null; } 2>&1 | tail -1)
  else
    cpu=$( { /usr/bin/time -f "%U %S" "$TL" "$work/payload.torrent" -o "$out" --no-resume --quiet --no-dht --port "$get_port" \
      --transport "$transport" --peer "127.0.0.1:$seed_port" >/dev/null; } 2>&1 | tail -1)
  fi
  end=$(date +%s.%N)
  local seeder_cpu
  seeder_cpu=$(awk -v a="$(cpu_of "$seeder")" -v b="$seeder_cpu_before" 'BEGIN { printf "%.2f", a - b }')
  kill "$seeder" 2>/dev/null || true; wait "$seeder" 2>/dev/null || true
  cmp -s "$work/seed/payload.bin" "$out/payload.bin" || { echo "$name: the downloaded file differs" >&2; exit 1; }
  awk -v n="$name" -v m="$mib" -v s="$start" -v e="$end" -v c="$cpu" -v sc="$seeder_cpu" \
    'BEGIN { split(c, u, " "); printf "%-16s %7.1f MiB/s  %6.2f s  downloader CPU %5.2f s  seeder CPU while serving %5.2f s (%.1f ms/MiB)\n", n, m / (e - s), e - s, u[1] + u[2], sc, sc * 1000 / m }'
}

echo "# $(date -u +%FT%TZ) $mib MiB, $rounds rounds; $(uptime | sed 's/.*load/load/')"
who=(${WHO:-tcp utp lt})
for round in $(seq "$rounds"); do
  order=("${who[@]}")
  if (( round % 2 == 0 )); then order=(); for ((i = ${#who[@]} - 1; i >= 0; i--)); do order+=("${who[i]}"); done; fi
  for one in "${order[@]}"; do
    case $one in
      tcp) run torrentlab-tcp tcp ;;
      utp) run torrentlab-utp utp ;;
      lt) run libtorrent-utp utp ;;
      tl-lt) run torrentlab-to-lt utp ;;
      *) echo "unknown transfer '$one' in WHO (tcp, utp, lt, tl-lt)" >&2; exit 2 ;;
    esac
  done
done
echo "# $(uptime | sed 's/.*load/load/')"
