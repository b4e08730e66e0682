#!/usr/bin/env bash
# make run: local PostgreSQL + Redis, migrate, seed (idempotent: it only adds what is missing),
# then Django's development server + two Celery workers (the default queue, and "advance" for
# automatic stage moves) + Celery beat. Code changes reload: runserver reloads the web process
# itself; scripts/autorestart.py restarts the workers (apps/, config/, templates/) and beat
# (config/), and supervises each: one that exits (beat after a Redis error) is started again
# with a growing pause. Ctrl-C (or the web server or a watcher exiting) stops
# everything.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh

PIDS=()
_CLEANED=""
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    [[ -n "$_CLEANED" ]] && return 0
    _CLEANED=1
    trap '' INT TERM   # let the shutdown finish
    echo >&2
    _log "shutting down"
    local pid i alive
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Give them 20 s to finish gracefully, then kill what is left.
    for ((i = 0; i < 200; i++)); do
        alive=""
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [[ -z "$alive" ]] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    dev_services_stop
    _log "stopped web, workers, beat, PostgreSQL and Redis"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_tools
dev_services_start
dev_env

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput
.venv/bin/python manage.py seed_demo

.venv/bin/python manage.py runserver 127.0.0.1:8000 &
PIDS+=("$!")
# Two workers: the default queue (emails, sweeps, ...) and the automatic stage moves on their
# own queue, so a backlog of emails never delays a move (config/settings.py, "Queues").
.venv/bin/python scripts/autorestart.py apps config templates -- \
    .venv/bin/celery -A config worker -l info --concurrency 2 -Q celery -n celery@%h &
PIDS+=("$!")
.venv/bin/python scripts/autorestart.py apps config templates -- \
    .venv/bin/celery -A config worker -l info --concurrency 1 -Q advance -n advance@%h &
PIDS+=("$!")
.venv/bin/python scripts/autorestart.py config -- .venv/bin/celery -A config beat -l info &
PIDS+=("$!")

cat <<BANNER

  ==================================================================
   Onramp is running:  http://acme.localhost:8000/

   Demo sign-ins (password: onramp-demo)
     on http://acme.localhost:8000/
       admin@acme.test          program admin
       cam@acme.test            channel manager
       partner@northwind.test   partner admin
     on http://globex.localhost:8000/
       admin@globex.test        program admin

   Outgoing mail is written to .local/mail/
   Code changes reload the web server and restart the workers and beat;
   after adding a migration, run "make migrate" in another terminal.
   PostgreSQL 127.0.0.1:$DEV_PG_PORT, Redis 127.0.0.1:$DEV_REDIS_PORT
   Press Ctrl-C to stop everything.
  ==================================================================

BANNER

rc=0
wait -n || rc=$?
_log "a process exited (status $rc); stopping the rest"
exit "$rc"
