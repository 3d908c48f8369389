#!/usr/bin/env bash
# Download benchmark on loopback: a 1 GiB payload seeded by python3-libtorrent (high_performance_seed), downloaded one
# at a time by TorrentLab's swarm engine (default settings, the release build: Native AOT), the same engine in the JIT
# build (torrentlab-jit), its single-peer reference path (--max-peers 1), libtorrent (default preset and high-performance preset), aria2c and Transmission (dialled by the seeder).
# Prints MiB/s (whole process, wall clock), CPU seconds, peak RSS, the seeders' CPU seconds while it ran, the share of the two cores left idle meanwhile, each client's speed ratio to libtorrent's
# high-performance preset and its CPU ratio to aria2 (same seeders, same piece size, same run); then the hashing rate
# of `torrentlab verify` against sha1sum. Everything stays on 127.0.0.1; DHT/LSD/UPnP/NAT-PMP/PEX are off.
#
#   bench/interop/run.sh                  # 1 and 3 seeders, 256 KiB and 1 MiB pieces, v1 and a v2 row, default clients
#   SEEDERS="1" PIECES="256" CLIENTS="torrentlab libtorrent-hp" V2=0 bench/interop/run.sh   # the short pair
#   SIZE_MIB=256 bench/interop/run.sh     # a smaller payload
#   REPEAT=3 bench/interop/run.sh         # three rounds of every client in turn; the table shows each one's median by wall time
#   V2=1 V2_CLIENTS="torrentlab libtorrent-hp"   # (default) the same payload as a BEP 52 v2-only torrent made by
#                                         # libtorrent, downloaded by these clients (aria2 and Transmission have no v2)
#   SEEDERS=1 CLIENTS="torrentlab-utp libtorrent-utp torrentlab-tcp" bench/interop/run.sh   # uTP: *-utp clients get a
#                                         # uTP-only seeder (TCP off) and speak uTP only; torrentlab-tcp gets a TCP seeder
#   SEEDERS=1 CLIENTS="torrentlab torrentlab-rc4 libtorrent libtorrent-rc4" bench/interop/run.sh   # MSE/PE: *-rc4 clients
#                                         # get a seeder with RC4 forced and force it themselves (--encryption require)
#   CLIENTS="sink ..."                  # the seeders' ceiling: bench/TorrentLab.Bench wire-sink requests every block from
#                                         # the seeders (one connection each) and discards it (no hashing, no disk)
#   CLIENTS="torrentlab-alloc"           # the swarm engine inside bench/TorrentLab.Bench: prints managed allocations,
#                                         # GC collections and pauses of the download (stderr)
#   BASE=/tmp/other/aot CLIENTS="torrentlab torrentlab-base" REPEAT=5 bench/interop/run.sh   # this build against
#                                         # another one's Native AOT publish, alternating in rounds (an A/B of a change)
#   CLIENTS="... transmission"            # Transmission 3.00 (one seeder only; about 21 MiB/s here, so not a default)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${WORK:-/tmp/torrentlab-bench}"
size_mib="${SIZE_MIB:-1024}"
seeder_counts="${SEEDERS:-1 3}"
piece_kibs="${PIECES:-256 1024}"
clients="${CLIENTS:-sink torrentlab torrentlab-jit torrentlab-ref libtorrent libtorrent-hp aria2}"
v2="${V2:-1}"
v2_clients="${V2_CLIENTS:-torrentlab libtorrent-hp}"
repeat="${REPEAT:-1}"
# TL_WRAP: a command put before each torrentlab run, to profile it (e.g. TL_WRAP="perf record -F 499 -g -o /tmp/tl.perf"
# with DOTNET_PerfMapEnabled=1 exported); its own cost then shows in the table.
read -r -a tl_wrap <<< "${TL_WRAP:-}"
# TL_ARGS: more options for each torrentlab run (e.g. TL_ARGS="--verbose": its log lands in $WORK/time.*.log).
read -r -a tl_args <<< "${TL_ARGS:-}"
python=/usr/bin/python3
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { $python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# BUILD=0 reuses what an earlier run built and published into $WORK (for repeated runs of one build).
build="${BUILD:-1}"
[ "$build" = 1 ] && echo "building (Release)..." >&2 && dotnet build -c Release "$repo/TorrentLab.Cli" -v q -nologo >/dev/null
cli="$repo/TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll"
bench="$repo/bench/TorrentLab.Bench/bin/Release/net10.0/TorrentLab.Bench.dll"
# torrentlab (and its -ref, -utp, -tcp, -rc4 variants): the release build, the CLI published as Native AOT (one
# machine-code file: no JIT, no runtime files to map), as the README's install section builds it.
[ "$build" = 1 ] && echo "publishing the release build (Native AOT)..." >&2 &&
  dotnet publish -c Release -r linux-x64 "$repo/TorrentLab.Cli" -o "$work/aot" -v q -nologo >/dev/null
tl=("$work/aot/TorrentLab.Cli")
# torrentlab-jit: the framework-dependent build (`dotnet run`, the dotnet tool): JIT-compiled at run time.
# torrentlab-r2r: that build published with ReadyToRun (IL plus precompiled code: less JIT at start-up).
case "$build $clients " in "1 "*" torrentlab-r2r "*) dotnet publish -c Release -r linux-x64 --self-contained false -p:PublishAot=false \
  -p:PublishReadyToRun=true "$repo/TorrentLab.Cli" -o "$work/r2r" -v q -nologo >/dev/null ;; esac
