#!/usr/bin/env bash
# make chaos: the kill matrix (issue 14). Throwaway PostgreSQL + Redis on free ports under a
# mktemp directory, migrate, seed (the demo programs + a chaos pipeline, bench/chaos.py seed),
# gunicorn and a supervised Celery beat (scripts/autorestart.py, as make run), then
# bench/chaos.py run: it starts the SMTP sink and the Celery worker itself (it kills and
# restarts them), drives the workload over HTTP while it injects the faults, lets the system
# settle and checks that nothing was lost or duplicated. Exit 1 on any finding.
# Everything listens on 127.0.0.1 and is stopped and deleted at the end.
# Knobs: CHAOS_QUICK=1 (10 rounds, 150 s, 30 s SMTP outage), CHAOS_ROUNDS (100),
# CHAOS_DURATION (1200 s), CHAOS_SMTP_OUTAGE (600 s), CHAOS_SETTLE (900 s), CHAOS_PARTNERS,
# CHAOS_APPLICATIONS, CHAOS_INVITATIONS, CHAOS_SEED. The report is also written to
# bench/results/chaos-latest.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
# shellcheck source=scripts/services.sh
source scripts/services.sh

CHAOS_ROOT=""
WEB_PID=""
BEAT_PID=""

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    trap - EXIT
    trap '' INT TERM   # let the cleanup finish
    stop_pid "$CHILD_PID" 250   # bench/chaos.py stops its worker and SMTP sink on TERM
    if [[ -n "$CHAOS_ROOT" && -s "$CHAOS_ROOT/worker.pgid" ]]; then
        kill -KILL -- "-$(cat "$CHAOS_ROOT/worker.pgid")" 2>/dev/null || true
    fi
    stop_pid "$BEAT_PID" 250
    stop_pid "$WEB_PID" 250
    scratch_teardown "$CHAOS_ROOT"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

step() { printf '[chaos] %s\n' "$*" >&2; }

# A bounded background job (so TERM/INT are handled at once): run SECONDS COMMAND...
run() { run_bounded "$1" 30 "${@:2}"; }

ensure_tools

CHAOS_ROOT="$(mktemp -d /tmp/onramp-chaos.XXXXXXXX)"
chmod 711 "$CHAOS_ROOT"   # the postgres user must traverse into pg/
mkdir -p "$CHAOS_ROOT/pg" "$CHAOS_ROOT/redis" "$CHAOS_ROOT/media"

PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"
SMTP_PORT="$(free_port)"
pg_start "$CHAOS_ROOT/pg" "$PG_PORT" fast
redis_start "$CHAOS_ROOT/redis" "$REDIS_PORT"

export DATABASE_URL="postgres://onramp@127.0.0.1:$PG_PORT/onramp"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY="chaos-secret-key-not-for-production-0123456789abcdefghij"
export DEBUG=false
export ALLOWED_HOSTS=".localhost,localhost,127.0.0.1"
export BASE_DOMAIN="localhost"
export MEDIA_ROOT="$CHAOS_ROOT/media"
export EMAIL_URL="smtp://127.0.0.1:$SMTP_PORT"
export DJANGO_SETTINGS_MODULE=config.settings
export EMAIL_TIMEOUT=5
export LOG_LEVEL=WARNING
export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
export SECURE_HSTS_SECONDS=0 SECURE_HSTS_INCLUDE_SUBDOMAINS=false SECURE_HSTS_PRELOAD=false

step "migrate + collectstatic"
run 900 .venv/bin/python manage.py migrate --noinput -v 0
run 900 .venv/bin/python manage.py collectstatic --noinput -v 0

STATE="$CHAOS_ROOT/seed.json"
step "seed"
run 900 .venv/bin/python bench/chaos.py seed --state "$STATE"

WEB_PORT="$(free_port)"
step "gunicorn on 127.0.0.1:$WEB_PORT (2 workers x 4 threads), beat (supervised)"
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$WEB_PORT" --workers 2 --threads 4 \
    --timeout 60 --log-level warning --error-logfile "$CHAOS_ROOT/gunicorn.log" \
    >"$CHAOS_ROOT/web.log" 2>&1 &
WEB_PID=$!
.venv/bin/python scripts/autorestart.py config -- \
    .venv/bin/celery -A config beat -l WARNING -s "$CHAOS_ROOT/celerybeat-schedule" \
    >"$CHAOS_ROOT/beat.log" 2>&1 &
BEAT_PID=$!

rc=0
run 4800 .venv/bin/python bench/chaos.py run --state "$STATE" --root "$CHAOS_ROOT" \
    --port "$WEB_PORT" --pg-port "$PG_PORT" --redis-port "$REDIS_PORT" \
    --smtp-port "$SMTP_PORT" || rc=$?
if [[ "$rc" -ne 0 ]]; then
    # Keep the logs (the directory itself is deleted): the findings name request ids and rows.
    rm -rf bench/results/chaos-logs && mkdir -p bench/results/chaos-logs
    cp "$CHAOS_ROOT"/{web.log,gunicorn.log,celery.log,beat.log,responses.jsonl,smtp.jsonl} \
        bench/results/chaos-logs/ 2>/dev/null || true
    step "logs kept in bench/results/chaos-logs/"
    step "exit $rc; last lines of the worker log:"
    grep -v '^\s*$' "$CHAOS_ROOT/celery.log" 2>/dev/null | tail -n 30 >&2 || true
    step "last lines of the gunicorn log:"
    tail -n 20 "$CHAOS_ROOT/gunicorn.log" >&2 2>/dev/null || true
fi
cleanup
exit "$rc"
