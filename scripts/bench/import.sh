#!/usr/bin/env bash
# Import benchmark: imports VMS simulated VMs (default 10000) from the dstack-vmm simulator with `teehouse import`
# and prints the import time as a ratio against `teehouse import --dry-run`, which fetches and parses the very same
# Status pages with the same client and writes nothing. Both are measured in the same run, BENCH_RUNS times each
# (default 3, interleaved), and the medians are compared. Times are the seconds `teehouse import` prints itself
# (the operation only, without process start-up and opening the database); wall-clock medians are shown alongside.
#
#   scripts/bench/import.sh [VMS]
#
# Environment: BENCH_RUNS (default 3), BENCH_WARMUP (untimed rounds first, default 1), BENCH_NO_PUBLISH=1 (use publish/teehouse as it is, even if stale).
# Checks while measuring: a fresh import reports VMS new and leaves exactly VMS rows in `cvms`; a re-import
# reports 0 new and 0 gone. Exits non-zero on any failure. See scripts/bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

vms="${1:-10000}"
runs="${BENCH_RUNS:-3}"
warmup="${BENCH_WARMUP:-1}"
if ! [[ "$vms" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [VMS]   (VMS: a positive integer, default 10000)" >&2
  exit 2
fi
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]] || ! [[ "$warmup" =~ ^[0-9]+$ ]]; then
  echo "BENCH_RUNS must be a positive integer and BENCH_WARMUP a non-negative one" >&2
  exit 2
fi

. scripts/bench/common.sh

# --- tools -----------------------------------------------------------------------------------------------------
ensure_build_tools
command -v curl >/dev/null 2>&1 || apt_install curl
if [ ! -x /usr/bin/time ]; then
  apt_install time || log "could not install /usr/bin/time; peak RSS is sampled from /proc VmHWM instead"
fi
have_sqlite=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite=1

# --- the teehouse binary ---------------------------------------------------------------------------------------
prepare_binary

# --- the simulator (Release build, so that it is not the bottleneck) ---------------------------------------------
build_simulator

log "starting the simulator with $vms VMs…"
"$tmp/sim/Teehouse.Lite.Simulator" --port 0 --vms "$vms" >"$tmp/sim.log" 2>&1 &
pids+=($!)
sim_pid=$!
sim_port=""
for _ in $(seq 1 600); do
  sim_port=$(sed -nE 's|^dstack-vmm simulator listening on http://127\.0\.0\.1:([0-9]+) .*|\1|p' "$tmp/sim.log")
  [ -n "$sim_port" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.log" >&2; die "the simulator exited"; }
  sleep 0.2
done
[ -n "$sim_port" ] || { cat "$tmp/sim.log" >&2; die "the simulator did not start within 120 s"; }
grep -qE "\($vms VMs[,)]" "$tmp/sim.log" || { cat "$tmp/sim.log" >&2; die "the simulator does not report $vms VMs"; }

# --- config, token, registration -------------------------------------------------------------------------------
api_port=$(free_port) || die "no free loopback port"
cfg="$tmp/teehouse.toml"
db="$tmp/teehouse.db"
cat >"$cfg" <<EOF
[server]
listen = "127.0.0.1:$api_port"

[database]
path = "$db"

[log]
level = "warning"
file = ""

[vmm]
request_timeout_ms = 60000
ping_interval_s = 86400
EOF
"$th" config check "$cfg" >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; die "teehouse config check rejected $cfg"; }
token=$("$th" token create --user admin --role admin --config "$cfg" 2>"$tmp/token.err") \
  || { cat "$tmp/token.err" >&2; die "token create failed"; }
[ -n "$token" ] || die "token create printed no token"

log "registering the simulated teepod (the registration probes the vmm)…"
"$th" serve --config "$cfg" --listen "127.0.0.1:$api_port" >"$tmp/serve.log" 2>&1 &
pids+=($!)
serve_pid=$!
up=0
for _ in $(seq 1 300); do
  if curl -fsS --max-time 2 "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$serve_pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; die "teehouse serve exited"; }
  sleep 0.2
