#!/usr/bin/env bash
# Measures loopback throughput of the bare route against the guarded route of the
# `bench_server` example with wrk, and prints requests per second and their ratio.
#
# Usage: scripts/load.sh
#
# Settings, from the environment:
#   DURATION     seconds per wrk run (default 5)
#   ROUNDS       rounds of one bare and one guarded run (default 5)
#   CONNECTIONS  open connections (default 2)
#   PORT         loopback port of the bare route; the guarded route listens on
#                the next one (default 18089)
#
# Each route is the only route of its own app in the server process, on a port
# of its own, with the same path, so that neither pays for the router trying the
# other first. Each app gets one worker thread and wrk one thread, so that the
# two busy threads share a 2-core machine without starving each other. Rounds
# alternate the routes, and the median of each route is reported, so that a slow
# moment on a shared machine hits both. Only 127.0.0.1 is contacted, the total run is bounded by
# ROUNDS * 2 * DURATION plus a 2-second warm-up, and the server is stopped on exit.

set -euo pipefail

DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-5}"
CONNECTIONS="${CONNECTIONS:-2}"
PORT="${PORT:-18089}"
GUARDED_PORT=$((PORT + 1))
HOST="127.0.0.1"
TOKEN="bench-access-token"

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is not installed; install it with: apt-get update && apt-get install -y wrk" >&2
    exit 1
fi

cd "$(dirname "$0")/.."

echo "building the bench_server example (release)..." >&2
cargo build --quiet --release -p stateless-auth-examples --example bench_server
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
server="${target_dir}/release/examples/bench_server"

"$server" "${HOST}:${PORT}" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT

# Wait up to 10 s for both ports to accept connections.
for port in "$PORT" "$GUARDED_PORT"; do
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/${HOST}/${port}") 2>/dev/null; then
            break
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "bench_server exited before it listened on ${HOST}:${port}" >&2
            exit 1
        fi
        sleep 0.1
    done
done

BARE_URL="http://${HOST}:${PORT}/item"
GUARDED_URL="http://${HOST}:${GUARDED_PORT}/item"

# Runs wrk against URL with the given extra arguments and prints requests per second.
requests_per_second() {
    local url="$1"
    shift
    local output
    output="$(wrk --threads 1 --connections "$CONNECTIONS" --duration "${DURATION}s" "$@" "$url")"
    # wrk prints these lines only when some requests failed, and failed requests
    # would make the rate meaningless.
    if grep -qE "Non-2xx|Socket errors" <<<"$output"; then
        echo "wrk got error responses or socket errors from ${url}:" >&2
        echo "$output" >&2
        exit 1
    fi
    awk '/^Requests\/sec:/ { print $2 }' <<<"$output"
}

median() {
    sort -g | awk '{ values[NR] = $1 } END { print values[int((NR + 1) / 2)] }'
}

auth=(--header "Authorization: Bearer ${TOKEN}")

echo "warming up for 2 s..." >&2
wrk --threads 1 --connections "$CONNECTIONS" --duration 1s "${auth[@]}" "$BARE_URL" >/dev/null
wrk --threads 1 --connections "$CONNECTIONS" --duration 1s "${auth[@]}" "$GUARDED_URL" >/dev/null

bare_runs=()
guarded_runs=()
for round in $(seq 1 "$ROUNDS"); do
    bare_runs+=("$(requests_per_second "$BARE_URL" "${auth[@]}")")
    guarded_runs+=("$(requests_per_second "$GUARDED_URL" "${auth[@]}")")
    echo "round ${round}: bare ${bare_runs[-1]} req/s, guarded ${guarded_runs[-1]} req/s" >&2
done

bare="$(printf '%s\n' "${bare_runs[@]}" | median)"
guarded="$(printf '%s\n' "${guarded_runs[@]}" | median)"
echo "wrk: ${ROUNDS} rounds of ${DURATION} s per route, ${CONNECTIONS} connections, 1 thread, 1 server worker per route"
echo "bare route:    ${bare} requests/s (median)"
echo "guarded route: ${guarded} requests/s (median)"
awk -v bare="$bare" -v guarded="$guarded" 'BEGIN { printf "guarded / bare: %.3f\n", guarded / bare }'
