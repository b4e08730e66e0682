#!/usr/bin/env bash
# make bench: throwaway PostgreSQL + Redis on free ports, migrate, collectstatic, seed the
# benchmark dataset (bench/dataset.py), start gunicorn on a free port, run the suites
# (bench/run.py) next to two Celery workers (the default queue, and "advance" for automatic
# stage moves; no beat), print the results and write them to bench/results/latest.txt.
# Throughput figures come from wrk (a native load generator, so the client does not take the
# server's CPU; installed here with apt-get when missing and run as root), latency
# percentiles and correctness checks from the Python client (bench/lib.py).
# Everything listens on 127.0.0.1 and is stopped and deleted at the end.
# Knobs: BENCH_SUITES=explorer,onboarding BENCH_CONCURRENCY=8 BENCH_WARMUP=2 BENCH_DURATION=8
# BENCH_PARTNERS=100000. A quick check that every suite runs to the end (figures not comparable):
#   BENCH_PARTNERS=2000 BENCH_WARMUP=0.5 BENCH_DURATION=1 BENCH_CONCURRENCY=2 bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
# shellcheck source=scripts/services.sh
source scripts/services.sh

BENCH_ROOT=""
WEB_PID=""
WORKER_PID=""
ADVANCE_PID=""
STEP_TIMEOUT="${BENCH_STEP_TIMEOUT:-900}"   # seconds; no step should come near it on a quiet machine

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    trap - EXIT
    trap '' INT TERM   # let the cleanup finish
    stop_pid "$CHILD_PID"
    stop_pid "$WEB_PID"
    stop_pid "$WORKER_PID"
    stop_pid "$ADVANCE_PID"
    scratch_teardown "$BENCH_ROOT"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

step() { printf '[bench] %s\n' "$*" >&2; }

# Run a command as a background job (so TERM/INT are handled at once), bounded in time.
run() { run_bounded "$STEP_TIMEOUT" 10 "$@"; }

ensure_tools
if ! command -v wrk >/dev/null 2>&1; then
    if _is_root && command -v apt-get >/dev/null 2>&1; then
        _apt_install wrk
    else
        step "wrk is not installed: throughput falls back to the Python client, which shares" \
            "the server's CPU (install it with:  sudo apt-get install -y wrk)"
    fi
fi

BENCH_ROOT="$(mktemp -d /tmp/onramp-bench.XXXXXXXX)"
chmod 711 "$BENCH_ROOT"   # the postgres user must traverse into pg/
mkdir -p "$BENCH_ROOT/pg" "$BENCH_ROOT/redis" "$BENCH_ROOT/media" "$BENCH_ROOT/mail"

PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
pg_start "$BENCH_ROOT/pg" "$PG_PORT" fast
redis_start "$BENCH_ROOT/redis" "$REDIS_PORT"

export DATABASE_URL="postgres://onramp@127.0.0.1:$PG_PORT/onramp"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdefghij"
export DEBUG=false
export ALLOWED_HOSTS=".localhost,localhost,127.0.0.1"
export BASE_DOMAIN="localhost"
export MEDIA_ROOT="$BENCH_ROOT/media"
export EMAIL_URL="filemail://$BENCH_ROOT/mail"
export LOG_LEVEL=WARNING
# gunicorn speaks plain HTTP on 127.0.0.1: no HTTPS redirect, HSTS or secure-only cookies.
export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
export SECURE_HSTS_SECONDS=0 SECURE_HSTS_INCLUDE_SUBDOMAINS=false SECURE_HSTS_PRELOAD=false
# The API suite (bench/api.py) loads one key far beyond its production rate limit.
export API_RATE_LIMIT="${API_RATE_LIMIT:-100000000}" API_RATE_BURST="${API_RATE_BURST:-100000000}"
BENCH_COMMIT="$(git describe --always --dirty 2>/dev/null || echo unknown)"
export BENCH_COMMIT

step "migrate + collectstatic"
run .venv/bin/python manage.py migrate --noinput -v 0
run .venv/bin/python manage.py collectstatic --noinput -v 0

STATE="$BENCH_ROOT/seed.json"
run .venv/bin/python bench/run.py seed --state "$STATE"

WEB_PORT="$(free_port)"
step "gunicorn on 127.0.0.1:$WEB_PORT (2 workers x 2 threads)"
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$WEB_PORT" --workers 2 --threads 2 \
    --log-level warning --error-logfile "$BENCH_ROOT/gunicorn.log" &
WEB_PID=$!

# The onboarding suite measures auto-advance through the "advance" worker (its own queue, as
# in make run and compose), the applications suite the e-mails through the default one. No
# beat: its 60 s reconciliation pass would move partners too.
step "celery workers: default queue (concurrency 2) and advance (concurrency 2), no beat"
.venv/bin/celery -A config worker -l WARNING --concurrency 2 -Q celery -n celery@%h \
    >"$BENCH_ROOT/celery.log" 2>&1 &
WORKER_PID=$!
.venv/bin/celery -A config worker -l WARNING --concurrency 2 -Q advance -n advance@%h \
    >"$BENCH_ROOT/celery-advance.log" 2>&1 &
ADVANCE_PID=$!

rc=0
run .venv/bin/python bench/run.py measure --state "$STATE" --port "$WEB_PORT" || rc=$?
if [[ "$rc" -ne 0 ]]; then
    step "measure failed (exit $rc); last lines of the gunicorn log:"
    tail -n 40 "$BENCH_ROOT/gunicorn.log" >&2 2>/dev/null || true
    step "last lines of the celery worker log:"
    tail -n 40 "$BENCH_ROOT/celery.log" >&2 2>/dev/null || true
    step "last lines of the advance worker log:"
    tail -n 20 "$BENCH_ROOT/celery-advance.log" >&2 2>/dev/null || true
fi
cleanup
exit "$rc"
