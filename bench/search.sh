#!/usr/bin/env bash
# Search benchmark: a catalogue of RECORDS (default 100,000) datasets made from the real portal
# records (bench/catalog_records.py: names `<name>-<n>`), loaded into SQLite; then
#   - the time `datahavn search-index rebuild` takes to index them all;
#   - package_search latency (wrk --latency: p50, p99) and requests/s, anonymous, for
#     (a) a free-text word, (b) an fq on organization and tag with three facet fields,
#     (c) a metadata_modified range sorted by id asc;
#   - the server's resident memory after the runs.
# Each query runs ROUNDS times (default 3) for DURATION (default 10s) at each number of
# connections in CONNECTIONS (default "1 16": one client alone, then sixteen at once); medians are
# printed. The server and wrk share the machine's cores. Then the other reads the index answers
# (organization counts, newest datasets, autocomplete) are timed one request at a time, and the
# server is restarted on the index it kept on disk: the time until it answers a search.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${RECORDS:-100000}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1 16}"
PORT="${PORT:-5079}"
PORTALS="${PORTALS:-tests/fixtures/portals}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datahavn-target}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet --bin datahavn
bin="$CARGO_TARGET_DIR/release/datahavn"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
export DATAHAVN_DATA_DIR="$work" RUST_LOG=warn DATAHAVN_DATABASE_URL="sqlite://$work/datahavn.db"

python3 bench/catalog_records.py "$PORTALS" "$RECORDS" "$work"
start="$(date +%s.%N)"
"$bin" load "$work/records.jsonl" --create-orgs > "$work/load.out"
end="$(date +%s.%N)"
echo "load: $(head -n1 "$work/load.out") in $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.0f", e - s}') s"
echo "rebuild: $("$bin" search-index rebuild 2>/dev/null)"

"$bin" serve --bind "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/api" >/dev/null && break; sleep 0.5; done
base="http://127.0.0.1:$PORT/api/3/action/package_search"
org="$(curl -s "$base?rows=0&facet.field=%5B%22organization%22%5D&facet.limit=1" | python3 -c 'import json,sys; print(next(iter(json.load(sys.stdin)["result"]["facets"]["organization"])))')"
tag="$(curl -s "$base?rows=0&fq=organization:$org&facet.field=%5B%22tags%22%5D&facet.limit=1" | python3 -c 'import json,sys; f=json.load(sys.stdin)["result"]["facets"]["tags"]; print(next(iter(f)) if f else "")')"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f\n", v}'; }
measure() { # name url connections
  local rps=() p50=() p99=() threads=$(( $3 < 2 ? 1 : 2 ))
  for _ in $(seq 1 "$ROUNDS"); do
    out="$(wrk -t"$threads" -c"$3" -d"$DURATION" --latency "$2")"
    rps+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
    p50+=("$(awk '$1 == "50%" {print $2}' <<<"$out" | to_ms)")
    p99+=("$(awk '$1 == "99%" {print $2}' <<<"$out" | to_ms)")
  done
  printf '%s, %s connection(s)\tp50 %s ms\tp99 %s ms\t%s req/s\n' "$1" "$3" \
    "$(printf '%s\n' "${p50[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)" "$(printf '%s\n' "${rps[@]}" | median)"
}
count() { curl -s "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])'; }

a="$base?q=data"
b="$base?fq=organization:$org%20tags:%22$tag%22&facet.field=%5B%22tags%22,%22res_format%22,%22license_id%22%5D"
c="$base?fq=metadata_modified:%5B2020-01-01T00:00:00Z%20TO%20*%5D&sort=id%20asc&rows=100"
echo "records=$RECORDS rounds=$ROUNDS duration=$DURATION connections=$CONNECTIONS"
echo "(a) q=data: $(count "$a") matches; (b) organization:$org tags:\"$tag\": $(count "$b") matches; (c) range: $(count "$c") matches"
for connections in $CONNECTIONS; do
  measure "(a) free-text word" "$a" "$connections"
  measure "(b) fq org+tag, 3 facets" "$b" "$connections"
  measure "(c) modified range, sort id asc" "$c" "$connections"
done
echo "server RSS: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$server/status")"

# The other reads the index answers, one request at a time: the median of 21.
timed() { # name url
  local ms
  ms="$(for _ in $(seq 1 21); do curl -s -o /dev/null -w '%{time_total}\n' "$2"; done | median)"
  printf '%s\t%.2f ms\n' "$1" "$(awk -v s="$ms" 'BEGIN {print s * 1000}')"
}
api="http://127.0.0.1:$PORT/api/3/action"
prefix="$(curl -s "$base?rows=1&sort=name%20asc" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["results"][0]["name"][:6])')"
timed "organization_list all_fields, every organization with its package_count" "$api/organization_list?all_fields=true&limit=0"
timed "organization_show $org (package_count)" "$api/organization_show?id=$org&include_users=false"
timed "current_package_list_with_resources, 10 newest" "$api/current_package_list_with_resources?limit=10"
timed "package_autocomplete q=$prefix" "$api/package_autocomplete?q=$prefix"
timed "/api/util/dataset/autocomplete incomplete=$prefix" "http://127.0.0.1:$PORT/api/util/dataset/autocomplete?incomplete=$prefix"
kill "$server"; wait "$server" 2>/dev/null || true
start="$(date +%s.%N)"
"$bin" serve --bind "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
server=$!
until curl -sf "$base?rows=0" >/dev/null; do sleep 0.05; done
end="$(date +%s.%N)"
echo "restart on the kept index: first search answered after $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}') s"
