#!/usr/bin/env bash
# DataStore benchmark: loading a ROWS-row, 10-column CSV (`datahavn datastore load`; on
# PostgreSQL next to a bare `COPY` of the same file into a table of the same types, and waiting
# after each load for the background fill of `_full_text`), then `datastore_search` with a
# filter and a sort on one index over (station, day) (varied values, 1 and 16 connections), a
# full-text `q` search (varied words), and a dump of the whole table.
#
#   bench/datastore.sh [sqlite|postgres]   (postgres uses $BENCH_DATABASE_URL, a database whose
#                                           `public` and `datastore` schemas this benchmark EMPTIES)
#
# ROWS (default 1000000), LOAD_ROUNDS (3), ROUNDS (3) of DURATION (10s) per wrk figure;
# DATAHAVN_BIN (below).
# The server, the loader, the database and wrk share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
ROWS="${ROWS:-1000000}"
LOAD_ROUNDS="${LOAD_ROUNDS:-3}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
PORT="${PORT:-5079}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datahavn-target}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

case "$backend" in
  sqlite) ;;
  postgres)
    : "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL database the benchmark may empty}"
    command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 1; } ;;
  *) echo "backend: sqlite or postgres" >&2; exit 1 ;;
esac

# DATAHAVN_BIN: a datahavn binary to measure instead of this checkout's release build (e.g. an
# earlier commit's, for a baseline measured in the same conditions).
if [ -n "${DATAHAVN_BIN:-}" ]; then
  bin="$DATAHAVN_BIN"
else
  cargo build --release --quiet --bin datahavn
  bin="$CARGO_TARGET_DIR/release/datahavn"
fi
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export DATAHAVN_DATA_DIR="$work" RUST_LOG=warn
case "$backend" in
  sqlite) export DATAHAVN_DATABASE_URL="sqlite://$work/datahavn.db" ;;
  postgres)
    PGOPTIONS='--client-min-messages=warning' psql "$BENCH_DATABASE_URL" -q -v ON_ERROR_STOP=1 \
      -c 'DROP SCHEMA IF EXISTS datastore CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
    export DATAHAVN_DATABASE_URL="$BENCH_DATABASE_URL"
    "$bin" migrate >/dev/null ;;
esac

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

python3 bench/datastore_rows.py "$ROWS" "$work/rows.csv"
bytes="$(stat -c %s "$work/rows.csv")"
echo "backend=$backend rows=$ROWS file=$bytes bytes load_rounds=$LOAD_ROUNDS rounds=$ROUNDS duration=$DURATION"

printf 'bench-secret\nbench-secret\n' | "$bin" user add bench --email bench@example.org --sysadmin >/dev/null
token="$("$bin" token create bench)"
"$bin" serve --bind "127.0.0.1:$PORT" &
server=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$base/api" >/dev/null && break; sleep 0.1; done
post() { curl -sf -H "Authorization: $token" -H 'Content-Type: application/json' -d "$2" "$base/api/3/action/$1"; }
post organization_create '{"name": "odense"}' >/dev/null
resource="$(post package_create '{"name": "traffic", "owner_org": "odense", "resources": [{"url": "http://example.org/rows.csv", "format": "CSV"}]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["resources"][0]["id"])')"

if [ "$backend" = postgres ]; then
  copy_times=()
  for round in $(seq 1 "$LOAD_ROUNDS"); do
    psql "$BENCH_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c 'DROP TABLE IF EXISTS bench_copy; CREATE UNLOGGED TABLE bench_copy
      (id numeric, station text, kind text, count numeric, delta numeric, speed numeric,
       measured_at timestamp, day timestamp, lat numeric, note text)' >/dev/null
    start="$(date +%s.%N)"
    psql "$BENCH_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "\\copy bench_copy FROM '$work/rows.csv' WITH (FORMAT csv, HEADER true)"
    end="$(date +%s.%N)"
    copy_times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}')")
  done
  psql "$BENCH_DATABASE_URL" -q -c 'DROP TABLE bench_copy' >/dev/null
  copy_median="$(printf '%s\n' "${copy_times[@]}" | median)"
  printf 'bare COPY\t%s s (median)\t%s\n' "$copy_median" "${copy_times[*]}"
fi

