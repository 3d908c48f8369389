#!/bin/sh
# Payload sent by 3 python3-libtorrent seeders for one download of a 12.6 MB torrent (256 KiB pieces), on loopback:
# TorrentLab (bench limited-download, no limit) and libtorrent (lt.py get) from fresh seeders, RUNS times each.
# Prints the seeders' total against the torrent's size. Usage: waste.sh [RUNS] (needs the bench built in Release).
set -eu
runs=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
bench="dotnet $here/../TorrentLab.Bench/bin/Release/net10.0/TorrentLab.Bench.dll"
work=$(mktemp -d /dev/shm/waste.XXXXXX)
size=12600000
head -c $size /dev/urandom > "$work/small.bin"
mktorrent -l 18 -o "$work/small.torrent" "$work/small.bin" > /dev/null
port=$((42000 + $$ % 1000 * 8))
run() { # run CLIENT: start 3 seeders on new ports, download with CLIENT, stop the seeders, print what they sent
  pids=""
  for k in 1 2 3; do
    mkfifo "$work/hold$k"
    /usr/bin/python3 "$here/lt.py" seed "$work/small.torrent" "$work" $((port + k)) < "$work/hold$k" > "$work/seed$k.out" 2>&1 &
    pids="$pids $!"
    sleep 600 > "$work/hold$k" &
    pids="$pids $!"
  done
  for k in 1 2 3; do for _ in $(seq 1 300); do grep -q ready "$work/seed$k.out" && break; sleep 0.1; done; done
  rm -rf "$work/out"
  if [ "$1" = torrentlab ]; then
    $bench limited-download "$work/small.torrent" "$work/out" 0 127.0.0.1:$((port + 1)) 127.0.0.1:$((port + 2)) 127.0.0.1:$((port + 3)) > /dev/null
  else
    /usr/bin/python3 "$here/lt.py" get "$work/small.torrent" "$work/out" $((port + 4)) $((port + 1)) $((port + 2)) $((port + 3))
  fi
  kill $pids
  sleep 2
  cat "$work"/seed?.out | awk -v c="$1" -v size=$size '/^uploaded/ { s += $2 } END { printf "%-10s seeders sent %d bytes for %d (%+.1f %%)\n", c, s, size, (s - size) * 100 / size }'
  rm -f "$work"/hold? "$work"/seed?.out
  port=$((port + 5))
}
for _ in $(seq 1 "$runs"); do run torrentlab; run libtorrent; done
rm -rf "$work"
