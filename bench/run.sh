#!/usr/bin/env bash
# The catalogue benchmark, in one run: the machine's limit, loading, start-up, the main reads with
# varied requests, memory, and (optionally) how fast a write reaches other nodes.
#
#   bench/run.sh
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench bench/run.sh            # + PostgreSQL (EMPTIED)
#   BENCH_DATABASE_URL=... THREE_NODES=1 bench/run.sh                                  # + three nodes
#
# Settings (environment): RECORDS (100000) datasets, DURATION (10s) and ROUNDS (1) of each wrk
# figure, CONNECTIONS ("1 16"), PORT (5080; the limit uses PORT+1, the three nodes PORT+2..+4),
# OUT (bench/results-<date>.md), CARGO_TARGET_DIR ($HOME/.cache/datahavn-target-main),
# PORTALS (tests/fixtures/portals), KEEP_WORK=1 keeps the work directory.
#
# 1. Builds the release binary and bench/limit.rs (a bare actix-web server).
# 2. Makes RECORDS datasets from the portal records (bench/catalog_records.py, names `<name>-<n>`)
#    and, for SQLite and (with BENCH_DATABASE_URL) PostgreSQL: an empty database, then
#    `datahavn load --create-orgs`: datasets/s, how much the database grew per dataset, the size of
#    the search index; `datahavn serve`: the time until `/api` answers and until the first
#    `package_search` answers, and its RSS at rest.
# 3. The limit: the bare server answering every GET with the bytes of one `package_show` (the
#    dataset whose response is closest to the mean size), measured as `package_show` is.
# 4. A warm-up, not recorded: package_show of every dataset once (bench/run.py warm).
#    Then wrk (`-t2`, `-t1` at 1 connection, `--latency`) at each number of CONNECTIONS, a random
#    ready-made path per request (Lua lists written by bench/run.py): package_show of any
#    dataset, package_search of a word / an organization AND a tag with three facets / a
#    metadata_modified window sorted by id, package_list, current_package_list_with_resources at a
#    random offset, organization_show of any organization. req/s, p50, p99, the ratio to the
#    limit, wrk's non-2xx responses and socket errors, the server's peak RSS (VmRSS every 0.5 s).
# 5. THREE_NODES=1 (PostgreSQL): three servers on the database; package_patch on one, and the time
#    until the other two show the new notes.
# The table goes to stdout and to OUT; progress to stderr. The server, PostgreSQL and wrk share
# the machine's cores: compare ratios to the limit across machines, not raw numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${RECORDS:-100000}"
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-1}"
CONNECTIONS="${CONNECTIONS:-1 16}"
PORT="${PORT:-5080}"
PORTALS="${PORTALS:-tests/fixtures/portals}"
THREE_NODES="${THREE_NODES:-0}"
OUT="${OUT:-bench/results-$(date +%Y-%m-%d).md}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datahavn-target-main}"
export RUST_LOG=warn
QUERIES="show text facets range list current org"

need() { command -v "$1" >/dev/null || { echo "$1 is needed ($2)" >&2; exit 1; }; }
need wrk "apt-get install wrk"
need python3 "apt-get install python3"
need curl "apt-get install curl"
# BACKENDS="sqlite postgres" (default: sqlite, and postgres when BENCH_DATABASE_URL is set).
read -r -a backends <<<"${BACKENDS:-sqlite${BENCH_DATABASE_URL:+ postgres}}"
if [[ " ${backends[*]} " == *" postgres "* ]]; then
  : "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL for postgres}"
  need psql "apt-get install postgresql-client"
elif [ "$THREE_NODES" = 1 ]; then
  echo "THREE_NODES=1 needs BENCH_DATABASE_URL (PostgreSQL)" >&2
  exit 1
fi

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

log "building in $CARGO_TARGET_DIR"
cargo build --release --quiet --bin datahavn
# A build of its own: an example brings in the dev-dependencies, whose features must not reach
# the measured binary.
cargo build --release --quiet --example limit
bin="$CARGO_TARGET_DIR/release/datahavn"
limit_bin="$CARGO_TARGET_DIR/release/examples/limit"

