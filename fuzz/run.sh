#!/usr/bin/env bash
# Runs one fuzz target under AFL++ for a while, then prints its figures.
#
#   fuzz/run.sh TARGET SECONDS      e.g. fuzz/run.sh bencode 600
#
# Needs afl-fuzz (Debian's afl++ package) and the .NET SDK. Builds fuzz/TorrentLab.Fuzz in Release into
# fuzz/out/bin, instruments those copies of TorrentLab.dll, TorrentLab.Tracker.Server.dll and TorrentLab.Web.dll with
# SharpFuzz (the sharpfuzz tool pinned in .config/dotnet-tools.json), and runs afl-fuzz on the target's committed corpus (fuzz/corpus/TARGET) plus its
# regression inputs (fuzz/regressions/TARGET). Findings go to fuzz/out/findings/TARGET (not committed): a crash
# found there is minimized with afl-tmin (the command is printed) and kept in fuzz/regressions/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 2 ]; then
  echo "usage: fuzz/run.sh TARGET SECONDS" >&2
  exit 2
fi
target=$1
seconds=$2
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "afl-fuzz is not installed (apt-get install afl++)" >&2
  exit 3
fi

out=fuzz/out
bin=$out/bin
# One instrumented build serves every target; it is rebuilt when an instrumented assembly or the targets are newer.
instrumented=(TorrentLab TorrentLab.Tracker.Server TorrentLab.Web)
if [ ! -f "$bin/.instrumented" ] || [ -n "$(find "${instrumented[@]}" fuzz/TorrentLab.Fuzz -name '*.cs' -newer "$bin/.instrumented" -print -quit)" ]; then
  rm -rf "$bin"
  dotnet publish fuzz/TorrentLab.Fuzz -c Release -o "$bin" --nologo -v quiet
  dotnet tool restore >/dev/null
  for assembly in "${instrumented[@]}"; do dotnet tool run sharpfuzz "$bin/$assembly.dll"; done
  touch "$bin/.instrumented"
fi
# The instrumented build runs TorrentLab code only under afl-fuzz: the target is checked by its corpus folder.
if [ ! -d "fuzz/corpus/$target" ]; then
  echo "unknown target '$target'; the targets are: $(ls fuzz/corpus | tr '\n' ' ')" >&2
  exit 2
fi

# afl-fuzz reads one folder of starting inputs: the corpus and the regression inputs together.
inputs=$out/inputs/$target
rm -rf "$inputs"
mkdir -p "$inputs"
cp fuzz/corpus/"$target"/* "$inputs"/
if compgen -G "fuzz/regressions/$target/*" >/dev/null; then cp fuzz/regressions/"$target"/* "$inputs"/; fi
findings=$out/findings/$target
rm -rf "$findings"
mkdir -p "$out/findings"

# dotnet itself is not instrumented (the instrumented code is our three assemblies, loaded by SharpFuzz's fork server);
# no core dumps are needed; the test suite's switch keeps any DHT code on loopback.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export TORRENTLAB_DHT_LOOPBACK_ONLY=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dictionary=()
if [ -f "fuzz/dictionaries/$target.dict" ]; then dictionary=(-x "fuzz/dictionaries/$target.dict"); fi
started=$(date +%s)
afl-fuzz -i "$inputs" -o "$findings" -t 5000 -m none -V "$seconds" "${dictionary[@]}" -- \
  dotnet "$bin/TorrentLab.Fuzz.dll" "$target" > "$out/$target.log" 2>&1 || {
  echo "afl-fuzz failed; the end of its log ($out/$target.log):" >&2
  tail -30 "$out/$target.log" >&2
  exit 1
}

stats=$findings/default/fuzzer_stats
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$findings/default/crashes" -name 'id:*' | wc -l)
hangs=$(find "$findings/default/hangs" -name 'id:*' | wc -l)
echo "$target: $(( $(date +%s) - started )) s, $(value execs_done) executions ($(value execs_per_sec)/s)," \
  "corpus $(value corpus_count) inputs ($(value corpus_found) found), $(value edges_found) edges" \
  "(map $(value bitmap_cvg)), stability $(value stability), $crashes crash(es), $hangs hang(s)"
for crash in "$findings"/default/crashes/id:*; do
  [ -e "$crash" ] || continue
  echo "  crash: $crash"
  echo "    minimize: AFL_SKIP_BIN_CHECK=1 afl-tmin -i '$crash' -o fuzz/regressions/$target/NAME -t 5000 -m none -- dotnet $bin/TorrentLab.Fuzz.dll $target"
  echo "    replay:   dotnet $bin/TorrentLab.Fuzz.dll $target '$crash'"
done
