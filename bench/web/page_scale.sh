#!/usr/bin/env bash
# The page at scale: 10,000 torrents, 50 downloading (slow synthetic seeders on 127.0.0.1), in Debian's Chromium.
# Prints the main thread's busy share, long tasks and click latencies (TorrentLab.Tests/Web/PageScaleBenchmark.cs).
# Usage: bench/web/page_scale.sh [torrents] [running]   (defaults 10000 50; build TorrentLab.Tests first)
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
TORRENTLAB_BENCH_WEB=1 TORRENTLAB_BENCH_TORRENTS="${1:-10000}" TORRENTLAB_BENCH_RUNNING="${2:-50}" \
  dotnet test TorrentLab.Tests --no-build --filter "FullyQualifiedName~PageScaleBenchmark" >/dev/null
cat TestResults/web/page-scale.txt
