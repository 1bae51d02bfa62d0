#!/usr/bin/env bash
# Publishes the native-AOT `teehouse` binary (linux-x64, SQLite linked in) to ./publish/ and fails on any
# build warning that is not one of the accepted third-party ones named in src/Teehouse.Lite/Teehouse.Lite.csproj.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-publish}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

start=$(date +%s)
if ! dotnet publish src/Teehouse.Lite -c Release -r linux-x64 -o "$out" -nologo -clp:NoSummary >"$log" 2>&1; then
  cat "$log"
  echo "publish failed" >&2
  exit 1
fi
elapsed=$(( $(date +%s) - start ))

unexpected=$(grep -E ': (warning|error) ' "$log" \
  | grep -vE "Dapper\.dll : warning IL(2104|3053):" \
  | grep -vE "Serilog\.dll : warning IL2104:" \
  | grep -vE "Carter\.dll : warning IL2104:" \
  | grep -vE "Carter/DependencyContextAssemblyCatalog\.cs\([0-9]+\): warning IL3002:" \
  | sort -u || true)
if [ -n "$unexpected" ]; then
  echo "publish produced warnings that are not accepted (fix them; do not silence them):" >&2
  echo "$unexpected" >&2
  exit 1
fi

bin="$out/teehouse"
extra=$(find "$out" -mindepth 1 -not -name teehouse | head -5)
if [ -n "$extra" ]; then
  echo "publish folder holds more than the one executable:" >&2
  echo "$extra" >&2
  exit 1
fi
if ldd "$bin" | grep -qi sqlite; then
  echo "$bin links a shared SQLite library; it must be static" >&2
  exit 1
fi
echo "published $bin ($(du -h "$bin" | cut -f1), ${elapsed}s)"