done
[ "$up" = 1 ] || { cat "$tmp/serve.log" >&2; die "teehouse serve did not answer /healthz within 60 s"; }
code=$(curl -sS --max-time 300 -o "$tmp/register.json" -w '%{http_code}' \
  -X POST "http://127.0.0.1:$api_port/api/v1/teepods" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"endpoint\":\"http://127.0.0.1:$sim_port\"}") || die "POST /api/v1/teepods failed"
if [ "${code:0:1}" != 2 ]; then
  cat "$tmp/register.json" >&2; echo >&2
  die "POST /api/v1/teepods answered HTTP $code"
fi
teepod=$(grep -oE '"id"[[:space:]]*:[[:space:]]*[0-9]+' "$tmp/register.json" | head -1 | grep -oE '[0-9]+$' || true)
[ -n "$teepod" ] || { cat "$tmp/register.json" >&2; die "no teepod id in the registration answer"; }
# Stop serve (its start-up ping has run by now) so that only the import touches the database, then keep a copy
# of "registered, nothing imported" to reset to before every fresh import.
stop_pid "$serve_pid"
"$th" backup "$tmp/registered.db" --config "$cfg" >/dev/null 2>"$tmp/backup.err" \
  || { cat "$tmp/backup.err" >&2; die "teehouse backup failed"; }

reset_db() {
  rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
  cp "$tmp/registered.db" "$db"
}

# --- measuring -------------------------------------------------------------------------------------------------
now() { date +%s.%N; }
# run_import NAME ARGS…: runs teehouse import, leaves its stdout in $out, wall seconds in $wall, peak RSS (KiB) in $rss
run_import() {
  local name="$1"; shift
  local t0 t1 status=0
  t0=$(now)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$tmp/rss" "$th" import --teepod "$teepod" --config "$cfg" "$@" \
      >"$tmp/out" 2>"$tmp/err" || status=$?
    t1=$(now)
    rss=$(tail -1 "$tmp/rss")
  else
    "$th" import --teepod "$teepod" --config "$cfg" "$@" >"$tmp/out" 2>"$tmp/err" &
    local pid=$! hwm=0 v
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
      sleep 0.05
    done
    wait "$pid" || status=$?
    t1=$(now)
    rss=$hwm
  fi
  out=$(cat "$tmp/out")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  if [ "$status" -ne 0 ]; then
    cat "$tmp/out" "$tmp/err" >&2
    die "$name: teehouse import exited with $status"
  fi
}

summary_re='^teepod [0-9]+ \(.*\): ([0-9]+) VMs: ([0-9]+) new, ([0-9]+) updated, ([0-9]+) unchanged, ([0-9]+) gone \(([0-9.]+) s\)$'
dry_re='^teepod [0-9]+ \(.*\): ([0-9]+) VMs \(dry run, nothing written; ([0-9.]+) s\)$'
count_rows() {
  if [ "$have_sqlite" = 1 ]; then
    sqlite3 "$db" "SELECT count(*) FROM cvms WHERE teepod_id = $teepod;"
  else
    echo "${BASH_REMATCH[2]}" # no sqlite3: trust the "N new" count the import printed
  fi
}

dry_s=(); fresh_s=(); re_s=(); dry_w=(); fresh_w=(); re_w=(); dry_rss=0; fresh_rss=0; re_rss=0; re_updated=0; re_unchanged=0
max() { [ "$1" -gt "$2" ] && echo "$1" || echo "$2"; }

# One untimed round first: the simulator is a JIT-compiled .NET process whose first few hundred requests run
# unoptimised code, and the OS page cache is cold; without it the first measured round is mostly warm-up.
for _ in $(seq 1 "$warmup"); do
  log "warm-up round (not measured)…"
  run_import "warm-up dry run" --dry-run
  reset_db
  run_import "warm-up import"
  run_import "warm-up re-import"
done

