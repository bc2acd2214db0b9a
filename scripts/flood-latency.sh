#!/usr/bin/env bash
# Opt-in measurement (issue #10, ADR 0022): /healthz latency of a release-built `cp247 demo` node
# while one address holds 2,000 idle TCP connections to it. Not part of CI.
#
#   scripts/flood-latency.sh [FLOOD] [REQUESTS] [extra flood_latency options, e.g. --reopen-ms 100]
#
# Builds cp247 and the flood_latency example in release mode, starts the demo (three nodes on
# 127.0.0.1), measures against FR's node from 127.0.0.2 (the flood comes from 127.0.0.1), and
# stops the demo it started.
set -euo pipefail
cd "$(dirname "$0")/.."
flood="${1:-2000}"
requests="${2:-200}"
shift $(( $# > 2 ? 2 : $# ))
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p cp247-cli --bin cp247 --example flood_latency
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log="$(mktemp)"
"$target/release/cp247" demo >"$log" 2>&1 &
demo=$!
trap 'kill -INT "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 240); do
  url="$(grep -oE '^  FR  http://127\.0\.0\.1:[0-9]+' "$log" | awk '{print $2}' || true)"
  [ -n "$url" ] && break
  kill -0 "$demo" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { echo "the demo did not start"; cat "$log"; exit 1; }
echo "FR's demo node: $url (release build, default [connections])"
"$target/release/examples/flood_latency" "${url#http://}" --flood "$flood" --requests "$requests" "$@"