case "$build $clients " in "1 "*" torrentlab-alloc "*|"1 "*" sink "*) dotnet build -c Release "$repo/bench/TorrentLab.Bench" -v q -nologo >/dev/null ;; esac

mkdir -p "$work/payload"
if [ ! -f "$work/payload/bench.bin" ] || [ "$(stat -c %s "$work/payload/bench.bin")" != $((size_mib << 20)) ]; then
  echo "creating a ${size_mib} MiB payload..." >&2
  head -c $((size_mib << 20)) /dev/urandom > "$work/payload/bench.bin"
fi
tport=$(free_port)
formats="v1"; [ "$v2" = 1 ] && formats="v1 v2"
# One torrent per piece size and format: v1 by mktorrent, v2-only by libtorrent's create_torrent. The tracker
# whitelists each v1 info hash and each v2 info hash truncated to 20 bytes (what a v2-only torrent announces, BEP 52).
mkdir -p "$work/ot"; : > "$work/ot/whitelist.txt"
for kib in $piece_kibs; do
  log2=$(awk -v k="$kib" 'BEGIN { printf "%d", log(k * 1024) / log(2) + 0.5 }')
  rm -f "$work/bench-$kib-v1.torrent" "$work/bench-$kib-v2.torrent"
  mktorrent -l "$log2" -a "http://127.0.0.1:$tport/announce" -o "$work/bench-$kib-v1.torrent" "$work/payload/bench.bin" >/dev/null
  [ "$v2" = 1 ] && $python "$here/lt.py" create-v2 "$work/payload/bench.bin" $((kib * 1024)) "http://127.0.0.1:$tport/announce" "$work/bench-$kib-v2.torrent"
  for f in $formats; do
    $python -c "import libtorrent as lt,sys; h=lt.torrent_info(sys.argv[1]).info_hashes(); print(str(h.v1) if h.has_v1() else str(h.v2)[:40])" \
      "$work/bench-$kib-$f.torrent" >> "$work/ot/whitelist.txt"
  done
done
rm -f "$work/hold" && mkfifo "$work/hold" && exec 9<>"$work/hold"
chmod 755 "$work" "$work/ot" && chmod 644 "$work/ot/whitelist.txt"
opentracker -i 127.0.0.1 -p "$tport" -P "$tport" -d "$work/ot" -w whitelist.txt >/dev/null 2>&1 & pids+=($!)
sleep 0.5

