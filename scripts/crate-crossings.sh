#!/usr/bin/env bash
# Counts crate crossings for one request end to end (issue #11): runs the server's network test
# `a_request_is_delivered_with_a_verified_receipt_and_shows_up_at_the_peer` under callgrind,
# zeroed when the API handler `routes::api::create_request` is entered, and counts the calls
# between functions of two different cp247 crates (scripts/crate_crossings.py). Both nodes of
# the test run in the test's process, so the count covers the sender, the receiver and the
# receipt. Opt-in and slow (valgrind); needs valgrind and python3. Under valgrind the test's
# own assertion that delivery took one attempt can fail (it is slow enough to retry); the
# count is taken either way.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
test_name=a_request_is_delivered_with_a_verified_receipt_and_shows_up_at_the_peer
binary=$(CARGO_INCREMENTAL=0 cargo test -p cp247-server --test network --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "network":
        print(m["executable"])')
out=$(mktemp -d)/callgrind.out
valgrind --tool=callgrind --callgrind-out-file="$out" \
  --zero-before='cp247_server::routes::api::create_request*' \
  "$binary" --exact "$test_name" --test-threads=1 >/dev/null 2>&1 || true
python3 scripts/crate_crossings.py "$out"
