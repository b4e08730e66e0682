#!/usr/bin/env bash
# Local service helpers for Onramp: tool bootstrap, PostgreSQL and Redis on
# 127.0.0.1 in self-contained directories.
#
# Library:  source scripts/services.sh; pg_start DIR PORT [fast]; ...
# CLI:      bash scripts/services.sh COMMAND [ARGS...]   (see usage below)
#
# Everything here binds to 127.0.0.1 only.

# Guard against double sourcing.
if [[ -n "${_ONRAMP_SERVICES_SH:-}" ]]; then
    return 0
fi
_ONRAMP_SERVICES_SH=1

ONRAMP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Development ("make run") service locations and ports.
DEV_PG_DIR="$ONRAMP_ROOT/.local/pg"
DEV_PG_PORT=54320
DEV_REDIS_DIR="$ONRAMP_ROOT/.local/redis"
DEV_REDIS_PORT=63790

_log() { printf '[services] %s\n' "$*" >&2; }
_die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
_is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ---------------------------------------------------------------------------
# Tool discovery / bootstrap
# ---------------------------------------------------------------------------

# Print the PostgreSQL server bin directory (the one holding initdb/pg_ctl),
# or return 1 when no server binaries are installed.
pg_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            printf '%s\n' "$d"
            return 0
        fi
    fi
    # Debian layout; prefer 15, else the newest version installed.
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
        return 0
    fi
    d="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
        | sort -V | tail -n 1)"
    if [[ -n "$d" ]]; then
        dirname "$d"
        return 0
    fi
    return 1
}

# uv lives in a private virtualenv when this script installs it: never in the system Python
# (Debian marks it "externally managed", PEP 668) and never with pip assumed to exist.
UV_VENV="$ONRAMP_ROOT/.local/uv-venv"

# Print the command to run uv (may be "python3 -m uv"), or return 1.
uv_cmd() {
    local ub
    if command -v uv >/dev/null 2>&1; then
        command -v uv
        return 0
    fi
    if [[ -x "$UV_VENV/bin/uv" ]]; then
        printf '%s\n' "$UV_VENV/bin/uv"
        return 0
    fi
    ub="$(python3 -m site --user-base 2>/dev/null || true)"
    if [[ -n "$ub" && -x "$ub/bin/uv" ]]; then
        printf '%s\n' "$ub/bin/uv"
        return 0
    fi
    if python3 -m uv --version >/dev/null 2>&1; then
        printf '%s\n' "python3 -m uv"
        return 0
    fi
    return 1
}

# Can python3 create a virtualenv with pip in it? (Debian ships ensurepip in python3-venv.)
_python_can_venv() {
    python3 -c 'import ensurepip, venv' >/dev/null 2>&1
}