# measure NAME CMD...: runs CMD under /usr/bin/time -v; prints "wall user sys maxrss_kib"
measure() {
  local log="$work/time.$1.log"; shift
  /usr/bin/time -v "$@" >"$work/out.log" 2>"$log" || { echo "FAILED: $*" >&2; tail -5 "$log" >&2; echo "nan nan nan nan"; return; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n=split($2,t,":"); w=(n==3)? t[1]*3600+t[2]*60+t[3] : t[1]*60+t[2] }
              /User time/ { u=$2 } /System time/ { s=$2 } /Maximum resident/ { m=$2 }
              END { printf "%.2f %.2f %.2f %d\n", w, u, s, m }' "$log"
}

# idle_since "CPU LINE": the share of the machine's CPU time left idle (idle + iowait, all cores) since that /proc/stat line.
idle_since() { echo "$1 $(head -1 /proc/stat)" | awk '{ for (i = 2; i <= 9; i++) { t += $(i + 11) - $i } print sprintf("%.0f%%", 100 * ($16 - $5 + $17 - $6) / t) }'; }

# ticks PID...: the CPU time the processes have used so far, in seconds (utime + stime from /proc/PID/stat).
ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
          awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'; }

# download N KIB FORMAT CLIENT: starts N seeders, runs CLIENT once, checks the bytes; prints
# "wall user sys rss seeder-cpu idle [BAD-DATA]" (seeder-cpu: what the seeders burnt while CLIENT ran; idle: the share of
# both cores nobody used meanwhile)
download() {
  local n=$1 kib=$2 fmt=$3 client=$4 torrent="$work/bench-$2-$3.torrent"
  local out="$work/out-$client" dport; rm -rf "$out"; mkdir -p "$out"
  dport=$(free_port)
  local seeder_pids=() seeder_addresses=() i sport dial utp rc4 r seeded
  for i in $(seq 1 "$n"); do
    sport=$(free_port)
    dial=""; [ "$client" = transmission ] && [ "$i" = 1 ] && dial=$dport
    # stdin is a fifo we hold open (fd 9), so the seeder keeps seeding until this script exits; it prints "ready" once seeding and announced.
    utp=0; case $client in *-utp) utp=1 ;; esac
    rc4=0; case $client in *-rc4) rc4=1 ;; esac
    LT_RC4=$rc4 LT_UTP_ONLY=$utp $python "$here/lt.py" seed "$torrent" "$work/payload" "$sport" $dial < "$work/hold" > "$work/seed.$i.out" 2>&1 &
    seeder_pids+=($!); pids+=($!); seeder_addresses+=("127.0.0.1:$sport")
    for _ in $(seq 1 300); do grep -q ready "$work/seed.$i.out" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$work/seed.$i.out" || { echo "seeder $i not ready: $(cat "$work/seed.$i.out")" >&2; exit 1; }
  done
  local name="$client-$n-$kib-$fmt"
  seeded=$(ticks "${seeder_pids[@]}"); local stat0; stat0=$(head -1 /proc/stat)
  # get_with BUILD... -- OPTIONS...: one torrentlab download of this torrent with that build and these options.
  get_with() {
    local build=()
    while [ "$1" != -- ]; do build+=("$1"); shift; done; shift
    measure "$name" "${tl_wrap[@]}" "${build[@]}" "$torrent" -o "$out" --no-resume --quiet --no-dht "${tl_args[@]}" "$@"
  }
  case $client in
    torrentlab) r=$(get_with "${tl[@]}" -- --port "$dport") ;;
    torrentlab-utp) r=$(get_with "${tl[@]}" -- --port "$dport" --transport utp) ;;
    torrentlab-tcp) r=$(get_with "${tl[@]}" -- --port "$dport" --transport tcp) ;;
    torrentlab-tcp-rc4) r=$(get_with "${tl[@]}" -- --port "$dport" --transport tcp --encryption require) ;;
    torrentlab-rc4) r=$(get_with "${tl[@]}" -- --port "$dport" --encryption require) ;;
    torrentlab-r2r) r=$(get_with dotnet "$work/r2r/TorrentLab.Cli.dll" -- --port "$dport") ;;
    torrentlab-jit) r=$(get_with dotnet "$cli" -- --port "$dport") ;;
    torrentlab-ref) r=$(get_with "${tl[@]}" -- --max-peers 1) ;;
    # Another build of the swarm engine, for alternating pairs with this one: BASE=folder of its Native AOT publish.
    torrentlab-base) r=$(get_with "${BASE:?BASE: the folder of the other Native AOT publish}/TorrentLab.Cli" -- --port "$dport") ;;
    # The swarm engine in the bench harness: the same download, plus the runtime's allocation and GC counts (stderr).
    torrentlab-alloc) r=$(measure "$name" "${tl_wrap[@]}" dotnet "$bench" download-allocations "$torrent" "$out")
                      cat "$work/out.log" >&2 ;;
    # The seeders' ceiling: one connection per seeder, requesting every block once and discarding it (no hash, no disk).
    sink) r=$(measure "$name" dotnet "$bench" wire-sink "$torrent" "${seeder_addresses[@]}")
          echo "sink: $(cat "$work/out.log")" >&2 ;;
    libtorrent) r=$(measure "$name" $python "$here/lt.py" get "$torrent" "$out" "$dport") ;;
    libtorrent-hp) r=$(measure "$name" env LT_HP=1 $python "$here/lt.py" get "$torrent" "$out" "$dport") ;;
    libtorrent-rc4) r=$(measure "$name" env LT_RC4=1 $python "$here/lt.py" get "$torrent" "$out" "$dport") ;;
    libtorrent-utp) r=$(measure "$name" env LT_UTP_ONLY=1 $python "$here/lt.py" get "$torrent" "$out" "$dport") ;;
    aria2) r=$(measure "$name" aria2c --no-conf --dir="$out" -T "$torrent" --enable-dht=false --enable-dht6=false \
               --bt-enable-lpd=false --enable-peer-exchange=false --seed-time=0 --listen-port="$dport" --interface=127.0.0.1 \
               --disable-ipv6=true --file-allocation=none --console-log-level=warn --summary-interval=0 --show-console-readout=false) ;;
    transmission)
      mkdir -p "$work/trc"
      printf '{"bind-address-ipv4":"127.0.0.1","dht-enabled":false,"lpd-enabled":false,"pex-enabled":false,"utp-enabled":false,"port-forwarding-enabled":false,"peer-port":%d,"encryption":0,"rpc-enabled":false,"ratio-limit":0,"ratio-limit-enabled":true}' "$dport" > "$work/trc/settings.json"
      rm -rf "$work/trc/resume" "$work/trc/torrents"
      r=$(measure "$name" transmission-cli -g "$work/trc" -w "$out" "$torrent") ;;
    *) echo "unknown client $client" >&2; exit 2 ;;
  esac
  r="$r $(awk -v a="$(ticks "${seeder_pids[@]}")" -v b="$seeded" 'BEGIN { printf "%.2f", a - b }') $(idle_since "$stat0")"
  [ "$client" = sink ] || cmp -s "$out/bench.bin" "$work/payload/bench.bin" || r="$r BAD-DATA"
  for i in "${seeder_pids[@]}"; do kill "$i" 2>/dev/null || true; done
  rm -rf "$out"
  echo "$r"
}

