#!/usr/bin/env bash
# The API's contract under an independent client: schemathesis, every check, against a demo
# node's own OpenAPI document (GET /api/v1/openapi.json).
#
#   bash scripts/api-contract.sh            # 60 s per role (CI's short run)
#   CP247_CONTRACT_SECONDS=240 bash scripts/api-contract.sh   # the full run (issue #11)
#   bash scripts/api-contract.sh 240        # the same
#
# It creates (once) a Python virtual environment outside the repository
# (${XDG_CACHE_HOME:-~/.cache}/cp247-venv-schemathesis-VERSION) with schemathesis pinned, starts
# `cp247 demo` (three nodes on 127.0.0.1), and runs schemathesis against FR's node for the
# given time as each API role: the officer (case work), then the administrator (tokens,
# peers, directory refresh). The run fails on any failed check; warnings (such as schemathesis
# noting that some operations only ever answered 401/403 for a role) are printed, not failed.
# Everything it started is stopped and its files are removed at the end.
#
# Environment: CP247_BIN (the cp247 binary; default: built here with cargo), CP247_CONTRACT_SEED
# (a fixed seed for a reproducible run), CP247_CONTRACT_ROLES (default "officer admin"),
# CP247_CONTRACT_KEEP=1 (keep the work directory with the reports and the nodes' logs).
# Under CI=true a missing python3 (with venv and pip) is an error, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

SCHEMATHESIS_VERSION=4.32.5
seconds="${1:-${CP247_CONTRACT_SECONDS:-60}}"
roles="${CP247_CONTRACT_ROLES:-officer admin}"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/cp247-venv-schemathesis-$SCHEMATHESIS_VERSION"

log() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

case "$seconds" in
  '' | *[!0-9]*) die "the run's length is a whole number of seconds, not '$seconds'" ;;
esac

# --- Python and schemathesis -------------------------------------------------------------------
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    die "python3 with venv and pip is missing (needed by the API contract run; Debian: python3 python3-venv)"
  fi
  log "skipping the API contract run: python3 with venv and pip is missing (outside CI)"
  exit 0
fi
if [ ! -x "$venv/bin/schemathesis" ] \
  || [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" \
    || die "schemathesis $SCHEMATHESIS_VERSION could not be installed into $venv"
fi

# --- the node ----------------------------------------------------------------------------------
if [ -z "${CP247_BIN:-}" ]; then
  log "building cp247"
  cargo build -p cp247-cli --quiet
  CP247_BIN="${CARGO_TARGET_DIR:-target}/debug/cp247"
fi
[ -x "$CP247_BIN" ] || die "no cp247 binary at $CP247_BIN"

work="$(mktemp -d "${TMPDIR:-/tmp}/cp247-contract.XXXXXX")"
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    # cp247 demo stops its nodes on SIGTERM.
    kill -TERM "$demo_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$demo_pid" 2>/dev/null || true
  fi
  if [ "${CP247_CONTRACT_KEEP:-0}" = "1" ]; then
    printf 'The reports and the nodes are kept in %s\n' "$work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

log "starting cp247 demo"
"$CP247_BIN" demo --dir "$work/demo" >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
for _ in $(seq 1 600); do
  grep -q 'The nodes run until you press Ctrl-C' "$work/demo.out" && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.out" "$work/demo.err" >&2; die "cp247 demo stopped"; }
  sleep 0.5
done
grep -q 'The nodes run until you press Ctrl-C' "$work/demo.out" \
  || { cat "$work/demo.out" >&2; die "cp247 demo was not ready in 300 s"; }

# FR's block of the summary: "  FR  http://127.0.0.1:PORT", then its tokens.
fr_block="$(awk '/^  FR  http/{on=1; print; next} /^  [A-Z][A-Z]  http/{on=0} on' "$work/demo.out")"
url="$(printf '%s\n' "$fr_block" | awk '/^  FR  http/{print $2; exit}')"
officer="$(printf '%s\n' "$fr_block" | awk '/officer token:/{print $3; exit}')"
admin="$(printf '%s\n' "$fr_block" | awk '/admin token:/{print $3; exit}')"
[ -n "$url" ] && [ -n "$officer" ] && [ -n "$admin" ] || die "cannot read FR's URL and tokens from the demo's output"
case "$url" in
  http://127.0.0.1:*) ;;
  *) die "the demo node is not on loopback: $url" ;;
esac

# --- the runs ----------------------------------------------------------------------------------
failed=0
for role in $roles; do
  case "$role" in
    officer) token="$officer" ;;
    admin) token="$admin" ;;
    *) die "unknown role '$role' (officer or admin)" ;;
  esac
  log "schemathesis $SCHEMATHESIS_VERSION, all checks, ${seconds}s as FR's $role"
  args=(
    --config-file "$repo/scripts/api-contract.toml"
    run "$url/api/v1/openapi.json"
    --url "$url"
    --header "Authorization: Bearer $token"
    --checks all
    --max-time "$seconds"
    --workers 2
    --request-timeout 30
    --report junit,ndjson
    --report-dir "$work/report-$role"
    --output-sanitize true
    --no-color
  )
  [ -n "${CP247_CONTRACT_SEED:-}" ] && args+=(--seed "$CP247_CONTRACT_SEED")
  if (cd "$work" && SCHEMATHESIS_HOOKS="$repo/scripts/api-contract-hooks.py" "$venv/bin/schemathesis" "${args[@]}") | tee "$work/schemathesis-$role.log"; then
    :
  else
    failed=1
  fi
done

log "the nodes' logs"
grep -h -E 'panicked|internal error' "$work"/demo/*/serve.log 2>/dev/null | head -20 || true

if [ "$failed" != 0 ]; then
  CP247_CONTRACT_KEEP=1
  die "schemathesis found failures (reports kept in $work)"
fi
log "the API keeps its contract (${seconds}s per role: $roles)"
