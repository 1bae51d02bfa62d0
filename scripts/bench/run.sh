#!/usr/bin/env bash
# HTTP benchmark of the published binary against ceilings measured in the same run (issue 12):
#   * every hot route: req/s and p99 of `teehouse serve` (wrk -t2 -c32) next to a bare native-AOT Kestrel app built
#     from scripts/bench/ceiling that answers the same number of bytes from memory; ratio = teehouse ÷ ceiling;
#   * GET /teepods/{id}/cvms of the teepod hosting BENCH_VMS VMs against the simulator's own Status answer for them;
#   * the 10,000-VM import against fetch+parse (scripts/bench/import.sh);
#   * cold start to the first 200 against the bare app; idle and loaded RSS; binary size;
#   * 45 readers and 5 SQLite writers at once: the readers' p99.
# Setup: BENCH_TEEPODS simulated dstack-vmm hosts (default 10), each registered with its KMS (so with a CA
# certificate); BENCH_VMS VMs (default 1000) on the first, imported with `teehouse import --owner bench-user`.
#
#   scripts/bench/run.sh
#
# Environment: BENCH_SECONDS (per wrk run, default 10), BENCH_WARMUP_SECONDS (untimed wrk run before each, default 1),
# BENCH_VMS (1000), BENCH_TEEPODS (10), BENCH_COLD_RUNS (5), BENCH_IMPORT_VMS (10000), BENCH_SKIP_IMPORT=1 (no import
# benchmark), BENCH_NO_PUBLISH=1 (use publish/teehouse as it is, even if stale).
# Prints a table, writes scripts/bench/results.md and the block between <!-- bench:start --> and <!-- bench:end -->
# in README.md. A missed target is a result, not a failure: it exits 0. It exits non-zero on a setup failure or when
# a measured route answers anything but 200. See scripts/bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
export LC_ALL=C # "." as the decimal separator of EPOCHREALTIME, awk and printf

seconds="${BENCH_SECONDS:-10}"
warmup="${BENCH_WARMUP_SECONDS:-1}"
vms="${BENCH_VMS:-1000}"
teepods="${BENCH_TEEPODS:-10}"
cold_runs="${BENCH_COLD_RUNS:-5}"
import_vms="${BENCH_IMPORT_VMS:-10000}"
for knob in "BENCH_SECONDS=$seconds" "BENCH_VMS=$vms" "BENCH_TEEPODS=$teepods" "BENCH_COLD_RUNS=$cold_runs" \
  "BENCH_IMPORT_VMS=$import_vms"; do
  [[ "${knob#*=}" =~ ^[1-9][0-9]*$ ]] || { echo "${knob%%=*} must be a positive integer (got '${knob#*=}')" >&2; exit 2; }