results=()
for n in $seeder_counts; do
  for kib in $piece_kibs; do
    for fmt in $formats; do
      list=$clients; [ "$fmt" = v2 ] && list=$v2_clients
      # Transmission keeps one connection per IP: with several loopback seeders it stalled here, so it runs with one.
      [ "$n" -gt 1 ] && list=$(printf '%s\n' $list | { grep -vx transmission || true; } | tr '\n' ' ')
      # Rounds: every client once per round, in turn, so a slow spell of the machine falls on all of them alike.
      declare -A runs=()
      for round in $(seq 1 "$repeat"); do
        for client in $list; do
          r=$(download "$n" "$kib" "$fmt" "$client")
          runs[$client]+="$r"$'\n'
          echo "run $round: $n seeder(s), $kib KiB, $fmt, $client: $r" >&2
        done
      done
      for client in $(printf '%s\n' $list | awk '!seen[$0]++'); do
        # The median run by wall time (a failed or bad run sorts last).
        r=$(printf '%s' "${runs[$client]}" | sort -g -k1,1 | awk -v k="$repeat" 'NR == int((k + 1) / 2)')
        results+=("$n $kib $fmt $client $r")
      done
      unset runs
    done
  done
done

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); ${size_mib} MiB; median of $repeat"
printf "%-3s %-6s %-3s %-15s %8s %7s %9s %8s %9s %9s %10s %6s\n" seed piece fmt client "MiB/s" "CPU s" "CPU s/GiB" "peak MiB" "vs lt-hp" "CPU/aria2" "seeders' CPU s" "idle"
for line in "${results[@]}"; do
  set -- $line
  n=$1 kib=$2 fmt=$3
  hp=$(printf '%s\n' "${results[@]}" | awk -v n="$n" -v k="$kib" -v f="$fmt" '$1==n && $2==k && $3==f && $4=="libtorrent-hp" { print $5; exit }')
  ar=$(printf '%s\n' "${results[@]}" | awk -v n="$n" -v k="$kib" '$1==n && $2==k && $3=="v1" && $4=="aria2" { print $6 + $7; exit }')
  awk -v n="$n" -v k="$kib" -v f="$fmt" -v c="$4" -v w="$5" -v u="$6" -v s="$7" -v m="$8" -v hp="${hp:-}" -v ar="${ar:-}" \
      -v mib="$size_mib" -v sc="$9" -v idle="${10}" -v bad="${11:-}" 'BEGIN {
    piece = (k >= 1024) ? (k / 1024) "M" : k "K"; rate = mib / w; cpu = u + s
    vs = (hp == "" || hp == "nan") ? "" : sprintf("%.2fx", hp / w)
    vc = (ar == "" || ar == "nan" || ar == 0) ? "" : sprintf("%.2fx", cpu / ar)
    printf "%-3s %-6s %-3s %-15s %8.1f %7.2f %9.2f %8.1f %9s %9s %10s %6s %s\n", n, piece, f, c, rate, cpu, cpu * 1024 / mib, m / 1024, vs, vc, sc, idle, bad }'
