#!/usr/bin/env bash
# Counts the instructions that one request costs in each case of the `auth`
# benchmark, with callgrind, and prints them with their ratios to the peer.
#
# Usage: scripts/instructions.sh [CASE...]
#
# With no CASE, every case of the benchmark is counted. Each count is the
# inclusive cost of actix-web's `call_service` future divided by the number of
# requests that callgrind saw, so it does not depend on the machine's load.
# Before it measures, the bench sends one request per case and group to check the
# statuses. Those 16 requests are in the count and move it by about one instruction.
#
# Each case runs the bench binary locally under valgrind for about 1 s of
# requests, about 3 s in all, and is stopped after 300 s at most. The callgrind
# files go to a temporary directory, which the script removes.

set -euo pipefail

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed; install it with: apt-get update && apt-get install -y valgrind" >&2
    exit 1
fi

cd "$(dirname "$0")/.."

known=(bare guarded guarded_user_token httpauth_lookup design_floor
    reject_missing_header reject_unknown_token reject_malformed_header)
cases=("$@")
if [ "${#cases[@]}" -eq 0 ]; then
    cases=("${known[@]}")
fi
for case in "${cases[@]}"; do
    if [[ " ${known[*]} " != *" ${case} "* ]]; then
        echo "invalid case ${case}; expected one of: ${known[*]}" >&2
        exit 2
    fi
done

echo "building the auth benchmark (bench profile)..." >&2
build_log="$(cargo bench -p stateless-auth-tests --bench auth --no-run 2>&1)"
bench="$(printf '%s\n' "$build_log" | sed -n 's/.*Executable benches\/auth.rs (\(.*\))$/\1/p' | tail -n 1)"
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
    printf '%s\n' "$build_log" >&2
    echo "could not find the benchmark binary in cargo's output" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prints the number of calls to `call_service`'s future recorded in FILE: one per
# request. Callgrind names a function in full once, then by its number alone.
requests() {
    awk '
        /^c?fn=\(/ {
            id = $0
            sub(/^c?fn=\(/, "", id)
            sub(/\).*/, "", id)
            name = $0
            sub(/^c?fn=\([0-9]+\) ?/, "", name)
            if (name != "") names[id] = name
            if (substr($0, 1, 3) == "cfn") target = names[id]
            next
        }
        /^calls=/ {
            suffix = "call_service::{{closure}}"
            tail = substr(target, length(target) - length(suffix) + 1)
            if (tail == suffix) {
                count = $0
                sub(/^calls=/, "", count)
                sub(/ .*/, "", count)
                total += count
            }
        }
        END { print total + 0 }
    ' "$1"
}

declare -A per_request
for case in "${cases[@]}"; do
    out="${work}/${case}.out"
    echo "counting ${case}..." >&2
    timeout 300 valgrind --tool=callgrind \
        --toggle-collect='actix_web::test::test_utils::call_service::*' \
        --callgrind-out-file="$out" \
        "$bench" --bench --profile-time 1 "^auth/${case}\$" >/dev/null 2>&1

    total="$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out")"
    count="$(requests "$out")"
    if [ -z "$total" ] || [ "$count" -eq 0 ]; then
        echo "callgrind recorded no request for ${case}; check that tests/benches/auth.rs still has this case" >&2
        exit 1
    fi
    per_request[$case]=$((total / count))
done

peer="${per_request[httpauth_lookup]:-}"
printf '%-26s %14s %10s\n' "case" "instructions" "/ peer"
for case in "${cases[@]}"; do
    ratio=""
    if [ -n "$peer" ]; then
        ratio="$(awk -v a="${per_request[$case]}" -v b="$peer" 'BEGIN { printf "%.3f", a / b }')"
    fi
    printf '%-26s %14s %10s\n' "$case" "${per_request[$case]}" "$ratio"
done
