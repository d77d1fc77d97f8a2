#!/usr/bin/env bash
# Catalogue benchmark: `package_show` of a dataset with 20 resources (wrk on loopback,
# anonymous) and `datahavn load` of the real portal records repeated to 10,000 datasets.
#
#   bench/catalog.sh [sqlite|postgres]   (default: sqlite; postgres uses $BENCH_DATABASE_URL,
#                                         a database this benchmark EMPTIES before each load)
#
# load: LOAD_ROUNDS (default 3) times, an empty database gets RECORDS (default 10000) datasets
# from `datahavn load --create-orgs` (the package dicts of tests/fixtures/portals in turn, named
# `<name>-<n>`, without ids; bench/catalog_records.py); the median datasets/s is printed.
# package_show: on the database of the last load round, one more dataset with 20 resources is
# loaded and served; it is read ROUNDS times (default 3) for DURATION (default 10s) with
# CONNECTIONS (default 64) connections and 2 wrk threads; the median requests/s is printed, with
# its ratio to the static baseline (`/api`, no database) measured in the same run.
# The server, the loader and wrk share the machine's cores; compare ratios across machines.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
LOAD_ROUNDS="${LOAD_ROUNDS:-3}"
RECORDS="${RECORDS:-10000}"
PORT="${PORT:-5078}"
PORTALS="${PORTALS:-tests/fixtures/portals}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datahavn-target}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed to prepare the records" >&2; exit 1; }

case "$backend" in
  sqlite) ;;
  postgres)
    : "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL database the benchmark may empty}"
    command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 1; } ;;
  *) echo "backend: sqlite or postgres" >&2; exit 1 ;;
esac

cargo build --release --quiet --bin datahavn
bin="$CARGO_TARGET_DIR/release/datahavn"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export DATAHAVN_DATA_DIR="$work" RUST_LOG=warn

python3 bench/catalog_records.py "$PORTALS" "$RECORDS" "$work"

fresh_database() {
  case "$backend" in
    sqlite)
      rm -f "$work"/datahavn.db*
      export DATAHAVN_DATABASE_URL="sqlite://$work/datahavn.db" ;;
    postgres)
      PGOPTIONS='--client-min-messages=warning' psql "$BENCH_DATABASE_URL" -q -v ON_ERROR_STOP=1 \
        -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
      export DATAHAVN_DATABASE_URL="$BENCH_DATABASE_URL"
      "$bin" migrate >/dev/null ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "backend=$backend records=$RECORDS load_rounds=$LOAD_ROUNDS rounds=$ROUNDS duration=$DURATION connections=$CONNECTIONS"

rates=()
for round in $(seq 1 "$LOAD_ROUNDS"); do
  fresh_database
  start="$(date +%s.%N)"
  if ! "$bin" load "$work/records.jsonl" --create-orgs >"$work/load.out"; then
    cat "$work/load.out" >&2
    exit 1
  fi
  end="$(date +%s.%N)"
  rate="$(awk -v n="$RECORDS" -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", n / (e - s)}')"
  seconds="$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}')"
  rates+=("$rate")
  echo "load round $round: $(head -n1 "$work/load.out") in ${seconds}s = $rate datasets/s"
done
load_median="$(printf '%s\n' "${rates[@]}" | median)"
printf 'load\t%s datasets/s (median)\t%s\n' "$load_median" "${rates[*]}"

"$bin" load "$work/show.jsonl" --create-orgs >/dev/null
"$bin" serve --bind "127.0.0.1:$PORT" &
server=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$base/api" >/dev/null && break; sleep 0.1; done
show_url="$base/api/3/action/package_show?id=bench-show-20"
resources="$(curl -sf "$show_url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["num_resources"])')"
bytes="$(curl -sf "$show_url" | wc -c)"
echo "package_show: $resources resources, $bytes bytes"

measure() { # name url
  local name="$1" url="$2" results=()
  for _ in $(seq 1 "$ROUNDS"); do
    results+=("$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$url" | awk '/Requests\/sec/ {print $2}')")
  done
  printf '%s\t%s\t%s\n' "$name" "$(printf '%s\n' "${results[@]}" | median)" "${results[*]}"
}

printf 'endpoint\tmedian req/s\tall rounds\n'
baseline="$(measure "static /api" "$base/api")"; echo "$baseline"
show="$(measure "package_show (20 resources, anonymous)" "$show_url")"; echo "$show"
b="$(echo "$baseline" | cut -f2)"
awk -F'\t' -v b="$b" '{printf "ratio %s / static = %.2f\n", $1, $2 / b}' <<<"$show"