done
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "BENCH_WARMUP_SECONDS must be a non-negative integer" >&2; exit 2; }
[ $# -eq 0 ] || { echo "usage: $0   (settings come from BENCH_* variables; see scripts/bench/README.md)" >&2; exit 2; }

. scripts/bench/common.sh

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- tools -----------------------------------------------------------------------------------------------------
ensure_build_tools
command -v curl >/dev/null 2>&1 || apt_install curl
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v wrk >/dev/null 2>&1 || die "wrk is not installed and apt-get could not install it"

# --- the teehouse binary ---------------------------------------------------------------------------------------
prepare_binary
binary_bytes=$(stat -c %s "$th")

# --- the simulator (Release build, so that it is not the bottleneck) and the ceiling app (native AOT) ------------
build_simulator
log "publishing the ceiling app (native AOT, about a minute)…"
# --artifacts-path keeps its obj/ and bin/ in the temp dir: nothing is written under scripts/bench/ceiling.
if ! dotnet publish scripts/bench/ceiling -c Release -r linux-x64 --artifacts-path "$tmp/ceiling-build" -o "$tmp/ceiling" \
  -nologo -clp:NoSummary >"$tmp/ceiling-build.log" 2>&1; then
  cat "$tmp/ceiling-build.log" >&2
  die "publishing scripts/bench/ceiling failed"
fi
ceiling="$tmp/ceiling/ceiling"
[ -x "$ceiling" ] || die "the ceiling publish produced no $ceiling"


log "starting $teepods simulated teepods ($vms VMs on the first)…"
sim_pids=(); sim_ports=()
for i in $(seq 1 "$teepods"); do
  n=0; [ "$i" = 1 ] && n=$vms
  "$tmp/sim/Teehouse.Lite.Simulator" --port 0 --vms "$n" --seed $((20250100 + i)) >"$tmp/sim-$i.log" 2>&1 &
  pids+=($!)
  sim_pids+=($!)
done
for i in $(seq 1 "$teepods"); do
  port=""
  for _ in $(seq 1 600); do
    port=$(sed -nE 's|^dstack-vmm simulator listening on http://127\.0\.0\.1:([0-9]+) .*|\1|p' "$tmp/sim-$i.log")
    [ -n "$port" ] && break
    kill -0 "${sim_pids[$((i - 1))]}" 2>/dev/null || { cat "$tmp/sim-$i.log" >&2; die "simulator $i exited"; }
    sleep 0.2
  done
  [ -n "$port" ] || { cat "$tmp/sim-$i.log" >&2; die "simulator $i did not start within 120 s"; }
  sim_ports+=("$port")
done
grep -qE "\($vms VMs[,)]" "$tmp/sim-1.log" || { cat "$tmp/sim-1.log" >&2; die "simulator 1 does not report $vms VMs"; }
sim1="http://127.0.0.1:${sim_ports[0]}"

# --- config, tokens, registration, import ----------------------------------------------------------------------
api_port=$(free_port) || die "no free loopback port"
cfg="$tmp/teehouse.toml"
db="$tmp/teehouse.db"
# As production runs: request log at information, to the console (here a file) and a daily file. The pinger's
# interval is a day, so only its start-up round runs, before anything is measured.
cat >"$cfg" <<EOF
[server]
listen = "127.0.0.1:$api_port"

[database]
path = "$db"

[log]
level = "information"
file = "$tmp/logs/teehouse-.log"

[vmm]
request_timeout_ms = 60000
ping_interval_s = 86400
EOF
"$th" config check "$cfg" >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; die "teehouse config check rejected $cfg"; }
admin_token=$("$th" token create --user admin --role admin --config "$cfg" 2>"$tmp/token.err") \
  || { cat "$tmp/token.err" >&2; die "token create (admin) failed"; }
user_token=$("$th" token create --user bench-user --role user --config "$cfg" 2>"$tmp/token.err") \
  || { cat "$tmp/token.err" >&2; die "token create (bench-user) failed"; }
[ -n "$admin_token" ] && [ -n "$user_token" ] || die "token create printed no token"

serve_pid=""
start_serve() { # port: starts teehouse serve, sets serve_pid
  "$th" serve --config "$cfg" --listen "127.0.0.1:$1" >>"$tmp/serve.log" 2>&1 &
  pids+=($!)
  serve_pid=$!
}
wait_until_up() { # url pid what: polls until the URL answers 200 (60 s at most)
  local url="$1" pid="$2" what="$3"
  for _ in $(seq 1 300); do
    curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -50 "$tmp/serve.log" >&2; die "$what exited"; }
    sleep 0.2
  done
  die "$what did not answer $url within 60 s"
}
api="http://127.0.0.1:$api_port"
auth_admin="Authorization: Bearer $admin_token"
auth_user="Authorization: Bearer $user_token"

