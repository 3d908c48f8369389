#!/usr/bin/env bash
# Download benchmark on loopback: a 1 GiB payload seeded by python3-libtorrent (high_performance_seed), downloaded by
# TorrentLab's swarm engine and its single-peer reference path (--max-peers 1), aria2c, Transmission (dialled by the seeder) and a libtorrent downloader, one at a time.
# Prints MiB/s (whole process, wall clock), CPU seconds, peak RSS, and TorrentLab's ratio to each; then the hashing
# rate of `torrentlab verify` against sha1sum. Everything stays on 127.0.0.1; DHT/LSD/UPnP/NAT-PMP/PEX are off.
#
#   bench/interop/run.sh                  # 1 and 3 seeders, all downloaders
#   SEEDERS="1" CLIENTS="torrentlab libtorrent" bench/interop/run.sh     # the short pair (busy machine)
#   SIZE_MIB=256 bench/interop/run.sh     # a smaller payload
#   SEEDERS=1 CLIENTS="torrentlab-utp libtorrent-utp torrentlab-tcp" bench/interop/run.sh   # uTP: *-utp clients get a
#                                         # uTP-only seeder (TCP off) and speak uTP only; torrentlab-tcp gets a TCP seeder
#   SEEDERS=1 CLIENTS="torrentlab torrentlab-rc4 libtorrent libtorrent-rc4" bench/interop/run.sh   # MSE/PE: *-rc4 clients
#                                         # get a seeder with RC4 forced and force it themselves (--encryption require)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${WORK:-/tmp/torrentlab-bench}"
size_mib="${SIZE_MIB:-1024}"
seeder_counts="${SEEDERS:-1 3}"
clients="${CLIENTS:-torrentlab torrentlab-ref libtorrent aria2 transmission}"
python=/usr/bin/python3
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { $python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "building (Release)..." >&2
dotnet build -c Release "$repo/TorrentLab.Cli" -v q -nologo >/dev/null
cli="$repo/TorrentLab.Cli/bin/Release/net10.0/TorrentLab.Cli.dll"

mkdir -p "$work/payload"
if [ ! -f "$work/payload/bench.bin" ] || [ "$(stat -c %s "$work/payload/bench.bin")" != $((size_mib << 20)) ]; then
  echo "creating a ${size_mib} MiB payload..." >&2
  head -c $((size_mib << 20)) /dev/urandom > "$work/payload/bench.bin"
fi
tport=$(free_port)
rm -f "$work/bench.torrent"
mktorrent -l 18 -a "http://127.0.0.1:$tport/announce" -o "$work/bench.torrent" "$work/payload/bench.bin" >/dev/null
hash=$($python -c "import libtorrent as lt,sys; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)" "$work/bench.torrent")
rm -f "$work/hold" && mkfifo "$work/hold" && exec 9<>"$work/hold"
mkdir -p "$work/ot" && echo "$hash" > "$work/ot/whitelist.txt"
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

results=()
for n in $seeder_counts; do
  for client in $clients; do
    # Transmission keeps one connection per IP: with several loopback seeders it stalled here, so it runs with one.
    if [ "$client" = transmission ] && [ "$n" -gt 1 ]; then continue; fi
    out="$work/out-$client"; rm -rf "$out"; mkdir -p "$out"
    dport=$(free_port)
    seeder_pids=()
    for i in $(seq 1 "$n"); do
      sport=$(free_port)
      dial=""; [ "$client" = transmission ] && [ "$i" = 1 ] && dial=$dport
      # stdin is a fifo we hold open (fd 9), so the seeder keeps seeding until this script exits; it prints "ready" once seeding and announced.
      utp=0; case $client in *-utp) utp=1 ;; esac
      rc4=0; case $client in *-rc4) rc4=1 ;; esac
      LT_RC4=$rc4 LT_UTP_ONLY=$utp $python "$here/lt.py" seed "$work/bench.torrent" "$work/payload" "$sport" $dial < "$work/hold" > "$work/seed.$i.out" 2>&1 &
      seeder_pids+=($!); pids+=($!)
      for _ in $(seq 1 200); do grep -q ready "$work/seed.$i.out" 2>/dev/null && break; sleep 0.1; done
      grep -q ready "$work/seed.$i.out" || { echo "seeder $i not ready: $(cat "$work/seed.$i.out")" >&2; exit 1; }
    done
    case $client in
      torrentlab) r=$(measure "$client-$n" dotnet "$cli" "$work/bench.torrent" -o "$out" --no-resume --quiet --port "$dport") ;;
      torrentlab-utp) r=$(measure "$client-$n" dotnet "$cli" "$work/bench.torrent" -o "$out" --no-resume --quiet --port "$dport" --transport utp) ;;
      torrentlab-tcp) r=$(measure "$client-$n" dotnet "$cli" "$work/bench.torrent" -o "$out" --no-resume --quiet --port "$dport" --transport tcp) ;;
      torrentlab-tcp-rc4) r=$(measure "$client-$n" dotnet "$cli" "$work/bench.torrent" -o "$out" --no-resume --quiet --port "$dport" --transport tcp --encryption require) ;;
      torrentlab-rc4) r=$(measure "$client-$n" dotnet "$cli" "$work/bench.torrent" -o "$out" --no-resume --quiet --port "$dport" --encryption require) ;;
      libtorrent-rc4) r=$(measure "$client-$n" env LT_RC4=1 $python "$here/lt.py" get "$work/bench.torrent" "$out" "$dport") ;;
      libtorrent-utp) r=$(measure "$client-$n" env LT_UTP_ONLY=1 $python "$here/lt.py" get "$work/bench.torrent" "$out" "$dport") ;;
      torrentlab-ref) r=$(measure "$client-$n" dotnet "$cli" "$work/bench.torrent" -o "$out" --no-resume --quiet --max-peers 1) ;;
      libtorrent) r=$(measure "$client-$n" $python "$here/lt.py" get "$work/bench.torrent" "$out" "$dport") ;;
      aria2) r=$(measure "$client-$n" aria2c --no-conf --dir="$out" -T "$work/bench.torrent" --enable-dht=false --enable-dht6=false \
                 --bt-enable-lpd=false --enable-peer-exchange=false --seed-time=0 --listen-port="$dport" --interface=127.0.0.1 \
                 --disable-ipv6=true --file-allocation=none --console-log-level=warn --summary-interval=0 --show-console-readout=false) ;;
      transmission)
        mkdir -p "$work/trc"
        printf '{"bind-address-ipv4":"127.0.0.1","dht-enabled":false,"lpd-enabled":false,"pex-enabled":false,"utp-enabled":false,"port-forwarding-enabled":false,"peer-port":%d,"encryption":0,"rpc-enabled":false,"ratio-limit":0,"ratio-limit-enabled":true}' "$dport" > "$work/trc/settings.json"
        rm -rf "$work/trc/resume" "$work/trc/torrents"
        r=$(measure "$client-$n" transmission-cli -g "$work/trc" -w "$out" "$work/bench.torrent") ;;
    esac
    cmp -s "$out/bench.bin" "$work/payload/bench.bin" || r="$r BAD-DATA"
    results+=("$n $client $r")
    for p in "${seeder_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$out"
  done
