# Shared by the benchmarks (sourced after scripts/lib.sh): logging, a temp dir whose clean-up stops only the PIDs
# started here, the teehouse binary (re-published when older than src/) copied into the temp dir, the simulator
# built in Release, and a free loopback port.

log() { echo "[bench] $*" >&2; }
die() { echo "[bench] FAILED: $*" >&2; exit 1; }

# --- temp dir and clean-up: only the PIDs started here are stopped --------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/teehouse-bench.XXXXXX")
pids=()
cleanup() {
  local status=$?
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_pid() { # stop one PID started here and forget it
  local pid="$1" p
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=()
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  pids=("${keep[@]+"${keep[@]}"}")
}

# --- the teehouse binary: sets th --------------------------------------------------------------------------------
wait_for_other_publish() {
  # Two native links into the same obj/ folder crash ("Bus error"): wait while anyone else runs ILC or a publish.
  local waited=0
  while pgrep -f '(^|/)ilc( |$)|dotnet publish' >/dev/null 2>&1; do
    [ "$waited" -eq 0 ] && log "another native publish is running; waiting for it to finish…"
    sleep 10
    waited=$((waited + 10))
    [ "$waited" -lt 1200 ] || die "another publish still runs after 20 minutes"
  done
}

prepare_binary() {
  stale=""
  if [ -x publish/teehouse ]; then
    stale=$(find src -name bin -prune -o -name obj -prune -o -type f -newer publish/teehouse -print -quit)
  fi
  if [ ! -x publish/teehouse ] || { [ -n "$stale" ] && [ "${BENCH_NO_PUBLISH:-0}" != 1 ]; }; then
    log "publishing teehouse (publish/teehouse is missing or older than ${stale:-src})…"
    wait_for_other_publish
    scripts/publish.sh publish >&2 || die "scripts/publish.sh failed"
  fi
  # A private copy, so that a concurrent re-publish cannot swap the binary in the middle of the measurements.
  cp publish/teehouse "$tmp/teehouse"
  th="$tmp/teehouse"
}

# --- the dstack-vmm simulator, built in Release (so that it is not the bottleneck) into $tmp/sim -----------------
build_simulator() {
  log "building the dstack-vmm simulator (Release)…"
  if ! dotnet build tests/Teehouse.Lite.Simulator -c Release -nologo -v q -clp:NoSummary -o "$tmp/sim" >"$tmp/sim-build.log" 2>&1; then
    cat "$tmp/sim-build.log" >&2
    die "building tests/Teehouse.Lite.Simulator failed (if someone is editing it, retry in a minute)"
  fi
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
