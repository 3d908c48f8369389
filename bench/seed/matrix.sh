#!/usr/bin/env bash
# The lone seed's regime matrix (bench/seed/matrix.py) on a fresh Release build of this tree:
#   bench/seed/matrix.sh --quick                      # builds TorrentLab.Cli -c Release first
#   TORRENTLAB=/tmp/aot/TorrentLab.Cli bench/seed/matrix.sh --cells '8/*'   # another build, none made
# Every option is matrix.py's (--help).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${TORRENTLAB:-}" ]]; then
  dotnet build "$repo/TorrentLab.Cli" -c Release -v q -nologo >/dev/null
fi
exec /usr/bin/python3 "$repo/bench/seed/matrix.py" "$@"
