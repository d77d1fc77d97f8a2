#!/usr/bin/env bash
# Load benchmark of the transport and the user/token path, with wrk on loopback.
#
#   bench/run.sh [sqlite|postgres]      (default: sqlite; postgres uses $BENCH_DATABASE_URL)
#
# Each endpoint is measured ROUNDS times (default 3) for DURATION (default 10s) with
# CONNECTIONS (default 64) connections and 2 wrk threads; the median requests/s is printed,
# and its ratio to the static baseline (`/api`, no database) measured in the same run.
# The server and wrk share the machine's cores; compare ratios across machines, not raw numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
PORT="${PORT:-5077}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/datahavn-target}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet --bin datahavn
bin="$CARGO_TARGET_DIR/release/datahavn"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

export DATAHAVN_DATA_DIR="$work" RUST_LOG=warn
case "$backend" in
  sqlite) export DATAHAVN_DATABASE_URL="sqlite://$work/datahavn.db" ;;
  postgres)
    : "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to an empty PostgreSQL database}"
    export DATAHAVN_DATABASE_URL="$BENCH_DATABASE_URL"
    "$bin" migrate >/dev/null ;;
  *) echo "backend: sqlite or postgres" >&2; exit 1 ;;
esac

echo 'bench-password' | "$bin" user add bench --email bench@example.org >/dev/null
token="$("$bin" token create bench)"
"$bin" serve --bind "127.0.0.1:$PORT" &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$PORT"
cat > "$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "$token"
LUA

measure() { # name url [lua]
  local name="$1" url="$2" script="${3:-}" results=()
  for _ in $(seq 1 "$ROUNDS"); do
    local args=(-t2 -c"$CONNECTIONS" -d"$DURATION" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    results+=("$(wrk "${args[@]}" "$url" | awk '/Requests\/sec/ {print $2}')")
  done
  local median
  median="$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf '%s\t%s\t%s\n' "$name" "$median" "${results[*]}"
}

echo "backend=$backend rounds=$ROUNDS duration=$DURATION connections=$CONNECTIONS"
printf 'endpoint\tmedian req/s\tall rounds\n'
baseline="$(measure "static /api" "$base/api")"; echo "$baseline"
anon="$(measure "user_show (anonymous)" "$base/api/3/action/user_show?id=bench")"; echo "$anon"
auth="$(measure "user_show (token)" "$base/api/3/action/user_show?id=bench" "$work/auth.lua")"; echo "$auth"
status="$(measure "status_show" "$base/api/3/action/status_show")"; echo "$status"
b="$(echo "$baseline" | cut -f2)"
for line in "$anon" "$auth" "$status"; do
  awk -F'\t' -v b="$b" '{printf "ratio %s / static = %.2f\n", $1, $2 / b}' <<<"$line"
done
