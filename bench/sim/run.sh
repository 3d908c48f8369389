#!/bin/bash
# Scale experiments on the simulated network (issue 51): the unchanged engine, every peer a host of its own, one
# virtual clock, deterministic from the seed. The last line holds the figures, the same for the same seed and options;
# the line before it, the run's own cost (wall time, simulated seconds per wall second, memory), which is not.
#
#   bench/sim/run.sh swarm --peers N --seed S [--mib F] [--piece-kib K] [--seed-kib-s U] [--uploads equal|spread|gnutella|gnutella-up]
#                          [--down-factor D] [--super on|off] [--cap link|app] [--neighbours M]
#                          [--join once|tracker] [--starts FROM-TO|S1,...,SN] [--churn SHARE] [--log FILE] [--trace FILE]
#                          [--one-way-ms 20] [--timers-late-ms 0.5] [--wire FILE]
#   bench/sim/run.sh dht --nodes N --seed S [--lookups L] [--unresponsive 0.2] [--loss 0.01]
#                        [--rtt atlas|lognormal] [--one-way-ms 25 (lognormal)] [--addresses spread|dense] [--log FILE]
#
# Builds TorrentLab.Simulation (Release) unless NO_BUILD=1. Runs it with one processor and one thread-pool thread (what
# makes a run deterministic), under /usr/bin/time for its peak resident memory; the collector not concurrent (on one
# thread a background collection only competes with it) and a 1 GiB first generation, from the runtime's collector of
# segments (libclrgc.so, 4 GiB segments): a run allocates about 1 GB a simulated minute per 100 peers, and at 1,000
# peers a simulated second takes seconds of CPU, so what lives a simulated second outlives a small first generation;
# the default collector of regions keeps its first generation under about 128 MiB whatever GCgen0size asks (1,000 peers
# of 4 MiB: 184/58/9 collections, more than half of their pause time in the first generation; with this one 25/11/5, 12 % less CPU and
# 1.2 GiB more at the peak). The shared array pool keeps up to 8,192 arrays of a size, not 32: on one processor it has
# one partition of 32, so with thousands of connections most rentals (a piece's blocks, a receive buffer) were new
# arrays, garbage once given back. bench/notes/swarm.md, "The simulator's cost", has the figures. None of these changes
# what a run computes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
case "${1:-}" in
  swarm|dht) ;;
  *) echo "usage: bench/sim/run.sh swarm --peers N --seed S [options] | dht --nodes N --seed S [options]" >&2; exit 2 ;;
esac
if [ "${NO_BUILD:-0}" != 1 ]; then
  dotnet build "$repo/TorrentLab.Simulation" -c Release -v quiet -nologo >/dev/null
fi
dll="$repo/TorrentLab.Simulation/bin/Release/net10.0/TorrentLab.Simulation.dll"
echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/') command=bench/sim/run.sh $*"
env DOTNET_PROCESSOR_COUNT=1 DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_GCName=libclrgc.so DOTNET_GCSegmentSize=0x100000000 \
  DOTNET_GCgen0size=0x40000000 DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=8192 /usr/bin/time -f "max_rss_mib=%M" dotnet "$dll" "$@" 2>&1 |
  awk '/^max_rss_mib=/ { split($0, kv, "="); rss = sprintf("max_rss_mib=%d", kv[2] / 1024); next } { lines[++n] = $0 }
       END { for (i = 1; i < n; i++) print lines[i]; if (rss != "") print rss; if (n > 0) print lines[n] }'
