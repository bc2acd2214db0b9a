#!/usr/bin/env bash
# Smoke-runs every cargo-fuzz target under fuzz/ for N seconds (default 10). Opt-in: the fuzzers
# need cargo-fuzz and RUSTC_BOOTSTRAP=1 on the stable toolchain (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
cd fuzz
for target in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do
  echo "==> fuzz $target for ${secs}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=1
done