log "registering $teepods teepods, each with its KMS (the registration probes the vmm and reads the KMS CA certificate)…"
start_serve "$api_port"
wait_until_up "$api/healthz" "$serve_pid" "teehouse serve"
teepod_ids=()
for i in $(seq 1 "$teepods"); do
  sim="http://127.0.0.1:${sim_ports[$((i - 1))]}"
  code=$(curl -sS --max-time 300 -o "$tmp/register.json" -w '%{http_code}' -X POST "$api/api/v1/teepods" \
    -H "$auth_admin" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench-$i\",\"endpoint\":\"$sim\",\"kms_endpoint\":\"$sim/kms\"}") || die "POST /api/v1/teepods failed"
  if [ "$code" != 200 ]; then
    cat "$tmp/register.json" >&2; echo >&2
    die "POST /api/v1/teepods (bench-$i) answered HTTP $code"
  fi
  id=$(grep -oE '"id"[[:space:]]*:[[:space:]]*[0-9]+' "$tmp/register.json" | head -1 | grep -oE '[0-9]+$' || true)
  [ -n "$id" ] || { cat "$tmp/register.json" >&2; die "no teepod id in the registration answer"; }
  grep -qE '"kms_ca_cert":\{' "$tmp/register.json" \
    || { cat "$tmp/register.json" >&2; echo >&2; die "teepod bench-$i was registered without a KMS CA certificate"; }
  teepod_ids+=("$id")
done
host_id="${teepod_ids[0]}"
stop_pid "$serve_pid"

log "importing the $vms VMs of teepod $host_id for bench-user…"
"$th" import --teepod "$host_id" --owner bench-user --config "$cfg" >"$tmp/import.out" 2>&1 \
  || { cat "$tmp/import.out" >&2; die "teehouse import failed"; }
grep -qE ": $vms VMs: $vms new, 0 updated, 0 unchanged, 0 gone " "$tmp/import.out" \
  || { cat "$tmp/import.out" >&2; die "the import did not report $vms new VMs"; }

# --- cold start to the first 200 (existing, migrated database), interleaved, after one untimed round -------------
# ms from launching the process until `curl -fsS` of URL answers 200; the curl loop costs the same on both sides.
cold_ms=""
cold_start() { # kind (teehouse | ceiling)
  local port t0 t1 pid url
  port=$(free_port) || die "no free loopback port"
  if [ "$1" = teehouse ]; then
    url="http://127.0.0.1:$port/healthz"
    t0=$EPOCHREALTIME
    "$th" serve --config "$cfg" --listen "127.0.0.1:$port" >>"$tmp/serve.log" 2>&1 &
  else
    url="http://127.0.0.1:$port/"
    t0=$EPOCHREALTIME
    "$ceiling" "$port" >>"$tmp/ceiling.log" 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 20000); do
    curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { tail -20 "$tmp/serve.log" "$tmp/ceiling.log" >&2; die "$1 exited during cold start"; }
    sleep 0.002
  done
  t1=$EPOCHREALTIME
  curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null || die "$1 did not answer $url during cold start"
  stop_pid "$pid"
  cold_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
}
log "cold start: $cold_runs runs each (plus one untimed), interleaved…"
cold_start ceiling; cold_start teehouse
cold_th=(); cold_ceil=()
for _ in $(seq 1 "$cold_runs"); do
  cold_start ceiling; cold_ceil+=("$cold_ms")
  cold_start teehouse; cold_th+=("$cold_ms")
done

# --- the measured server: idle RSS once its start-up ping round is done ------------------------------------------
log "starting teehouse serve and waiting for its start-up ping of the $teepods teepods…"
since=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
start_serve "$api_port"
main_pid=$serve_pid
wait_until_up "$api/healthz" "$main_pid" "teehouse serve"
pinged=0
for _ in $(seq 1 600); do
  pinged=$(curl -fsS --max-time 10 -H "$auth_admin" "$api/api/v1/teepods" 2>/dev/null \
    | grep -oE '"last_ping_at":"[^"]*"' | cut -d'"' -f4 | awk -v s="$since" '$0 >= s { n++ } END { print n + 0 }' || true)
  [ "$pinged" -ge "$teepods" ] && break
  sleep 0.2
