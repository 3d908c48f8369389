#!/usr/bin/env bash
# Runs the reliability campaign (tests with Category=reliability) and writes its summary table into
# docs/RELIABILITY.md, between the "table" markers, with the command that produced it.
#   bench/reliability/run.sh          long mode: TORRENTLAB_RELIABILITY=long (1,000,000+ fuzz inputs, 25 kills, ...)
#   bench/reliability/run.sh ci       the counts CI uses
set -uo pipefail
cd "$(dirname "$0")/../.."
mode="${1:-long}"
report="$(mktemp /tmp/torrentlab-reliability.XXXXXX.tsv)"
trap 'rm -f "$report"' EXIT
export TORRENTLAB_RELIABILITY="$mode" TORRENTLAB_RELIABILITY_REPORT="$report"
export TORRENTLAB_CORPUS="${TORRENTLAB_CORPUS:-$(pwd)/../shared/corpus}"
[ -d "$TORRENTLAB_CORPUS" ] || export TORRENTLAB_CORPUS=/work/shared/corpus
command="TORRENTLAB_RELIABILITY=$mode dotnet test TorrentLab.Tests --filter Category=reliability"
echo "== $command"
start=$(date +%s)
dotnet test TorrentLab.Tests --filter "Category=reliability" --logger "console;verbosity=normal"
status=$?
seconds=$(( $(date +%s) - start ))

python3 - "$report" "$mode" "$command" "$seconds" "$status" <<'PY'
import sys, datetime, os, platform, re
report, mode, command, seconds, status = sys.argv[1:6]
rows = [l.rstrip("\n").split("\t") for l in open(report, encoding="utf-8") if l.strip()]
order = ["fuzz", "hostile peer", "hostile tracker", "path traversal", "crash", "full disk", "bad network", "load"]
rows.sort(key=lambda r: (order.index(r[0]) if r[0] in order else 99))
def cell(s): return s.replace("|", "\\|")
lines = [
    f"Produced by `bench/reliability/run.sh {mode}`, which runs `{command}` "
    f"({datetime.date.today().isoformat()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
    f"{seconds} s in all; test run exit status {status}).",
    "",
    "| area | what was tried | tried | survived | lost | figures |",
    "|---|---|---:|---:|---|---|",
]
lines += [f"| {cell(r[0])} | {cell(r[1])} | {r[2]} | {r[3]} | {cell(r[4])} | {cell(r[5])} |" for r in rows]
total = sum(int(r[2]) for r in rows if r[0] == "fuzz")
lines += ["", f"Fuzz inputs in all: {total:,}. Rows come only from tests that ran; a skipped test adds no row (see its skip reason in the test output)."]
path = "docs/RELIABILITY.md"
text = open(path, encoding="utf-8").read()
begin, end = "<!-- table:begin -->", "<!-- table:end -->"
text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: begin + "\n" + "\n".join(lines) + "\n" + end, text, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
print("\n".join(lines))
PY
exit $status