done

first=$(echo $piece_kibs | cut -d' ' -f1)
echo
echo "hashing: torrentlab verify vs sha1sum over ${size_mib} MiB (page cache warm; $first KiB pieces)"
cat "$work/payload/bench.bin" > /dev/null
r=$(measure verify "${tl[@]}" verify "$work/bench-$first-v1.torrent" --output "$work/payload")
rm -rf "$work/payload/.torrentlab"
s=$(measure sha1sum sha1sum "$work/payload/bench.bin")
set -- $r; echo "torrentlab verify: $(awk -v w="$1" -v m="$size_mib" 'BEGIN{printf "%.0f MiB/s (%.2f s wall)", m/w, w}'), CPU $(awk -v u="$2" -v s="$3" 'BEGIN{print u+s}') s"
set -- $s; echo "sha1sum:           $(awk -v w="$1" -v m="$size_mib" 'BEGIN{printf "%.0f MiB/s (%.2f s wall)", m/w, w}'), CPU $(awk -v u="$2" -v s="$3" 'BEGIN{print u+s}') s"

# Start-up: `torrentlab info` (parse and print, no network), median of 5 wall times: the release build (Native AOT),
# the JIT build, and the ReadyToRun publish when it was built.
startup() { for _ in 1 2 3 4 5; do measure info "$@" | cut -d' ' -f1; done | sort -g | sed -n 3p; }
echo
echo "start-up of torrentlab info (median of 5):"
echo "Native AOT:  $(startup "${tl[@]}" info "$work/bench-$first-v1.torrent") s"
echo "JIT build:   $(startup dotnet "$cli" info "$work/bench-$first-v1.torrent") s"
[ -f "$work/r2r/TorrentLab.Cli.dll" ] && echo "ReadyToRun:  $(startup dotnet "$work/r2r/TorrentLab.Cli.dll" info "$work/bench-$first-v1.torrent") s"
exit 0
