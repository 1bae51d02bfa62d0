#!/usr/bin/env bash
# Runs the README's walkthrough (the block between <!-- walkthrough:start --> and <!-- walkthrough:end -->) exactly
# as written, against the published binary and the simulator on free ports, and checks what a newcomer would see: the
# CVM is running after the commit, stops, and its log comes back.
#
#   TEEHOUSE_BINARY=/path/to/teehouse tests/readme/walkthrough.sh     (default: <repo>/publish/teehouse)
#
# Only the two ports are rewritten (12000 → a free one, 127.0.0.1:8080 → a free one), the server the block expects
# ("scripts/run.sh serving in another terminal") is started here with a config of its own in a temporary directory,
# and `dotnet run --project tests/Teehouse.Lite.Simulator --` runs the already built simulator (same project, no
# second build). Ends with `N passed, N failed, N skipped`; skipped (exit 0) only when the binary is missing.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
binary="${TEEHOUSE_BINARY:-$repo/publish/teehouse}"
sim_bin="$repo/tests/Teehouse.Lite.Simulator/bin/Debug/net10.0/Teehouse.Lite.Simulator"
passed=0 failed=0

if [ ! -x "$binary" ]; then
  echo "no teehouse binary at $binary: walkthrough skipped"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
if [ ! -x "$sim_bin" ]; then
  dotnet build "$repo/tests/Teehouse.Lite.Simulator" -c Debug -nologo -v:q >/dev/null 2>&1 \
    || { echo "the simulator does not build"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  # The block starts the simulator in the background of its own shell: that shell is its own process group (setsid).
  [ -f "$work/block.pgid" ] && kill -- "-$(cat "$work/block.pgid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
sim_port=$(free_port); api_port=$(free_port)
while [ "$api_port" = "$sim_port" ]; do api_port=$(free_port); done

block=$(awk '/<!-- walkthrough:start -->/{on=1; next} /<!-- walkthrough:end -->/{on=0} on' "$repo/README.md" | grep -v '^```')
if [ -z "$block" ]; then
  echo "FAIL - README.md has no walkthrough block"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi
block=$(printf '%s\n' "$block" | sed -e "s/localhost:12000/localhost:$sim_port/g; s/127\.0\.0\.1:12000/127.0.0.1:$sim_port/g" \
  -e "s/--port 12000/--port $sim_port/g; s/127\.0\.0\.1:8080/127.0.0.1:$api_port/g; s/localhost:8080/localhost:$api_port/g")

mkdir -p "$work/publish"
ln -s "$binary" "$work/publish/teehouse"
cat >"$work/teehouse.toml" <<TOML
[server]
listen = "127.0.0.1:$api_port"
[database]
path = "./teehouse.db"
[log]
file = ""
TOML
(cd "$work" && exec "$binary" serve --config teehouse.toml) >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$api_port/healthz" && break; sleep 0.2; done

cat >"$work/block.sh" <<SH
cd "$work"
echo \$\$ > block.pgid
dotnet() { if [ "\$1 \$2 \$3 \$4" = "run --project tests/Teehouse.Lite.Simulator --" ]; then shift 4; "$sim_bin" "\$@"; else command dotnet "\$@"; fi; }
$block
SH
start=$(date +%s)
timeout 90 setsid bash "$work/block.sh" >"$work/out.txt" 2>"$work/err.txt"
rc=$?
echo "the walkthrough ran in $(( $(date +%s) - start ))s (exit $rc)"

check() { # NAME PATTERN: PATTERN in the walkthrough's output
  if grep -qE -- "$2" "$work/out.txt"; then passed=$((passed + 1)); echo "ok   - $1"
  else failed=$((failed + 1)); echo "FAIL - $1 (no /$2/ in its output)"; fi
}
check "the teepod registers" '"name":"tdx-1","endpoint":"http://127.0.0.1:'"$sim_port"'"'
check "provision answers a compose_hash" '"compose_hash":"[0-9a-f]{64}"'
check "commit creates the CVM, running" '"name":"hello-web","status":"running"'
check "the CVM list shows it" '"items":\[\{"id":"[0-9a-f]+","name":"hello-web"'
check "stop answers it stopped" '"name":"hello-web","status":"stopped"'
check "its serial log comes back" 'Reached target'
if [ "$failed" -gt 0 ]; then
  echo "---- walkthrough stdout"; tail -n 30 "$work/out.txt"
  echo "---- walkthrough stderr"; tail -n 20 "$work/err.txt" | grep -v '^thl_'
  echo "---- server log"; tail -n 20 "$work/server.log"
fi
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