done

echo
printf "%-8s %-13s %9s %8s %9s %10s %9s\n" seeders client "MiB/s" "CPU s" "CPU s/GiB" "peak MiB" "TL ratio"
for n in $seeder_counts; do
  ours=$(printf '%s\n' "${results[@]}" | awk -v n="$n" '$1==n && ($2=="torrentlab" || $2=="torrentlab-utp") { print $3; exit }')
  for line in "${results[@]}"; do
    set -- $line
    [ "$1" = "$n" ] || continue
    awk -v n="$1" -v c="$2" -v w="$3" -v u="$4" -v s="$5" -v m="$6" -v ours="$ours" -v mib="$size_mib" -v bad="${7:-}" 'BEGIN {
      rate = mib / w; cpu = u + s; ratio = (w == ours) ? "-" : sprintf("%.2fx", (mib / ours) / rate);
      printf "%-8s %-13s %9.1f %8.2f %9.2f %10.1f %9s %s\n", n, c, rate, cpu, cpu * 1024 / mib, m / 1024, ratio, bad }'
  done
done

echo
echo "hashing: torrentlab verify vs sha1sum over ${size_mib} MiB (page cache warm)"
cat "$work/payload/bench.bin" > /dev/null
r=$(measure verify dotnet "$cli" verify "$work/bench.torrent" --output "$work/payload")
rm -rf "$work/payload/.torrentlab"
s=$(measure sha1sum sha1sum "$work/payload/bench.bin")
set -- $r; echo "torrentlab verify: $(awk -v w="$1" -v m="$size_mib" 'BEGIN{printf "%.0f MiB/s (%.2f s wall)", m/w, w}'), CPU $(awk -v u="$2" -v s="$3" 'BEGIN{print u+s}') s"
set -- $s; echo "sha1sum:           $(awk -v w="$1" -v m="$size_mib" 'BEGIN{printf "%.0f MiB/s (%.2f s wall)", m/w, w}'), CPU $(awk -v u="$2" -v s="$3" 'BEGIN{print u+s}') s"
