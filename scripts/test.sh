#!/usr/bin/env bash
# make test: throwaway PostgreSQL + Redis on free ports, then pytest.
# Usage: scripts/test.sh [PYTEST ARGS...]   (also honours $PYTEST_ARGS)
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null   # nothing here reads stdin; CI may run us with it closed
# shellcheck source=scripts/services.sh
source scripts/services.sh

TEST_ROOT=""
PYTEST_PID=""
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    trap - EXIT
    trap '' INT TERM   # let the cleanup finish
    stop_pid "$PYTEST_PID"
    scratch_teardown "$TEST_ROOT"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

ensure_tools

TEST_ROOT="$(mktemp -d /tmp/onramp-test.XXXXXXXX)"
chmod 711 "$TEST_ROOT"   # the postgres user must traverse into pg/
mkdir -p "$TEST_ROOT/pg" "$TEST_ROOT/redis" "$TEST_ROOT/media"

PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
# No statement of a test takes minutes: a stuck one (a lock wait) fails the test, with its
# traceback, instead of stalling the whole run.
PG_EXTRA_OPTS="-c statement_timeout=300s" pg_start "$TEST_ROOT/pg" "$PG_PORT" fast
redis_start "$TEST_ROOT/redis" "$REDIS_PORT"

export DATABASE_URL="postgres://onramp@127.0.0.1:$PG_PORT/onramp"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY="test-secret-key-not-for-production-0123456789abcdefghij"
export ALLOWED_HOSTS=".localhost,localhost,127.0.0.1,testserver"
export BASE_DOMAIN="localhost"
export MEDIA_ROOT="$TEST_ROOT/media"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
unset EMAIL_URL DEBUG   # pytest-django uses locmem mail and DEBUG=False
# The test servers (live_server for the browser tests) speak plain HTTP on 127.0.0.1; the
# production defaults (HTTPS redirect, HSTS, secure cookies) are proven by tests/core.
export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
export SECURE_HSTS_SECONDS=0 SECURE_HSTS_INCLUDE_SUBDOMAINS=false SECURE_HSTS_PRELOAD=false

# PYTEST_ARGS (e.g. make test PYTEST_ARGS="-k 'foo and not bar'") is split like a
# shell command line, so quoted arguments survive.
extra=()
if [[ -n "${PYTEST_ARGS:-}" ]]; then
    eval "extra=(${PYTEST_ARGS})"
fi

# pytest runs as a background job so that a TERM/INT sent to this script is
# handled at once (bash defers traps while a foreground command runs).
rc=0
# --durations=25: the slowest tests, so the suite's time stays visible (a later
# --durations=N in PYTEST_ARGS wins).
.venv/bin/pytest -n 2 -p no:cacheprovider --durations=25 "${extra[@]}" "$@" &
PYTEST_PID=$!
wait "$PYTEST_PID" || rc=$?
PYTEST_PID=""

cleanup
if [[ "$rc" -eq 5 ]]; then
    echo "test.sh: pytest collected no tests (exit 5); treating that as a failure" >&2
    exit 1
fi
exit "$rc"
