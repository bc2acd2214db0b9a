#!/usr/bin/env bash
# Runs every cp247 test. Installs what the tests need when it is missing (Debian packages,
# cargo tools), starts PostgreSQL if it is down, then runs: fmt, clippy, cargo-deny, doc tests and
# the whole workspace test suite on SQLite and PostgreSQL (including GnuPG/sop interop, xmllint
# schema agreement, PDF checks and real-process node tests).
#
# Under CI=true a missing prerequisite is an error, never a skip: the tests themselves fail when
# gpg, sqop, xmllint, pdftotext, PostgreSQL or Chromium is missing.
#
# Opt-in long modes: CP247_LONG=1 (more crash iterations, more proptest cases),
# CP247_FUZZ=SECONDS (smoke-run every fuzz target for that long).
set -euo pipefail
# Incremental artefacts double the target directory and buy nothing in a one-off run.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages -------------------------------------------------------------------------
need_pkgs=()
command -v gpg >/dev/null       || need_pkgs+=(gnupg)
command -v sqop >/dev/null      || need_pkgs+=(sqop)
command -v xmllint >/dev/null   || need_pkgs+=(libxml2-utils)
command -v pdftotext >/dev/null || need_pkgs+=(poppler-utils)
command -v sqlite3 >/dev/null   || need_pkgs+=(sqlite3)
command -v pg_ctlcluster >/dev/null || need_pkgs+=(postgresql)
command -v pg_isready >/dev/null    || need_pkgs+=(postgresql-client)
[ -x /usr/bin/chromium ]            || need_pkgs+=(chromium)
# The API contract run (scripts/api-contract.sh) makes a Python venv for schemathesis.
{ command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; } \
                                    || need_pkgs+=(python3 python3-venv)
command -v npm >/dev/null           || need_pkgs+=(npm)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# --- PostgreSQL ------------------------------------------------------------------------------
export CP247_TEST_PG_URL="${CP247_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  log "starting PostgreSQL"
  clusters=$(ls /etc/postgresql 2>/dev/null || true)
  [ -n "$clusters" ] || die "PostgreSQL is installed but has no cluster under /etc/postgresql"
  as_root pg_ctlcluster --skip-systemctl-redirect $clusters main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if pg_isready -q -h 127.0.0.1 -p 5432; then
  # The database named in the URL must exist (a fresh cluster has only 'postgres').
  db="${CP247_TEST_PG_URL##*/}"; db="${db%%\?*}"
  if ! psql "$CP247_TEST_PG_URL" -qtAc 'select 1' >/dev/null 2>&1; then
    psql "${CP247_TEST_PG_URL%/*}/postgres" -qc "create database \"$db\"" >/dev/null 2>&1 \
      || as_root su postgres -c "psql -qc 'create database \"$db\"'" >/dev/null 2>&1 || true
  fi
  psql "$CP247_TEST_PG_URL" -qtAc 'select 1' >/dev/null || die "PostgreSQL at $CP247_TEST_PG_URL does not accept connections"
elif [ "${CI:-}" = "true" ]; then
  die "PostgreSQL is not reachable on 127.0.0.1:5432 (needed by the storage and node tests)"
fi

# --- Postfix on loopback (notification tests, bench's status-quo path) ------------------------
log "Postfix on 127.0.0.1:25"
if maildir=$(bash scripts/postfix-local.sh); then
  export CP247_TEST_SMTP="${CP247_TEST_SMTP:-127.0.0.1:25}"
  export CP247_TEST_MAILDIR="${CP247_TEST_MAILDIR:-$maildir}"
elif [ "${CI:-}" = "true" ]; then
  die "Postfix could not be set up on 127.0.0.1:25 (needed by the notification tests)"
fi

# --- cargo tools -----------------------------------------------------------------------------
if ! cargo deny --version >/dev/null 2>&1; then
  log "installing cargo-deny"
  cargo install cargo-deny --locked --quiet
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked --quiet
fi

# --- static checks ---------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

log "cargo deny (licences, bans, sources)"
cargo deny --log-level error check licenses bans sources

# --- tests -----------------------------------------------------------------------------------
log "doc tests"
cargo test --workspace --doc --quiet

if [ -n "${CP247_FUZZ:-}" ]; then
  log "fuzz smoke: ${CP247_FUZZ}s per target"
  bash scripts/fuzz-smoke.sh "${CP247_FUZZ}"
fi

log "workspace tests (SQLite and PostgreSQL)"
cargo nextest run --workspace --no-fail-fast --profile ci

# --- browser tests (Debian's Chromium, playwright-core) -----------------------------------------
log "browser tests (e2e/, Chromium)"
if [ ! -x /usr/bin/chromium ] || ! command -v npm >/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    die "Chromium (/usr/bin/chromium) or npm is missing (needed by the browser tests)"
  fi
  log "skipping the browser tests: Chromium or npm is missing (outside CI)"
else
  (cd e2e && npm ci --no-audit --no-fund --silent)
  cargo build -p cp247-cli --quiet
  target="${CARGO_TARGET_DIR:-target}"
  CP247_BIN="$target/debug/cp247" CP247_SCREENSHOTS="${CP247_SCREENSHOTS:-0}" node e2e/web.test.mjs
  # Two demo nodes: compose and send an Art. 29 request, acknowledge and confirm preservation
  # at the other node, see the deadline at the first.
  CP247_BIN="$target/debug/cp247" CP247_SCREENSHOTS="${CP247_SCREENSHOTS:-0}" node e2e/scenario.test.mjs
fi

# --- the API's contract under an independent client (issue #11) ------------------------------
# schemathesis (pinned, in a venv under ~/.cache), every check, against a demo node's own
# OpenAPI document, as the officer and as the administrator. CP247_CONTRACT_SECONDS=240 for
# the full run; under CI=true a missing python3/venv fails here.
log "API contract: schemathesis against a demo node (${CP247_CONTRACT_SECONDS:-60}s per role)"
bash scripts/api-contract.sh