# On PostgreSQL a load leaves the rows' `_full_text` to be filled in the background (by the
# server's DataStore worker); searches meanwhile compute it for rows not yet filled. Each round
# waits for that to finish (the time it took is shown) so that nothing else runs beside the next
# load and the searches.
pending_full_text() {
  psql "$BENCH_DATABASE_URL" -Atq -c \
    "SELECT count(*) FROM datastore._datastore_table WHERE meta LIKE '%\"full_text_pending\"%'"
}
load_times=()
fill_times=()
for round in $(seq 1 "$LOAD_ROUNDS"); do
  start="$(date +%s.%N)"
  "$bin" datastore load --format csv "$resource" "$work/rows.csv" >"$work/load.out"
  end="$(date +%s.%N)"
  load_times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}')")
  echo "load round $round: $(cat "$work/load.out")"
  if [ "$backend" = postgres ]; then
    while [ "$(pending_full_text)" != 0 ]; do sleep 0.5; done
    filled="$(date +%s.%N)"
    fill_times+=("$(awk -v s="$end" -v e="$filled" 'BEGIN {printf "%.1f", e - s}')")
    echo "  full text filled in the background $(awk -v s="$end" -v e="$filled" 'BEGIN {printf "%.1f", e - s}') s after the load"
  fi
done
load_median="$(printf '%s\n' "${load_times[@]}" | median)"
printf 'load\t%s s (median) = %s rows/s\t%s\n' "$load_median" \
  "$(awk -v n="$ROWS" -v t="$load_median" 'BEGIN {printf "%.0f", n / t}')" "${load_times[*]}"
[ -n "${copy_median:-}" ] && awk -v l="$load_median" -v c="$copy_median" 'BEGIN {printf "load / bare COPY = %.2f\n", l / c}'

[ "${#fill_times[@]}" -gt 0 ] && printf 'full text filled\t%s s after the load (median)\t%s\n' \
  "$(printf '%s\n' "${fill_times[@]}" | median)" "${fill_times[*]}"

# One index on (station, day): the filter's column, then the sort's.
post datastore_create "{\"resource_id\": \"$resource\", \"force\": true, \"indexes\": [\"station,day\"]}" >/dev/null

cat >"$work/filter.lua" <<'LUA'
local stations = {"Albanigade", "Vestergade", "Kongensgade", "Nørregade", "Kochsgade", "Rugårdsvej",
  "Hjallesevej", "Søndergade", "Nyborgvej", "Bolbro", "Dalum", "Vollsmose"}
local function enc(s) return (s:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)) end
request = function()
  local station = stations[math.random(#stations)]
  local filters = '{"station":"' .. station .. '"}'
  return wrk.format("GET", "/api/3/action/datastore_search?resource_id=" .. RESOURCE ..
    "&filters=" .. enc(filters) .. "&sort=day%20desc&limit=10&include_total=false")
end
LUA
cat >"$work/q.lua" <<'LUA'
local words = {"parkering", "trafik", "sensor", "luft", "regn", "Dalum", "Bolbro", "cykel", "bus", "lastbil"}
request = function()
  return wrk.format("GET", "/api/3/action/datastore_search?resource_id=" .. RESOURCE ..
    "&q=" .. words[math.random(#words)] .. "&limit=10&include_total=false")
end
LUA
sed -i "1i RESOURCE = \"$resource\"" "$work/filter.lua" "$work/q.lua"

measure() { # name script connections
  local name="$1" script="$2" connections="$3" rates=() p50s=() p99s=()
  for _ in $(seq 1 "$ROUNDS"); do
    out="$(wrk -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"$DURATION" --latency -s "$script" "$base")"
    rates+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
    p50s+=("$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99s+=("$(awk '$1 == "99%" {print $2}' <<<"$out")")
    if grep -q "Non-2xx" <<<"$out"; then echo "$name: errors: $(grep Non-2xx <<<"$out")" >&2; fi
  done
  printf '%s\t%s req/s\tp50 %s\tp99 %s\t(rounds: %s)\n' "$name" "$(printf '%s\n' "${rates[@]}" | median)" \
    "${p50s[$(( ROUNDS / 2 ))]}" "${p99s[$(( ROUNDS / 2 ))]}" "${rates[*]}"
}
curl -sf "$base/api/3/action/datastore_search?resource_id=$resource&filters=%7B%22station%22%3A%22Dalum%22%7D&sort=day%20desc&limit=2" >/dev/null
measure "search filter+sort, 1 connection" "$work/filter.lua" 1
measure "search filter+sort, 16 connections" "$work/filter.lua" 16
measure "search q, 16 connections" "$work/q.lua" 16

rss_before="$(awk '/VmHWM/ {print $2}' "/proc/$server/status")"
start="$(date +%s.%N)"
size="$(curl -sf -o /dev/null -w '%{size_download}' "$base/datastore/dump/$resource")"
end="$(date +%s.%N)"
rss_after="$(awk '/VmHWM/ {print $2}' "/proc/$server/status")"
awk -v b="$size" -v s="$start" -v e="$end" -v r0="$rss_before" -v r1="$rss_after" 'BEGIN {
  printf "dump (csv)\t%d bytes in %.2f s = %.0f MB/s\tserver peak RSS %d -> %d MB\n", b, e - s, b / (e - s) / 1e6, r0 / 1024, r1 / 1024 }'
