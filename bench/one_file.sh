# Sourced by bench scripts that time one file between two peers on 127.0.0.1 (bench/utp/run.sh,
# bench/swarm/one_downloader.sh), after `set -euo pipefail`. Reads MIB (the file's size) and TL (our build; without it,
# a Native AOT publish of this tree). Sets repo, work (a temporary folder, removed on exit, with every process in pids
# stopped by pid), lt (bench/interop/lt.py), and $work/seed/payload.bin of MIB random MiB with $work/payload.torrent
# (256 KiB pieces). Helpers: free_port, wait_tcp PORT, wait_udp PORT, cpu_of PID (user + system CPU seconds so far).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/onefile.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [[ -z "${TL:-}" ]]; then
  dotnet publish -c Release -r linux-x64 "$repo/TorrentLab.Cli" -o "$work/aot" -v q -nologo >/dev/null
  TL="$work/aot/TorrentLab.Cli"
fi
lt="/usr/bin/python3 $repo/bench/interop/lt.py"

mkdir -p "$work/seed"
head -c "$((mib << 20))" /dev/urandom > "$work/seed/payload.bin"
"$TL" create "$work/seed/payload.bin" -o "$work/payload.torrent" -l 262144 >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_tcp() { for _ in $(seq 300); do ss -ltnH "sport = :$1" | grep -q . && return 0; sleep 0.1; done; echo "port $1 never bound" >&2; exit 1; }
wait_udp() { for _ in $(seq 100); do ss -lunH "sport = :$1" | grep -q . && return 0; sleep 0.1; done; echo "port $1 never bound" >&2; exit 1; }
cpu_of() { awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t }' "/proc/$1/stat"; }