done
[ "$pinged" -ge "$teepods" ] || die "the start-up ping did not reach all $teepods teepods within 120 s ($pinged did)"
sleep 2
idle_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$main_pid/status")

ceil_port=$(free_port) || die "no free loopback port"
"$ceiling" "$ceil_port" >>"$tmp/ceiling.log" 2>&1 &
pids+=($!)
ceil_pid=$!
ceil="http://127.0.0.1:$ceil_port"
wait_until_up "$ceil/" "$ceil_pid" "the ceiling app"

# --- wrk -------------------------------------------------------------------------------------------------------
to_ms() { # wrk's "845.31us" / "5.55ms" / "1.20s" / "2.00m" -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%.3f", v }'
}
# run_wrk NAME ARGS…: one wrk run; sets w_rps, w_mean, w_p99 (ms), w_bad (non-2xx/3xx answers), w_errors (socket)
run_wrk() {
  local name="$1"; shift
  local out="$tmp/wrk-$name.txt"
  wrk --latency "$@" >"$out" 2>&1 || { cat "$out" >&2; die "wrk ($name) failed"; }
  w_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  w_mean=$(to_ms "$(awk '$1 == "Latency" { print $2; exit }' "$out")")
  w_p99=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$out")")
  w_bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out"); w_bad=${w_bad:-0}
  w_errors=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out"); w_errors=${w_errors:-0}
  [ -n "$w_rps" ] && [ -n "$w_p99" ] || { cat "$out" >&2; die "could not read wrk's output ($name)"; }
}
bad_answers=0
note_bad() { # what: counts answers other than 2xx/3xx and socket errors of the last run
  if [ "$w_bad" != 0 ] || [ "$w_errors" != 0 ]; then
    log "WARNING: $1: $w_bad answers other than 2xx/3xx, $w_errors socket errors"
    bad_answers=$((bad_answers + w_bad + w_errors))
  fi
}
fmt_ms() { awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f ms", v; else if (v >= 10) printf "%.1f ms", v; else printf "%.2f ms", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else if (a / b < 0.1) printf "%.3f", a / b; else printf "%.2f", a / b }'; }
at_least() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "n/a" && r >= t) ? "PASS" : "MISS" }'; }
at_most() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "n/a" && r <= t) ? "PASS" : "MISS" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# --- hot routes against the same-size ceiling --------------------------------------------------------------------
# label | path | token (admin, user) | target ratio
user_q="page_size=50"
routes=(
  "GET /healthz|/healthz|admin|0.5"
  "GET /api/v1/auth/me|/api/v1/auth/me|admin|0.5"
  "GET /api/v1/teepods|/api/v1/teepods|admin|0.5"
  "GET /api/v1/teepods/available|/api/v1/teepods/available|admin|0.5"
  "GET /api/v1/teepods/{id}|/api/v1/teepods/$host_id|admin|0.5"
  "GET /api/v1/cvms/paginated?page_size=50|/api/v1/cvms/paginated?$user_q|admin|0.3"
  "GET /api/v1/apps?page_size=50|/api/v1/apps?$user_q|admin|0.3"
  "GET /api/v1/cvms/paginated?page_size=50 (user)|/api/v1/cvms/paginated?$user_q|user|0.3"
  "GET /api/v1/apps?page_size=50 (user)|/api/v1/apps?$user_q|user|0.3"
)
rows=()
n=0
for spec in "${routes[@]}"; do
  IFS='|' read -r label path who target <<<"$spec"
  n=$((n + 1))
  header="$auth_admin"; [ "$who" = user ] && header="$auth_user"
  code=$(curl -sS --max-time 30 -H "$header" -o "$tmp/route.body" -w '%{http_code}' "$api$path") || die "curl $path failed"
  [ "$code" = 200 ] || { head -c 2000 "$tmp/route.body" >&2; echo >&2; die "$label answered HTTP $code"; }
  bytes=$(stat -c %s "$tmp/route.body")
  ccode=$(curl -sS --max-time 30 -o "$tmp/ceiling.body" -w '%{http_code}' "$ceil/bytes/$bytes") || die "curl of the ceiling failed"
  [ "$ccode" = 200 ] && [ "$(stat -c %s "$tmp/ceiling.body")" = "$bytes" ] || die "the ceiling did not answer $bytes bytes"
  log "[$n/${#routes[@]}] $label: $bytes bytes; ceiling, then teehouse, ${seconds}s each…"
  if [ "$warmup" -gt 0 ]; then
    run_wrk "warm" -t2 -c32 -d"${warmup}s" "$ceil/bytes/$bytes"
    run_wrk "warm" -t2 -c32 -d"${warmup}s" -H "$header" "$api$path"
  fi
  run_wrk "ceiling-$n" -t2 -c32 -d"${seconds}s" "$ceil/bytes/$bytes"
  note_bad "ceiling /bytes/$bytes"
  c_rps=$w_rps
  run_wrk "teehouse-$n" -t2 -c32 -d"${seconds}s" -H "$header" "$api$path"
  note_bad "$label"
  r=$(ratio "$w_rps" "$c_rps")
  rows+=("$label|$bytes|$w_rps|$(fmt_ms "$w_p99")|$c_rps|$r|≥ $target×|$(at_least "$r" "$target")")
