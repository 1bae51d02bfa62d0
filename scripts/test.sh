#!/usr/bin/env bash
# Runs every test: unit and integration tests (real Kestrel, real SQLite, the dstack-vmm simulator over HTTP), the
# end-to-end tests of the published native-AOT binary, the official SDK/CLI conformance run (npm) and the README's
# walkthrough (tests/readme/walkthrough.sh). Ends with one line `N passed, N failed, N skipped`, skips of all three counted.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_build_tools
ensure_node

log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT
failed_steps=0

echo "== publish the native-AOT binary"
if ! scripts/publish.sh publish; then
  echo "publish failed" >&2
  failed_steps=$((failed_steps + 1))
fi

echo "== build"
if ! dotnet build Teehouse.Lite.sln -c Debug -nologo -clp:NoSummary -v:q; then
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== dotnet test"
TEEHOUSE_BINARY="$PWD/publish/teehouse" dotnet test Teehouse.Lite.sln -c Debug --no-build -nologo \
  --blame-hang-timeout 5m 2>&1 | tee "$log_dir/dotnet-test.log"
test_status=${PIPESTATUS[0]}

# `dotnet test` prints one summary per test assembly: "Passed!  - Failed: 0, Passed: 71, Skipped: 0, Total: 71, …"
summary=$(grep -E '^(Passed|Failed)!' "$log_dir/dotnet-test.log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/')
failed=$(echo "$summary" | awk '{s+=$1} END {print s+0}')
passed=$(echo "$summary" | awk '{s+=$2} END {print s+0}')
skipped=$(echo "$summary" | awk '{s+=$3} END {print s+0}')

if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the runner failed without a summary (crash, hang): never report green
fi

echo "== conformance: the official @phala/cloud SDK and phala CLI against the published binary"
TEEHOUSE_BINARY="$PWD/publish/teehouse" bash tests/conformance/run.sh 2>&1 | tee "$log_dir/conformance.log"
conformance_status=${PIPESTATUS[0]}
conformance=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log_dir/conformance.log" | tail -n 1)
if [ -n "$conformance" ]; then
  passed=$((passed + $(echo "$conformance" | awk '{print $1}')))
  failed=$((failed + $(echo "$conformance" | awk '{print $3}')))
fi
# Its skips are on the line before the summary: "took 41s; 4 skipped (SDK calls for routes …)".
conformance_skipped=$(grep -oE '^took [0-9]+s; [0-9]+ skipped' "$log_dir/conformance.log" | tail -n 1 | awk '{print $3}')
skipped=$((skipped + ${conformance_skipped:-0}))
if [ "$conformance_status" -ne 0 ] && { [ -z "$conformance" ] || [ "$(echo "$conformance" | awk '{print $3}')" -eq 0 ]; }; then
  failed=$((failed + 1))
fi

echo "== README walkthrough (tests/readme/walkthrough.sh) against the published binary"
bash tests/readme/walkthrough.sh 2>&1 | tee "$log_dir/walkthrough.log"
walkthrough_status=${PIPESTATUS[0]}
walkthrough=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log_dir/walkthrough.log" | tail -n 1)
if [ -n "$walkthrough" ]; then
  passed=$((passed + $(echo "$walkthrough" | awk '{print $1}')))
  failed=$((failed + $(echo "$walkthrough" | awk '{print $3}')))
  skipped=$((skipped + $(echo "$walkthrough" | awk '{print $5}')))
fi
if [ "$walkthrough_status" -ne 0 ] && { [ -z "$walkthrough" ] || [ "$(echo "$walkthrough" | awk '{print $3}')" -eq 0 ]; }; then
  failed=$((failed + 1))
fi
failed=$((failed + failed_steps))

if [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