# Install uv into $UV_VENV: python3 -m venv, then that venv's pip. As root, apt-get installs
# python3-venv first when it is missing; otherwise the exact packages to install are printed.
_ensure_uv() {
    uv_cmd >/dev/null && return 0
    command -v python3 >/dev/null 2>&1 \
        || _die "python3 not found; install it first:  sudo apt-get install -y python3 python3-venv"
    if ! _python_can_venv; then
        if _is_root && command -v apt-get >/dev/null 2>&1; then
            _apt_install python3-venv
        elif _is_root; then
            _die "python3 cannot create a virtualenv (no ensurepip); install your system's venv package for python3, or uv itself"
        else
            _die "python3 cannot create a virtualenv (no ensurepip), which uv is installed into.
    install it with:  sudo apt-get install -y python3-venv
    (or install uv yourself: https://docs.astral.sh/uv/getting-started/installation/)"
        fi
        _python_can_venv || _die "python3 still cannot create a virtualenv after installing python3-venv"
    fi
    _log "uv not found; installing it into $UV_VENV (python3 -m venv + pip)"
    rm -rf "$UV_VENV"
    mkdir -p "$(dirname "$UV_VENV")"
    python3 -m venv "$UV_VENV" || _die "python3 -m venv $UV_VENV failed"
    "$UV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv \
        || _die "could not install uv from PyPI into $UV_VENV"
    uv_cmd >/dev/null || _die "uv was installed into $UV_VENV but does not run"
    _log "uv $("$UV_VENV/bin/uv" --version 2>/dev/null | cut -d' ' -f2) installed in $UV_VENV"
}

# Run uv with ARGS in the project directory, installing uv first if needed.
uv_run() {
    local uv
    _ensure_uv
    uv="$(uv_cmd)"
    # shellcheck disable=SC2086  # "python3 -m uv" must split
    (cd "$ONRAMP_ROOT" && $uv "$@")
}

_APT_UPDATED=""
_apt_install() {
    if [[ -z "$_APT_UPDATED" ]]; then
        _log "apt-get update"
        apt-get update -qq </dev/null || _die "apt-get update failed"
        _APT_UPDATED=1
    fi
    _log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" </dev/null >&2 \
        || _die "apt-get install $* failed"
}

# Install what the project needs (uv, PostgreSQL, Redis, Chromium) and sync
# the virtualenv from uv.lock (default groups, i.e. including dev).
ensure_tools() {
    local missing=()
    _ensure_uv
    pg_bindir >/dev/null || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    if ((${#missing[@]})); then
        if _is_root; then
            _apt_install "${missing[@]}"
        else
            _die "missing system packages: ${missing[*]}
    install them with:  sudo apt-get install -y ${missing[*]}"
        fi
        pg_bindir >/dev/null || _die "PostgreSQL server binaries still not found after install"
    fi
    if _is_root && ! id -u postgres >/dev/null 2>&1; then
        _log "creating system user 'postgres' (PostgreSQL refuses to run as root)"
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres \
            || _die "could not create the postgres user"
    fi
    _log "uv sync --frozen"
    uv_run sync --frozen || _die "uv sync --frozen failed"
}

# Stop a background process of this shell: TERM, wait up to $2 tenths of a second (default
# 100), then KILL. Nothing to do for an empty or finished pid.
stop_pid() {
    local pid="$1" tenths="${2:-100}" i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < tenths; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Run a command as a background job bounded in time (TERM after $1 seconds, KILL $2 seconds
# later), so the caller's trap handles TERM/INT at once. CHILD_PID holds the job while it runs
# (the caller's cleanup stops it).
CHILD_PID=""
run_bounded() {
    local limit="$1" grace="$2" rc=0
    shift 2
    timeout --signal=TERM --kill-after="$grace" "$limit" "$@" &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    return "$rc"
}

# Stop the throwaway PostgreSQL ($1/pg) and Redis ($1/redis) of a scratch directory and
# delete it.
scratch_teardown() {
    local root="$1"
    [[ -n "$root" && -d "$root" ]] || return 0
    pg_stop "$root/pg" >/dev/null 2>&1 || true
    redis_stop "$root/redis" >/dev/null 2>&1 || true
    rm -rf "$root"
}

# Ask the kernel for a free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

# Run a server-side PostgreSQL tool as the cluster owner: the postgres user
# when we are root (initdb/pg_ctl refuse root), else ourselves. Runs from /
# so the postgres user never needs access to the current directory.
_pg_as_owner() {
    if _is_root; then
        (cd / && runuser -u postgres -- "$@" </dev/null)
    else
        (cd / && "$@" </dev/null)
    fi
}

# Make every ancestor of DIR traversable by the postgres user (root only).
_pg_make_traversable() {
    local dir="$1" p=""
    _is_root || return 0
    local IFS=/
    local parts
    read -r -a parts <<<"${dir#/}"
    local i
    for ((i = 0; i < ${#parts[@]} - 1; i++)); do
        [[ -n "${parts[i]}" ]] || continue
        p="$p/${parts[i]}"
        if ! runuser -u postgres -- test -x "$p" 2>/dev/null; then
            _log "chmod o+x $p (so the postgres user can reach $dir)"
            chmod o+x "$p" || _die "cannot make $p traversable for the postgres user"
        fi
    done
}

# Is a server running on data directory DIR?
pg_running() {
    local dir="$1" bindir
    [[ -f "$dir/postmaster.pid" ]] || return 1
    bindir="$(pg_bindir)" || return 1
    _pg_as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1
}

# pg_start DIR PORT [fast]
# Initialise (if needed) and start a cluster in DIR listening on
# 127.0.0.1:PORT, superuser "onramp" with trust auth, then create database
# "onramp". "fast" turns off fsync & co. (throwaway test instances only).
# Reuses a server already running on DIR.
pg_start() {
    local dir="$1" port="$2" mode="${3:-}" bindir
    [[ -n "$dir" && -n "$port" ]] || _die "usage: pg_start DIR PORT [fast]"
    bindir="$(pg_bindir)" || _die "PostgreSQL server binaries not found (run ensure_tools)"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"

    if _is_root; then
        id -u postgres >/dev/null 2>&1 || _die "running as root needs the 'postgres' system user"
        _pg_make_traversable "$dir"
        chown -R postgres:postgres "$dir"
    fi
    chmod 700 "$dir"

    if pg_running "$dir"; then
        local running_port
        running_port="$(sed -n 4p "$dir/postmaster.pid" 2>/dev/null || true)"
        if [[ -n "$running_port" && "$running_port" != "$port" ]]; then
            _die "PostgreSQL is already running on $dir but on port $running_port, not $port; stop it first: bash scripts/services.sh pg-stop $dir"
        else
            _log "PostgreSQL already running on 127.0.0.1:$port ($dir); reusing it"
        fi
    else
        if [[ ! -f "$dir/PG_VERSION" ]]; then
            _log "initdb $dir"
            local initdb_log
            initdb_log="$(mktemp)"
            if ! _pg_as_owner "$bindir/initdb" -D "$dir" -U onramp --auth=trust -E UTF8 \
                --locale=C.UTF-8 >"$initdb_log" 2>&1; then
                _log "initdb with --locale=C.UTF-8 failed; retrying with --locale=C"
                if ! _pg_as_owner "$bindir/initdb" -D "$dir" -U onramp --auth=trust -E UTF8 \
                    --locale=C >>"$initdb_log" 2>&1; then
                    cat "$initdb_log" >&2
                    rm -f "$initdb_log"
                    _die "initdb failed for $dir"
                fi
            fi
            rm -f "$initdb_log"
        fi

        # Unix socket inside DIR when the path is short and shell-safe;
        # otherwise TCP only (pg_ctl -w does not need the socket).
        local sockdir="''"
        if [[ "$dir" =~ ^[A-Za-z0-9_./-]+$ && ${#dir} -le 90 ]]; then
            sockdir="$dir"
        fi
        local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$sockdir"
        if [[ "$mode" == fast ]]; then
            opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        fi
        # Extra server settings from the caller (the test run caps every statement).
        if [[ -n "${PG_EXTRA_OPTS:-}" ]]; then
            opts="$opts $PG_EXTRA_OPTS"
        fi

        _log "starting PostgreSQL on 127.0.0.1:$port ($dir)"
        if ! _pg_as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
            -o "$opts" start >/dev/null; then
            tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
            _die "PostgreSQL failed to start on port $port (log: $dir/server.log)"
        fi
    fi

    # Create the application database if missing.
    local exists
    exists="$("$bindir/psql" -h 127.0.0.1 -p "$port" -U onramp -d postgres -XtAq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'onramp'" </dev/null)" \
        || _die "cannot connect to PostgreSQL on 127.0.0.1:$port"
    if [[ "$exists" != 1 ]]; then
        local out
        if ! out="$("$bindir/createdb" -h 127.0.0.1 -p "$port" -U onramp onramp </dev/null 2>&1)"; then
            [[ "$out" == *"already exists"* ]] || _die "createdb failed: $out"
        fi
    fi
}

# pg_stop DIR — stop the server on DIR (no-op when not running).
pg_stop() {
    local dir="$1" bindir
    [[ -n "$dir" ]] || _die "usage: pg_stop DIR"
    [[ -d "$dir" ]] || return 0
    bindir="$(pg_bindir)" || return 0
    if pg_running "$dir"; then
        _pg_as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || _pg_as_owner "$bindir/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 \
            || true
    fi
}

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------

_redis_ping() {
    local port="$1"
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping </dev/null 2>/dev/null)" == PONG ]]
    else
        python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(b"PING\r\n")
sys.exit(0 if s.recv(64).startswith(b"+PONG") else 1)
PY
    fi
}

_redis_pid() {
    local dir="$1" pid
    [[ -f "$dir/redis.pid" ]] || return 1
    pid="$(cat "$dir/redis.pid" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

# Is a Redis started by redis_start running on DIR?
redis_running() { _redis_pid "$1" >/dev/null; }

# redis_start DIR PORT — start a non-persistent Redis on 127.0.0.1:PORT.
# Reuses a server already running from DIR.
redis_start() {
    local dir="$1" port="$2" i
    [[ -n "$dir" && -n "$port" ]] || _die "usage: redis_start DIR PORT"
    command -v redis-server >/dev/null 2>&1 || _die "redis-server not found (run ensure_tools)"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if redis_running "$dir" && _redis_ping "$port"; then
        _log "Redis already running on 127.0.0.1:$port ($dir); reusing it"
        return 0
    fi
    rm -f "$dir/redis.pid"
    _log "starting Redis on 127.0.0.1:$port ($dir)"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" \
        --logfile "$dir/redis.log" </dev/null >/dev/null \
        || _die "redis-server failed to start (log: $dir/redis.log)"
    for ((i = 0; i < 100; i++)); do
        _redis_ping "$port" && return 0
        sleep 0.1
    done
    tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
    _die "Redis did not answer on 127.0.0.1:$port (log: $dir/redis.log)"
}

# redis_stop DIR — stop the Redis started from DIR (no-op when not running).
redis_stop() {
    local dir="$1" pid i
    [[ -n "$dir" ]] || _die "usage: redis_stop DIR"
    pid="$(_redis_pid "$dir")" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$dir/redis.pid"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/redis.pid"
}

# ---------------------------------------------------------------------------
# Development environment (make run / migrate / shell)
# ---------------------------------------------------------------------------

# Export the development settings; never overrides what the user exported.
dev_env() {
    local secret_file="$ONRAMP_ROOT/.local/secret_key"
    mkdir -p "$ONRAMP_ROOT/.local/media"
    if [[ ! -s "$secret_file" ]]; then
        (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' >"$secret_file")
    fi
    export DATABASE_URL="${DATABASE_URL:-postgres://onramp@127.0.0.1:$DEV_PG_PORT/onramp}"
    export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$DEV_REDIS_PORT/0}"
    export DEBUG="${DEBUG:-true}"
    export SECRET_KEY="${SECRET_KEY:-$(cat "$secret_file")}"
    export ALLOWED_HOSTS="${ALLOWED_HOSTS:-.localhost,localhost,127.0.0.1}"
    export BASE_DOMAIN="${BASE_DOMAIN:-localhost}"
    export MEDIA_ROOT="${MEDIA_ROOT:-$ONRAMP_ROOT/.local/media}"
    # Links in emails point at the development server.
    export SITE_SCHEME="${SITE_SCHEME:-http}"
    export SITE_PORT="${SITE_PORT:-8000}"
    if [[ -z "${EMAIL_URL:-}" ]]; then
        mkdir -p "$ONRAMP_ROOT/.local/mail"
        export EMAIL_URL="filemail://$ONRAMP_ROOT/.local/mail"
    fi
}

# Start (or reuse) the development PostgreSQL and Redis.
dev_services_start() {
    pg_start "$DEV_PG_DIR" "$DEV_PG_PORT"
    redis_start "$DEV_REDIS_DIR" "$DEV_REDIS_PORT"
}

dev_services_stop() {
    pg_stop "$DEV_PG_DIR"
    redis_stop "$DEV_REDIS_DIR"
}

# dev_manage ARGS... — run manage.py against the development services,
# starting them if needed and stopping afterwards only what it started.
dev_manage() {
    local started_pg="" started_redis="" rc=0
    ensure_tools
    pg_running "$DEV_PG_DIR" || started_pg=1
    redis_running "$DEV_REDIS_DIR" || started_redis=1
    dev_services_start
    dev_env
    (cd "$ONRAMP_ROOT" && .venv/bin/python manage.py "$@") || rc=$?
    [[ -n "$started_pg" ]] && pg_stop "$DEV_PG_DIR"
    [[ -n "$started_redis" ]] && redis_stop "$DEV_REDIS_DIR"
    return "$rc"
}

# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

_services_usage() {
    cat >&2 <<'USAGE'
usage: scripts/services.sh COMMAND [ARGS...]
  ensure-tools               install uv/PostgreSQL/Redis/Chromium if missing; uv sync --frozen
  ensure-uv                  install uv (into .local/uv-venv) if it is not found
  uv ARGS...                 run uv ARGS in the project, installing uv first if needed
  pg-start DIR PORT [fast]   start (or reuse) PostgreSQL on 127.0.0.1:PORT with data in DIR
  pg-stop DIR                stop PostgreSQL on DIR
  redis-start DIR PORT       start (or reuse) Redis on 127.0.0.1:PORT in DIR
  redis-stop DIR             stop Redis started in DIR
  free-port                  print a free TCP port on 127.0.0.1
  dev-start | dev-stop       start/stop the `make run` PostgreSQL and Redis (.local/)
  dev-manage ARGS...         manage.py ARGS against the `make run` services
USAGE
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    cmd="${1:-}"
    shift || true
    case "$cmd" in
        ensure-tools | ensure_tools) ensure_tools ;;
        ensure-uv | ensure_uv) _ensure_uv ;;
        uv) uv_run "$@" ;;
        pg-start | pg_start) pg_start "$@" ;;
        pg-stop | pg_stop) pg_stop "$@" ;;
        redis-start | redis_start) redis_start "$@" ;;
        redis-stop | redis_stop) redis_stop "$@" ;;
        free-port | free_port) free_port ;;
        dev-start) dev_services_start ;;
        dev-stop) dev_services_stop ;;
        dev-manage) dev_manage "$@" ;;
        -h | --help | help) _services_usage ;;
        *) _services_usage; exit 2 ;;
    esac
fi
