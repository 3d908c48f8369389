#!/usr/bin/env bash
# timeline.sh CMD...: runs CMD while sampling the machine every 25 ms: /proc/stat's cpu line and the disk's line of
# /proc/diskstats. Each run writes OUT.N.tsv and OUT.N.tsv.marks (start and end), N counting up; read them with
# timeline.awk. Meant as run.sh's TL_WRAP:
#   TIMELINE_OUT=/tmp/tl TL_WRAP=bench/interop/timeline.sh SEEDERS=1 PIECES=1024 V2=0 CLIENTS=torrentlab bench/interop/run.sh
#   awk -v B=0.25 -f bench/interop/timeline.awk /tmp/tl.1.tsv.marks /tmp/tl.1.tsv
out="${TIMELINE_OUT:-/tmp/timeline}"
# The disk: TIMELINE_DISK, else the device holding the current folder (where run.sh's $WORK usually is).
disk="${TIMELINE_DISK:-$(basename "$(findmnt -nro SOURCE -T "$PWD")")}"
n=$(cat "$out.count" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$out.count"
file="$out.$n.tsv"
# The sampler sleeps by waiting on a pipe nobody writes (read -t), so it forks nothing between samples.
( exec 8<> <(:)
  while :; do
    read -r cpu < /proc/stat
    while read -r line; do set -- $line; [ "$3" = "$disk" ] && break; done < /proc/diskstats
    echo "$EPOCHREALTIME $cpu | $line"
    read -r -t 0.025 -u 8 _
  done > "$file" ) &
sampler=$!
echo "start $EPOCHREALTIME" > "$file.marks"
"$@"; rc=$?
echo "end $EPOCHREALTIME" >> "$file.marks"
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
exit $rc
