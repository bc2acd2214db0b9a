#!/usr/bin/env bash
# Smoke-runs every cargo-fuzz target under fuzz/ for N seconds (default 10). Opt-in: the fuzzers
# need cargo-fuzz and RUSTC_BOOTSTRAP=1 on the stable toolchain (see fuzz/README.md). The web
# form targets build the whole server crate (`--features web`); CP247_FUZZ_TARGETS="a b" runs
# only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
# Seeds: valid sealed messages, payloads, receipts and signatures made with the fixed fuzz key,
# and the request documents of the forms corpus.
cargo run --quiet -p cp247-seal --features fuzzing --example fuzz_seeds -- fuzz/corpus
mkdir -p fuzz/corpus/form_xml fuzz/corpus/form_json fuzz/corpus/directory
cp crates/cp247-forms/tests/corpus/*/*.xml fuzz/corpus/form_xml/ 2>/dev/null || true
cp crates/cp247-forms/tests/corpus/*/*.json crates/cp247-forms/data/examples/*.json fuzz/corpus/form_json/ 2>/dev/null || true
cp fuzz/corpus/seal_detached/* fuzz/corpus/directory/ 2>/dev/null || true
cd fuzz
targets="${CP247_FUZZ_TARGETS:-$(RUSTC_BOOTSTRAP=1 cargo fuzz list)}"
for target in $targets; do
  echo "==> fuzz $target for ${secs}s"
  mkdir -p "corpus/$target"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --features web "$target" "corpus/$target" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=1
done