done

# --- GET /teepods/{id}/cvms against the simulator's Status for the same VMs ---------------------------------------
# Production lists a teepod with Status pages of 500 (brief: false), one after the other; the baseline is the
# simulator answering those very requests (same bodies, same concurrency), so ratio = teehouse mean ÷ (pages × mean).
page_size=500
pages=$(( (vms + page_size - 1) / page_size ))
log "GET /api/v1/teepods/$host_id/cvms ($vms VMs) against the simulator's Status ($pages pages of $page_size), -c4…"
code=$(curl -sS --max-time 120 -H "$auth_admin" -o "$tmp/hosted.json" -w '%{http_code}' "$api/api/v1/teepods/$host_id/cvms") \
  || die "curl /teepods/$host_id/cvms failed"
[ "$code" = 200 ] || { head -c 2000 "$tmp/hosted.json" >&2; echo >&2; die "GET /api/v1/teepods/$host_id/cvms answered HTTP $code"; }
hosted_bytes=$(stat -c %s "$tmp/hosted.json")
hosted_count=$(grep -oE '"hosted":\{' "$tmp/hosted.json" | wc -l || true)
[ "$hosted_count" = "$vms" ] || die "GET /api/v1/teepods/$host_id/cvms listed $hosted_count VMs, expected $vms"
status_bytes=0
lua_pages=""
for page in $(seq 1 "$pages"); do
  body="{\"brief\":false,\"page\":$page,\"page_size\":$page_size}"
  code=$(curl -sS --max-time 60 -o "$tmp/status.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "$body" "$sim1/prpc/Status?json") || die "curl of the simulator's Status failed"
  [ "$code" = 200 ] || { head -c 2000 "$tmp/status.json" >&2; die "the simulator's Status (page $page) answered HTTP $code"; }
  status_bytes=$((status_bytes + $(stat -c %s "$tmp/status.json")))
  lua_pages+="  '$body',"$'\n'
done
cat >"$tmp/status.lua" <<EOF
-- The Status requests teehouse sends to list the teepod, cycled.
local bodies = {
$lua_pages}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format("POST", "/prpc/Status?json", nil, bodies[(i % #bodies) + 1])
end
EOF
if [ "$warmup" -gt 0 ]; then
  run_wrk "warm" -t2 -c4 -d"${warmup}s" -s "$tmp/status.lua" "$sim1"
  run_wrk "warm" -t2 -c4 -d"${warmup}s" -H "$auth_admin" "$api/api/v1/teepods/$host_id/cvms"
fi
run_wrk "status" -t2 -c4 -d"${seconds}s" --timeout 30s -s "$tmp/status.lua" "$sim1"
note_bad "simulator Status"
sim_mean=$(awk -v m="$w_mean" -v p="$pages" 'BEGIN { printf "%.3f", m * p }')
sim_page_mean=$w_mean
run_wrk "hosted" -t2 -c4 -d"${seconds}s" --timeout 30s -H "$auth_admin" "$api/api/v1/teepods/$host_id/cvms"
note_bad "GET /teepods/$host_id/cvms"
hosted_mean=$w_mean
hosted_rps=$w_rps
hosted_ratio=$(ratio "$hosted_mean" "$sim_mean")

# --- 45 readers and 5 writers at once ----------------------------------------------------------------------------
# Readers cycle the hot routes above (admin); writers rename the region of the teepods in turn (PUT /teepods/{id}:
# SQLite only, no vmm call), two values of the same length so that no answer changes size.
log "45 readers (hot routes) and 5 writers (PUT /api/v1/teepods/{id}) at once, ${seconds}s…"
lua_paths=""
for spec in "${routes[@]}"; do
  IFS='|' read -r _ path who _ <<<"$spec"
  [ "$who" = admin ] && lua_paths+="  '$path',"$'\n'
done
cat >"$tmp/readers.lua" <<EOF
local paths = {
$lua_paths}
local i = 0
wrk.headers["Authorization"] = "Bearer $admin_token"
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
EOF
cat >"$tmp/writers.lua" <<EOF
local ids = { $(IFS=,; echo "${teepod_ids[*]}") }
local regions = { "bench-region-a", "bench-region-b" }
local i = 0
wrk.headers["Authorization"] = "Bearer $admin_token"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local body = '{"region_identifier":"' .. regions[(math.floor(i / #ids) % 2) + 1] .. '"}'
  return wrk.format("PUT", "/api/v1/teepods/" .. ids[(i % #ids) + 1], nil, body)
end
EOF
code=$(curl -sS --max-time 30 -o "$tmp/put.json" -w '%{http_code}' -X PUT -H "$auth_admin" -H 'Content-Type: application/json' \
  -d '{"region_identifier":"bench-region-a"}' "$api/api/v1/teepods/$host_id") || die "curl PUT /teepods/$host_id failed"
[ "$code" = 200 ] || { cat "$tmp/put.json" >&2; echo >&2; die "PUT /api/v1/teepods/$host_id answered HTTP $code"; }
wrk --latency -t1 -c5 -d"${seconds}s" -s "$tmp/writers.lua" "$api" >"$tmp/wrk-writers.txt" 2>&1 &
writer_pid=$!
pids+=("$writer_pid")
run_wrk "readers" -t2 -c45 -d"${seconds}s" -s "$tmp/readers.lua" "$api"
note_bad "readers (mixed)"
mixed_p99=$w_p99
mixed_rps=$w_rps
wait "$writer_pid" || { cat "$tmp/wrk-writers.txt" >&2; die "wrk (writers) failed"; }
run_wrk_out() { # re-read a finished run's output the way run_wrk does
  w_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1")
  w_p99=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$1")")
  w_bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$1"); w_bad=${w_bad:-0}
  w_errors=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$1"); w_errors=${w_errors:-0}
}
run_wrk_out "$tmp/wrk-writers.txt"
note_bad "writers (mixed)"
writer_rps=$w_rps
writer_p99=$w_p99
writer_bad=$((w_bad + w_errors))
region=$(curl -fsS --max-time 10 -H "$auth_admin" "$api/api/v1/teepods/$host_id" | grep -oE '"region_identifier":"[^"]*"' | cut -d'"' -f4 || true)
[[ "$region" == bench-region-[ab] ]] || die "after the writers, teepod $host_id has region '$region'"

loaded_hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$main_pid/status")
loaded_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$main_pid/status")
serve_log_lines=$(cat "$tmp"/logs/teehouse-*.log 2>/dev/null | wc -l || true)
stop_pid "$ceil_pid"
stop_pid "$main_pid"
for pid in "${sim_pids[@]}"; do stop_pid "$pid"; done

# --- the 10,000-VM import against fetch+parse ---------------------------------------------------------------------
# A failure here is a setup failure too, but the figures above are worth keeping: they are written first.
import_line=""
import_ratio="n/a"; import_fresh="skipped (BENCH_SKIP_IMPORT=1)"; import_dry=""; import_failed=0
if [ "${BENCH_SKIP_IMPORT:-0}" != 1 ]; then
  log "the $import_vms-VM import (scripts/bench/import.sh)…"
  if BENCH_NO_PUBLISH=1 scripts/bench/import.sh "$import_vms" >"$tmp/import-bench.out" 2>"$tmp/import-bench.err"; then
    import_line=$(grep -E '^fetch\+parse \(dry run\): .* ratio [0-9.]+$' "$tmp/import-bench.out" || true)
  fi
  if [ -z "$import_line" ]; then
    cat "$tmp/import-bench.out" "$tmp/import-bench.err" >&2
    log "WARNING: scripts/bench/import.sh failed or printed no ratio line (output above)"
    import_failed=1
    import_fresh="FAILED (scripts/bench/import.sh)"
  fi
fi
if [ -n "$import_line" ]; then
  import_ratio=${import_line##* }
  import_fresh="import (fresh) $(sed -nE 's/.* import \(fresh\): ([0-9.]+ s) .*/\1/p' <<<"$import_line")"
  import_dry="fetch+parse (dry run) $(sed -nE 's/^fetch\+parse \(dry run\): ([0-9.]+ s) .*/\1/p' <<<"$import_line")"
  import_re=$(grep -E '^re-import \(unchanged\): ' "$tmp/import-bench.out" || true)
  [ -z "$import_re" ] || import_fresh="$import_fresh; $import_re"
fi

# --- report ----------------------------------------------------------------------------------------------------
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cold_th_m=$(median "${cold_th[@]}"); cold_ceil_m=$(median "${cold_ceil[@]}")
cold_ratio=$(ratio "$cold_th_m" "$cold_ceil_m")
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- src 2>/dev/null)" ] || commit="$commit (with uncommitted changes under src/)"
when=$(date -u '+%Y-%m-%d %H:%M UTC')
mib_limit() { awk -v k="$1" -v l="$2" 'BEGIN { print (k / 1024 <= l) ? "PASS" : "MISS" }'; }
below() { awk -v v="$1" -v l="$2" 'BEGIN { print (v < l) ? "PASS" : "MISS" }'; }

others=(
  "GET /api/v1/teepods/{id}/cvms ($vms VMs, $hosted_bytes bytes), mean at -c4|$(fmt_ms "$hosted_mean") ($hosted_rps req/s)|simulator Status, $pages × $(fmt_ms "$sim_page_mean") = $(fmt_ms "$sim_mean") ($status_bytes bytes)|$hosted_ratio|≤ 1.5×|$(at_most "$hosted_ratio" 1.5)"
  "$import_vms-VM import (scripts/bench/import.sh, medians)|$import_fresh|$import_dry|$import_ratio|≤ 2×|$([ "$import_ratio" = n/a ] && echo — || at_most "$import_ratio" 2)"
  "cold start to first 200, median of $cold_runs|$cold_th_m ms ($(IFS=' '; echo "${cold_th[*]}"))|bare app $cold_ceil_m ms ($(IFS=' '; echo "${cold_ceil[*]}"))|$cold_ratio|≤ 1.5×|$(at_most "$cold_ratio" 1.5)"
  "idle RSS (VmRSS after setup, before load)|$(mib "$idle_rss_kb")|||≤ 40 MiB|$(mib_limit "$idle_rss_kb" 40)"
  "loaded RSS (VmHWM after every wrk run)|$(mib "$loaded_hwm_kb") (VmRSS now $(mib "$loaded_rss_kb"))|||≤ 80 MiB|$(mib_limit "$loaded_hwm_kb" 80)"
  "45 readers + 5 writers: readers' p99|$(fmt_ms "$mixed_p99") ($mixed_rps req/s)|writers: $writer_rps req/s, p99 $(fmt_ms "$writer_p99"), $writer_bad not 2xx||< 20 ms|$(below "$mixed_p99" 20)"
  "binary size (publish/teehouse)|$(awk -v b="$binary_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }')|||—|—"
)

table() {
  echo "| route | bytes | teehouse req/s | teehouse p99 | ceiling req/s | ratio | target | result |"
  echo "|---|--:|--:|--:|--:|--:|--|--|"
  local r
  for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e f g h <<<"$r"
    echo "| \`$a\` | $b | $c | $d | $e | $f | $g | $h |"
  done
  echo
  echo "| measurement | teehouse | baseline | ratio | target | result |"
  echo "|---|--|--|--:|--|--|"
  for r in "${others[@]}"; do
    IFS='|' read -r a b c d e f <<<"$r"
    echo "| $a | $b | $c | $d | $e | $f |"
  done
}
summary_line="$when, commit $commit, $(nproc) cores, load average $load_start at the start and $load_end at the end; wrk -t2 -c32 -d${seconds}s per route (after ${warmup}s untimed), ceiling first"

{
  echo
  echo "teehouse HTTP benchmark: $summary_line"
  echo
  table
  echo
  [ "$bad_answers" = 0 ] || echo "WARNING: $bad_answers answers under load were not 2xx/3xx (or were socket errors); see above"
} | tee "$tmp/table.txt"

{
  echo "# Benchmark results"
  echo
  echo "Written by \`scripts/bench/run.sh\` (see [README.md](README.md) for what is measured and how to read it)."
  echo
  echo "- date: $when"
  echo "- git commit: $commit"
  echo "- machine: $(nproc) cores, load average $load_start at the start, $load_end at the end"
  echo "- setup: $teepods simulated teepods, each registered with its KMS CA certificate; $vms CVMs imported onto teepod $host_id (owner \`bench-user\`); log level information, console and file ($serve_log_lines lines in the file)"
  echo "- wrk -t2 -c32 -d${seconds}s --latency per route, after ${warmup}s untimed; ceiling first, then teehouse, route by route; admin token on every route unless marked (user)"
  echo
  table
  [ "$bad_answers" = 0 ] || { echo; echo "**$bad_answers answers under load were not 2xx/3xx (or were socket errors).**"; }
} >scripts/bench/results.md

# README: the table between the markers (kept if the markers are missing).
if grep -q '<!-- bench:start -->' README.md && grep -q '<!-- bench:end -->' README.md; then
  { echo "Latest run ($summary_line):"; echo; table; echo; } >"$tmp/readme-block.md"
  awk -v block="$tmp/readme-block.md" '
    /<!-- bench:start -->/ { print; while ((getline line < block) > 0) print line; skip = 1; next }
    /<!-- bench:end -->/ { skip = 0 }
    !skip { print }' README.md >"$tmp/README.md"
  cat "$tmp/README.md" >README.md
else
  log "README.md has no <!-- bench:start --> / <!-- bench:end --> markers; left as it is"
fi
log "wrote scripts/bench/results.md and the README table"

[ "$bad_answers" = 0 ] || die "$bad_answers answers under load were not 2xx/3xx"
[ "$import_failed" = 0 ] || die "scripts/bench/import.sh failed (see above); the other figures were written"
exit 0
