#!/usr/bin/env bash
# Packs the library as a user gets it and builds the sample against the package, not the project:
#
#   tools/pack-check.sh [--torrent FILE.torrent --output FOLDER [--peer HOST:PORT]...]
#
# 1. copies TorrentLab/ (without bin/ and obj/), the Directory.*.props, .editorconfig and LICENSE into a temporary
#    folder, so the checkout's own build outputs are never touched, and runs `dotnet pack -c Release` there with a
#    version of its own (X.Y.Z-packcheck.N: a copy cached in the NuGet packages folder under the real version is
#    never used by mistake); the analyzers are off in this copy's builds (`-p:RunAnalyzers=false`): they ran on the
#    same sources, both targets, in the solution's own build, where a finding fails it, and here they were about half
#    of each compile's CPU;
# 2. copies samples/TorrentLab.Sample beside it and builds it for net10.0 and net8.0 with
#    -p:TorrentLabPackageVersion=that version; the restore uses the temporary feed plus the configured NuGet sources;
# 3. checks that each build took TorrentLab from the package (its deps.json names lib/<target>/TorrentLab.dll of
#    that version) and that the package holds both targets, the licence, the README and the XML docs;
# 4. with --torrent, runs the net10.0 build: `TorrentLab.Sample FILE FOLDER --no-dht [--peer ...]`, then the net8.0
#    build into FOLDER-net8.0, and exits with the first failing exit code (start a swarm with `torrentlab lab swarm`
#    and pass its torrent; TorrentLab.Tests/Packaging/PackCheckTests.cs does so with the lab's swarm in process).
#    Without a .NET 8 runtime (this machine and CI have only .NET 10's), the net8.0 build runs with
#    DOTNET_ROLL_FORWARD=Major: the package's net8.0 assemblies on the .NET 10 runtime.
#
# Exit codes: 0 all good; 1 a check failed (the line says which); 2 usage; otherwise the sample's own exit code.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

torrent="" output=""
peers=()
while [ $# -gt 0 ]; do
  case "$1" in
    --torrent) torrent="${2:?--torrent needs a file}"; shift 2 ;;
    --output) output="${2:?--output needs a folder}"; shift 2 ;;
    --peer) peers+=(--peer "${2:?--peer needs HOST:PORT}"); shift 2 ;;
    *) echo "usage: tools/pack-check.sh [--torrent FILE.torrent --output FOLDER [--peer HOST:PORT]...]" >&2; exit 2 ;;
  esac
done
if [ -n "$torrent" ] && [ -z "$output" ]; then echo "pack-check: --torrent needs --output" >&2; exit 2; fi

fail() { echo "pack-check: $*" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/tl-pack-check.XXXXXX")"
base="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props")"
[ -n "$base" ] || fail "no <Version> in Directory.Build.props"
version="$base-packcheck.$(date +%s).$$"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() { rm -rf "$work" "$packages/torrentlab/$version"; }
trap cleanup EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== packing TorrentLab $version"
mkdir -p "$work/src/samples/net10.0" "$work/src/samples/net8.0" "$work/feed"
tar -C "$repo" --exclude=bin --exclude=obj -cf - TorrentLab Directory.Build.props Directory.Packages.props .editorconfig LICENSE \
  | tar -C "$work/src" -xf -
# One copy of the sample per target: each restores into an obj/ of its own.
for tfm in net10.0 net8.0; do
  tar -C "$repo/samples" --exclude=bin --exclude=obj -cf - TorrentLab.Sample | tar -C "$work/src/samples/$tfm" -xf -
done
# The temporary feed beside the sources configured for this user and machine (no <clear/>: nothing else is named).
cat > "$work/src/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="torrentlab-pack-check" value="$work/feed" />
  </packageSources>
</configuration>
XML
dotnet pack "$work/src/TorrentLab" -c Release -o "$work/feed" -p:Version="$version" -p:RunAnalyzers=false -nologo -clp:NoSummary \
  > "$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; fail "dotnet pack failed"; }
if grep -q ": warning " "$work/pack.log"; then grep ": warning " "$work/pack.log" >&2; fail "dotnet pack printed warnings"; fi
nupkg="$work/feed/TorrentLab.$version.nupkg"
[ -f "$nupkg" ] || fail "no $nupkg"
[ -f "$work/feed/TorrentLab.$version.snupkg" ] || fail "no symbols package beside $nupkg"
# A package is a zip; python3's zipfile reads it where unzip is not installed.
listing="$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$nupkg")"
for entry in PACKAGE.md lib/net10.0/TorrentLab.dll lib/net10.0/TorrentLab.xml lib/net8.0/TorrentLab.dll lib/net8.0/TorrentLab.xml; do
  grep -qx "$entry" <<<"$listing" || fail "the package has no $entry"
done
python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("TorrentLab.nuspec").decode())' "$nupkg" \
  | grep -q '<license type="expression">MIT</license>' || fail "the nuspec has no MIT licence"
echo "package: $(basename "$nupkg"), $(stat -c %s "$nupkg") bytes: lib/net10.0, lib/net8.0, PACKAGE.md, MIT"

for tfm in net10.0 net8.0; do
  echo "== building the sample for $tfm against the package"
  out="$work/sample-$tfm"
  # Restore ignores a TargetFramework given on the command line (it reads the project's own, net10.0):
  # TargetFrameworks names the target for the restore, TargetFramework for the build.
  dotnet build "$work/src/samples/$tfm/TorrentLab.Sample" -c Release -p:TargetFrameworks="$tfm" -p:TargetFramework="$tfm" -p:RunAnalyzers=false \
    -p:TorrentLabPackageVersion="$version" -o "$out" -nologo -clp:NoSummary > "$work/build-$tfm.log" 2>&1 \
    || { cat "$work/build-$tfm.log" >&2; fail "the sample does not build for $tfm against the package"; }
  deps="$out/TorrentLab.Sample.deps.json"
  grep -q "\"TorrentLab/$version\"" "$deps" || fail "$tfm: the sample's deps.json does not name the package TorrentLab/$version"
  grep -q "\"lib/$tfm/TorrentLab.dll\"" "$deps" || fail "$tfm: the sample did not take lib/$tfm/TorrentLab.dll from the package"
  echo "sample ($tfm): built against TorrentLab/$version (lib/$tfm/TorrentLab.dll)"
done

if [ -n "$torrent" ]; then
  echo "== running the sample (net10.0, from the package)"
  set +e
  dotnet "$work/sample-net10.0/TorrentLab.Sample.dll" "$torrent" "$output" --no-dht "${peers[@]}"
  status=$?
  set -e
  [ $status -eq 0 ] || exit $status
  # The net8.0 build (lib/net8.0 of the package, its System.Text.Json and logging packages) runs too. A machine with
  # only the .NET 10 runtime runs it by rolling forward to the newest major runtime (DOTNET_ROLL_FORWARD=Major): that
  # runs the net8.0 assemblies, not .NET 8's runtime; with a .NET 8 runtime installed, that one is used.
  if dotnet --list-runtimes | grep -q '^Microsoft.NETCore.App 8\.'; then roll=""; else roll="Major"; fi
  echo "== running the sample (net8.0, from the package${roll:+, on the newest runtime: DOTNET_ROLL_FORWARD=$roll})"
  set +e
  DOTNET_ROLL_FORWARD="${roll:-Minor}" dotnet "$work/sample-net8.0/TorrentLab.Sample.dll" "$torrent" "$output-net8.0" --no-dht "${peers[@]}"
  status=$?
  set -e
  exit $status
fi
echo "pack-check: ok"