work="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

results="$work/results.jsonl"
helper() { python3 bench/run.py "$@"; }
setv() { helper set "$results" "$@"; }
setj() { helper setjson "$results" "$@"; }
problem() { log "PROBLEM: $1"; setv run problem "$1"; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN {printf "%.3f", e - s}'; }
file_size() { if [ -e "$1" ]; then stat -c %s "$1"; else echo 0; fi; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
# The part of VmRSS that is the process's own memory, not pages of mapped files (the database
# file, the search index), which the kernel can take back.
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# serve LOG ARGS...: starts `datahavn serve ARGS` in the background; its pid in $server.
serve() {
  local log_file="$1"
  shift
  "$bin" serve "$@" >"$log_file" 2>&1 &
  server=$!
  pids+=("$server")
}
# stop PID: ends a process this script started, and forgets it (the clean-up kills the rest).
stop() {
  local keep=() pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    if [ "$pid" != "$1" ]; then keep+=("$pid"); fi
  done
  pids=("${keep[@]}")
}
# wait_for URL SECONDS PID: until URL answers 2xx; fails when PID is gone or time is up.
wait_for() {
  local deadline=$(($(date +%s) + $2))
  until curl -sf -o /dev/null "$1"; do
    if ! kill -0 "$3" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi
    sleep 0.01
  done
}
died() { # what, log file
  echo "$1; the end of its log:" >&2
  tail -n 20 "$2" >&2
  exit 1
}

# measure BACKEND KEY CONNECTIONS LUA URL PID: ROUNDS wrk runs, VmRSS of PID sampled meanwhile.
measure() {
  local backend="$1" key="$2" connections="$3" lua="$4" url="$5" pid="$6" threads=2 files=() round file sampler
  if [ "$connections" -lt 2 ]; then threads=1; fi
  : >"$work/anon.txt"
  (while kill -0 "$pid" 2>/dev/null; do
    rss_kb "$pid"
    anon_kb "$pid" >>"$work/anon.txt"
    sleep 0.5
  done) >"$work/rss.txt" &
  sampler=$!
  pids+=("$sampler")
  for round in $(seq 1 "$ROUNDS"); do
    file="$work/wrk-$backend-$key-$connections-$round.txt"
    if ! wrk -t"$threads" -c"$connections" -d"$DURATION" --latency --timeout 30s -s "$lua" "$url" >"$file" 2>&1; then
      problem "$backend $key at $connections connection(s): wrk failed: $(head -c 300 "$file")"
    fi
    files+=("$file")
  done
  stop "$sampler"
  cat "$work/rss.txt" >>"$work/rss-$backend.txt"
  cat "$work/anon.txt" >>"$work/anon-$backend.txt"
  helper wrk "$results" "$backend" "$key" "$connections" "$(sort -n "$work/rss.txt" | tail -n1)" "${files[@]}"
  if ! kill -0 "$pid" 2>/dev/null; then
    problem "$backend: the server exited during $key at $connections connection(s)"
    helper table "$results" >&2 || true
    if [ "$backend" = limit ]; then died "the limit server exited" "$work/limit.log"; fi
    died "the $backend server exited" "$work/$backend/serve.log"
  fi
}

ensure_database() {
  psql "$BENCH_DATABASE_URL" -Atqc 'SELECT 1' >/dev/null 2>&1 && return 0
  local bare="${BENCH_DATABASE_URL%%\?*}" query=""
  if [ "$bare" != "$BENCH_DATABASE_URL" ]; then query="?${BENCH_DATABASE_URL#*\?}"; fi
  log "creating database ${bare##*/}"
  psql "${bare%/*}/postgres$query" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"${bare##*/}\"" >/dev/null
}
pg_size() { psql "$BENCH_DATABASE_URL" -Atqc 'SELECT pg_database_size(current_database())'; }

setv run date "$(date -u '+%Y-%m-%d %H:%M UTC')"
setv run nproc "$(nproc)"
setv run cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
setv run memory "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
setv run os "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}"), $(uname -sr)"
setv run load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
setv run records "$RECORDS"
setv run duration "$DURATION"
setv run rounds "$ROUNDS"
setv run commit "$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)"
setv run rustc "$(rustc -V | cut -d' ' -f1-2)"
setv run wrk "$( (wrk -v 2>&1 || true) | awk 'NR == 1 {print $2}')"

log "generating $RECORDS datasets"
python3 bench/catalog_records.py "$PORTALS" "$RECORDS" "$work"
helper words "$work/records.jsonl" "$work/words.json"

limit_done=0
for backend in "${backends[@]}"; do
  dir="$work/$backend"
  mkdir -p "$dir"
  base="http://127.0.0.1:$PORT"
  case "$backend" in
    sqlite)
      db="sqlite://$dir/datahavn.db"
      "$bin" migrate --data-dir "$dir" --database-url "$db" >/dev/null
      empty=$(($(file_size "$dir/datahavn.db") + $(file_size "$dir/datahavn.db-wal"))) ;;
    postgres)
      db="$BENCH_DATABASE_URL"
      ensure_database
      setv run postgres "$(psql "$db" -Atqc 'SHOW server_version')"
      PGOPTIONS='--client-min-messages=warning' psql "$db" -q -v ON_ERROR_STOP=1 \
        -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS datastore CASCADE;' >/dev/null
      "$bin" migrate --data-dir "$dir" --database-url "$db" >/dev/null
      empty="$(pg_size)" ;;
  esac

  log "$backend: loading"
  start="$(now)"
  rc=0
  "$bin" load "$work/records.jsonl" --create-orgs --data-dir "$dir" --database-url "$db" >"$dir/load.out" 2>"$dir/load.err" || rc=$?
  seconds="$(since "$start")"
  summary="$(grep -m1 -E '^created [0-9]+' "$dir/load.out" || true)"
  created="$(sed -E 's/^created ([0-9]+).*/\1/' <<<"$summary")"
  failed="$(sed -E 's/.*failed ([0-9]+).*/\1/' <<<"$summary")"
  log "$backend: load: ${summary:-no summary} in ${seconds}s (exit status $rc)"
  if [ -z "$created" ] || [ "$created" = 0 ]; then
    cat "$dir/load.out" "$dir/load.err" >&2
    exit 1
  fi
  if [ "$rc" != 0 ] || [ "$failed" != 0 ]; then
    problem "$backend: datahavn load exited with $rc: $(tr '\n' ' ' <"$dir/load.out" | head -c 600)"
  fi
  setj "$backend" load_seconds "$seconds"
  setj "$backend" created "$created"
  setj "$backend" failed "${failed:-0}"
  setj "$backend" load_rate "$(awk -v n="$created" -v s="$seconds" 'BEGIN {printf "%.1f", n / s}')"
  case "$backend" in
    sqlite) size=$(($(file_size "$dir/datahavn.db") + $(file_size "$dir/datahavn.db-wal"))) ;;
    postgres) size="$(pg_size)" ;;
  esac
  setj "$backend" db_bytes "$((size - empty))"

  log "$backend: starting the server"
  start="$(now)"
  serve "$dir/serve.log" --data-dir "$dir" --database-url "$db" --bind "127.0.0.1:$PORT"
  wait_for "$base/api" 600 "$server" || died "$backend: the server did not answer /api" "$dir/serve.log"
  setj "$backend" start_api "$(since "$start")"
  wait_for "$base/api/3/action/package_search?rows=0" 3600 "$server" ||
    died "$backend: the server did not answer package_search" "$dir/serve.log"
  setj "$backend" start_search "$(since "$start")"
  sleep 1
  setj "$backend" rss_rest "$(rss_kb "$server")"
  setj "$backend" anon_rest "$(anon_kb "$server")"
  setj "$backend" index_bytes "$(du -sb "$dir/search-index" 2>/dev/null | cut -f1 || echo 0)"

  log "$backend: request lists"
  helper lists "$base" "$work/words.json" "$dir/lua" "$dir/info.json"
  setj "$backend" info "$(cat "$dir/info.json")"

  if [ "$limit_done" = 0 ]; then
    read -r name bytes mean < <(helper body "$base" "$dir/lua/names.txt" "$work/limit-body.json")
    setj limit limit "{\"name\": \"$name\", \"bytes\": $bytes, \"mean\": $mean}"
    log "limit: $bytes bytes of package_show?id=$name (mean $mean); datahavn idle meanwhile"
    "$limit_bin" "$work/limit-body.json" "127.0.0.1:$((PORT + 1))" >"$work/limit.log" 2>&1 &
    limit_pid=$!
    pids+=("$limit_pid")
    wait_for "http://127.0.0.1:$((PORT + 1))/" 60 "$limit_pid" || died "the limit server did not start" "$work/limit.log"
    cmp -s "$work/limit-body.json" <(curl -sf "http://127.0.0.1:$((PORT + 1))/api/3/action/package_show?id=$name") ||
      { echo "the limit server does not answer the body it was given" >&2; exit 1; }
    for connections in $CONNECTIONS; do
      measure limit limit "$connections" "$dir/lua/show.lua" "http://127.0.0.1:$((PORT + 1))/" "$limit_pid"
    done
    stop "$limit_pid"
    limit_done=1
  fi

  log "$backend: warm-up (package_show of every dataset once, not recorded)"
  setj "$backend" warm_seconds "$(helper warm "$base" "$dir/lua/names.txt")"
  log "$backend: wrk"
  : >"$work/rss-$backend.txt"
  : >"$work/anon-$backend.txt"
  for key in $QUERIES; do
    for connections in $CONNECTIONS; do
      measure "$backend" "$key" "$connections" "$dir/lua/$key.lua" "$base/" "$server"
    done
  done
  setj "$backend" rss_load "$(sort -n "$work/rss-$backend.txt" | tail -n1)"
  setj "$backend" anon_load "$(sort -n "$work/anon-$backend.txt" | tail -n1)"
  stop "$server"
