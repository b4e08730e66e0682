"""Run a command and restart it when a watched file changes (make run's Celery workers, one
per queue, and beat: one instance of this script per process).

    python scripts/autorestart.py PATH [PATH...] -- COMMAND [ARGS...]

Polls the modification times of the .py, .html and .txt files under each PATH once a second:
no dependency, and cheap for a tree of a few hundred files. A change stops the command with
SIGTERM (a Celery warm shutdown; SIGKILL after 20 s) and starts it again. If the command exits on
its own (Celery beat after a Redis error, an import error after an edit), it is started again
after a pause that doubles from 1 s up to 30 s while it keeps failing (back to 1 s once it has
run for a minute); a change restarts it at once. SIGTERM or SIGINT stops the command and this
script.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

SUFFIXES = (".py", ".html", ".txt")
SKIP_DIRS = {"__pycache__", "node_modules", ".git"}
POLL_SECONDS = 1.0
STOP_TIMEOUT = 20.0
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
# A run at least this long counts as healthy: the next crash waits BACKOFF_FIRST again.
HEALTHY_RUN = 60.0


def _log(message: str) -> None:
    print(f"[autorestart] {message}", file=sys.stderr, flush=True)


def _files(paths: list[Path]) -> Iterator[Path]:
    for root in paths:
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                if name.endswith(SUFFIXES):
                    yield Path(dirpath, name)


def _snapshot(paths: list[Path]) -> dict[Path, int]:
    times = {}
    for path in _files(paths):
        try:
            times[path] = path.stat().st_mtime_ns
        except FileNotFoundError:  # deleted while walking
            continue
    return times


def _changed(before: dict[Path, int], after: dict[Path, int]) -> Path | None:
    for path, mtime in after.items():
        if before.get(path) != mtime:
            return path
    return next((path for path in before if path not in after), None)


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    # The command is this script's own argument list, written in scripts/run.sh.
    return subprocess.Popen(command)  # noqa: S603


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") in (0, len(argv) - 1):
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    paths = [Path(p) for p in argv[:split]]
    command = argv[split + 1 :]

    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    times = _snapshot(paths)
    proc = _start(command)
    started = time.monotonic()
    backoff = BACKOFF_FIRST
    restart_at: float | None = None  # when an exited command is started again
    while not stopping:
        time.sleep(POLL_SECONDS)
        if proc.poll() is not None and restart_at is None:
            if time.monotonic() - started >= HEALTHY_RUN:
                backoff = BACKOFF_FIRST
            _log(
                f"{command[0]} exited with status {proc.returncode}; "
                f"starting it again in {backoff:.0f} s"
            )
            restart_at = time.monotonic() + backoff
            backoff = min(backoff * 2, BACKOFF_MAX)
        now = _snapshot(paths)
        path = _changed(times, now)
        times = now
        if stopping:
            break
        if path is not None:
            _log(f"{path} changed; restarting {Path(command[0]).name}")
            backoff = BACKOFF_FIRST
        elif restart_at is None or time.monotonic() < restart_at:
            continue
        _stop(proc)
        proc = _start(command)
        started = time.monotonic()
        restart_at = None
    _stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
