#!/usr/bin/env bash
# Harvest benchmark: one datahavn (the source, SQLite) holding RECORDS (default 10,000) datasets
# made from the real portal records (bench/catalog_records.py, as bench/catalog.sh loads them),
# served on loopback, harvested by `datahavn harvest run` into an empty second datahavn (SQLite).
# Prints the first harvest's datasets/s and the harvesting process's peak RSS, then the time of
# a second harvest with nothing changed at the source (an incremental run: the
# metadata_modified range, then the list of ids).
#
#   bench/harvest.sh
#
# The source server, the harvester and the source's search share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${RECORDS:-10000}"
PORT="${PORT:-5079}"
PAGE_SIZE="${PAGE_SIZE:-100}"
PORTALS="${PORTALS:-tests/fixtures/portals}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datahavn-target}"
command -v python3 >/dev/null || { echo "python3 is needed to prepare the records" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is needed for the peak RSS (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet --bin datahavn
bin="$CARGO_TARGET_DIR/release/datahavn"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export RUST_LOG=warn

python3 bench/catalog_records.py "$PORTALS" "$RECORDS" "$work"
mkdir -p "$work/source" "$work/target"

# The source: loaded, then served.
DATAHAVN_DATA_DIR="$work/source" DATAHAVN_DATABASE_URL="sqlite://$work/source/datahavn.db" \
  "$bin" load "$work/records.jsonl" --create-orgs >"$work/load.out"
echo "source: $(head -n1 "$work/load.out")"
DATAHAVN_DATA_DIR="$work/source" DATAHAVN_DATABASE_URL="sqlite://$work/source/datahavn.db" \
  "$bin" serve --bind "127.0.0.1:$PORT" --harvest-scheduler-interval 0 >"$work/source.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/api/3/action/status_show" >/dev/null && break
  sleep 0.1
done
count="$(curl -sf "http://127.0.0.1:$PORT/api/3/action/package_search?rows=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')"
echo "source: $count public datasets on http://127.0.0.1:$PORT"

# The target: an organization, a source, and two runs.
export DATAHAVN_DATA_DIR="$work/target" DATAHAVN_DATABASE_URL="sqlite://$work/target/datahavn.db"
"$bin" migrate >/dev/null
printf '%s\n' '{"name": "org-holder", "owner_org": "harvested", "organization": {"name": "harvested", "title": "Harvested"}}' \
  >"$work/org.jsonl"
"$bin" load "$work/org.jsonl" --create-orgs >/dev/null
"$bin" harvest add bench "http://127.0.0.1:$PORT" --org harvested \
  --config '{"remote_orgs": "create", "remote_groups": "create"}' >/dev/null

run() {
  local label="$1"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" harvest run bench --harvest-page-size "$PAGE_SIZE" >"$work/run.out" 2>"$work/run.err" \
    || { cat "$work/run.out" "$work/run.err" >&2; }
  end=$(date +%s.%N)
  local seconds rss
  seconds=$(python3 -c "print(f'{$end - $start:.1f}')")
  rss=$(( $(tail -n1 "$work/rss") / 1024 ))
  echo "$label: $(head -n1 "$work/run.out")"
  printf '%s\t%s s\t%s MiB peak RSS\n' "$label" "$seconds" "$rss"
  last_seconds="$seconds"
}

run "first harvest"
python3 -c "print(f'first harvest\t{$count / $last_seconds:.0f} datasets/s')"
run "no-change re-harvest"