done

if [ "$THREE_NODES" = 1 ]; then
  log "three nodes"
  dir="$work/postgres"
  secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  common=(--database-url "$BENCH_DATABASE_URL" --token-secret "$secret")
  echo 'bench-password' | "$bin" user add bench --email bench@example.org --sysadmin --data-dir "$dir" "${common[@]}" >/dev/null
  token="$("$bin" token create bench --data-dir "$dir" "${common[@]}")"
  urls=()
  nodes=()
  for n in 0 1 2; do
    node_dir="$work/node-$n"
    if [ "$n" = 0 ]; then
      node_dir="$dir"
    else
      # Its own data directory, with a copy of the index the stopped server kept (else each
      # node would index the whole catalogue again at start).
      mkdir -p "$node_dir"
      if [ -d "$dir/search-index" ]; then cp -r "$dir/search-index" "$node_dir/"; fi
    fi
    serve "$work/node-$n.log" --data-dir "$node_dir" "${common[@]}" --bind "127.0.0.1:$((PORT + 2 + n))"
    nodes+=("$server")
    urls+=("http://127.0.0.1:$((PORT + 2 + n))")
  done
  for n in 0 1 2; do
    wait_for "${urls[$n]}/api/3/action/package_search?rows=0" 3600 "${nodes[$n]}" ||
      died "node $n did not answer package_search" "$work/node-$n.log"
  done
  helper nodes "$results" "$dir/lua/names.txt" "$token" "${urls[@]}"
  for pid in "${nodes[@]}"; do stop "$pid"; done
fi

setv run load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$(dirname "$OUT")"
helper table "$results" | tee "$OUT"
log "written to $OUT"
