#!/bin/bash
# One simulated swarm over several seeds and timer latenesses (issue 84: a crowd's figure "published with at least five
# seeds and a sweep of timer lateness (0 to 1 ms)"). Each cell is one `bench/sim/run.sh swarm` run; the table gives each
# run's T/T_min, the seed's upload in F and its CPU seconds, then per lateness the mean and the largest T/T_min.
#
#   bench/sim/sweep.sh [--seeds 1-5] [--late 0,0.25,0.5,0.75,1] [--jobs 1] -- SWARM-OPTIONS...
#   e.g. bench/sim/sweep.sh --jobs 2 -- --peers 100 --mib 100 --uploads gnutella --super on
#
# Every run is deterministic (the same line for the same options on any machine); --jobs runs that many at once, which
# changes only their CPU figures (two side by side on two cores cost each about 1.6 times a run alone). Builds
# TorrentLab.Simulation (Release) once, unless NO_BUILD=1; each run's full output goes to a temporary folder, removed at
# the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
seeds=1-5
late=0,0.25,0.5,0.75,1
jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --late) late=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: bench/sim/sweep.sh [--seeds 1-5] [--late 0,0.25,0.5,0.75,1] [--jobs 1] -- SWARM-OPTIONS..." >&2; exit 2 ;;
  esac
done
case "$seeds" in
  *-*) seed_list=$(seq "${seeds%-*}" "${seeds#*-}") ;;
  *) seed_list=${seeds//,/ } ;;
esac
for option in "$@"; do
  case "$option" in --seed|--timers-late-ms) echo "sweep.sh sets $option itself" >&2; exit 2 ;; esac
done
if [ "${NO_BUILD:-0}" != 1 ]; then
  dotnet build "$repo/TorrentLab.Simulation" -c Release -v quiet -nologo >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/') commit=$(git -C "$repo" rev-parse --short HEAD) command=bench/sim/sweep.sh --seeds $seeds --late $late --jobs $jobs -- $*"
running=0
for l in ${late//,/ }; do
  for s in $seed_list; do
    NO_BUILD=1 "$here/run.sh" swarm "$@" --seed "$s" --timers-late-ms "$l" > "$out/$l-$s.txt" 2>&1 &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  done
done
wait || true  # a run that failed is reported below with its output
printf '%-8s %-5s %-9s %-10s %-8s %s\n' late_ms seed T/T_min seed_F cpu_s digest
for l in ${late//,/ }; do
  figures=""
  for s in $seed_list; do
    file="$out/$l-$s.txt"
    last=$(tail -1 "$file")
    ratio=$(grep -o 'T/T_min=[0-9.]*' <<<"$last" | cut -d= -f2 || true)
    if [ -z "$ratio" ]; then echo "late $l seed $s: no figure; its output:" >&2; cat "$file" >&2; exit 1; fi
    seed_f=$(grep -o 'seed_upload_F=[0-9.]*' <<<"$last" | cut -d= -f2)
    digest=$(grep -o 'digest=[0-9a-f]*' <<<"$last" | cut -d= -f2 | cut -c1-12)
    cpu=$(grep -o 'cpu_s=[0-9.]*' "$file" | head -1 | cut -d= -f2)
    printf '%-8s %-5s %-9s %-10s %-8s %s\n' "$l" "$s" "$ratio" "$seed_f" "$cpu" "$digest"
    figures="$figures $ratio"
  done
  awk -v l="$l" -v f="$figures" 'BEGIN { n = split(f, v, " "); m = 0; s = 0; for (i = 1; i <= n; i++) { s += v[i]; if (v[i] > m) m = v[i] }
    printf "late %s ms: mean %.3f, largest %.3f over %d seeds\n", l, s / n, m, n }'
done