for i in $(seq 1 "$runs"); do
  log "run $i/$runs: fetch+parse (dry run)…"
  run_import "dry run" --dry-run
  [[ "$out" =~ $dry_re ]] || { echo "$out" >&2; die "dry run: unexpected output"; }
  [ "${BASH_REMATCH[1]}" = "$vms" ] || die "dry run saw ${BASH_REMATCH[1]} VMs, expected $vms"
  dry_s+=("${BASH_REMATCH[2]}"); dry_w+=("$wall"); dry_rss=$(max "$rss" "$dry_rss")

  log "run $i/$runs: import into a fresh database…"
  reset_db
  run_import "fresh import"
  [[ "$out" =~ $summary_re ]] || { echo "$out" >&2; die "fresh import: unexpected output"; }
  [ "${BASH_REMATCH[1]}" = "$vms" ] && [ "${BASH_REMATCH[2]}" = "$vms" ] && [ "${BASH_REMATCH[5]}" = 0 ] \
    || { echo "$out" >&2; die "fresh import: expected $vms VMs, all new, 0 gone"; }
  fresh_s+=("${BASH_REMATCH[6]}"); fresh_w+=("$wall"); fresh_rss=$(max "$rss" "$fresh_rss")
  rows=$(count_rows)
  [ "$rows" = "$vms" ] || die "after a fresh import cvms holds $rows rows for the teepod, expected $vms"

  log "run $i/$runs: re-import (nothing changed)…"
  run_import "re-import"
  [[ "$out" =~ $summary_re ]] || { echo "$out" >&2; die "re-import: unexpected output"; }
  [ "${BASH_REMATCH[1]}" = "$vms" ] && [ "${BASH_REMATCH[2]}" = 0 ] && [ "${BASH_REMATCH[5]}" = 0 ] \
    || { echo "$out" >&2; die "re-import: expected $vms VMs, 0 new, 0 gone"; }
  re_updated=$(max "${BASH_REMATCH[3]}" "$re_updated")
  re_unchanged="${BASH_REMATCH[4]}"
  re_s+=("${BASH_REMATCH[6]}"); re_w+=("$wall"); re_rss=$(max "$rss" "$re_rss")
  if [ "$have_sqlite" = 1 ]; then
    rows=$(count_rows)
    [ "$rows" = "$vms" ] || die "after a re-import cvms holds $rows rows for the teepod, expected $vms"
  fi
done

# --- report ----------------------------------------------------------------------------------------------------
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
row() { # label, seconds array name, wall array name, rss
  local -n s="$2" w="$3"
  printf '%-24s %-22s %8s %10s %10s\n' "$1" "$(printf '%s ' "${s[@]}")" "$(median "${s[@]}")" "$(median "${w[@]}")" "$(mib "$4")"
}
dry_m=$(median "${dry_s[@]}"); fresh_m=$(median "${fresh_s[@]}"); re_m=$(median "${re_s[@]}")

echo
echo "teehouse import benchmark: $vms simulated VMs, $runs runs each (interleaved, after $warmup untimed warm-up round(s)), $(nproc) cores"
echo "times: seconds printed by 'teehouse import' (fetch/parse/write only, no process start-up); median of $runs"
echo "simulator: Release build on the same machine; one Status page = 500 VMs = one transaction"
echo
printf '%-24s %-22s %8s %10s %10s\n' "measurement" "runs (s)" "median" "wall med." "peak RSS"
row "fetch+parse (dry run)" dry_s dry_w "$dry_rss"
row "import (fresh)" fresh_s fresh_w "$fresh_rss"
row "re-import (unchanged)" re_s re_w "$re_rss"
echo
echo "checks: fresh import -> $vms new, cvms rows = $vms ($([ "$have_sqlite" = 1 ] && echo "counted with sqlite3" || echo "from the import output; sqlite3 not installed")); re-import -> 0 new, 0 gone ($re_unchanged unchanged in the last run)"
if [ "$re_updated" != 0 ]; then
  echo "note: a re-import reported up to $re_updated updated VMs (the simulator changed them between runs)"
fi
echo
echo "fetch+parse (dry run): $dry_m s  import (fresh): $fresh_m s  ratio $(ratio "$fresh_m" "$dry_m")"
echo "re-import (unchanged): $re_m s  ratio $(ratio "$re_m" "$dry_m")"
