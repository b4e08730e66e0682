"""Health endpoints for load balancers, orchestrators and monitors.

- `/livez`: liveness. The process answers HTTP; touches neither the database nor Redis, so a
  restart policy never kills a web process because a dependency is down.
- `/healthz`: readiness of the stack. The database and Redis answer, each periodic job
  (milestone sweep, onboarding reconcile, outbox sweep) has run within HEALTH_MAX_SWEEP_AGE
  seconds, and no more than HEALTH_MAX_OUTBOX_BACKLOG outbox messages have waited longer than
  five minutes. 200 when all hold, 503 otherwise, with the details as JSON.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import redis
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.heartbeat import EXPECTED, heartbeat_times

# When this process started: a job that has never run is not a failure until the process
# has been up longer than HEALTH_MAX_SWEEP_AGE (the first beat runs after start).
PROCESS_STARTED = time.monotonic()
OUTBOX_STALE_AFTER = timedelta(minutes=5)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_redis() -> str:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_heartbeats(max_age: int) -> tuple[dict[str, int | None], list[str]]:
    """Age in seconds of each expected job's last run (None: never ran), and the failures."""
    try:
        times = heartbeat_times()
    except Exception:  # noqa: BLE001 - the database check reports the cause
        return {}, ["heartbeats unreadable"]
    now = timezone.now()
    in_grace = time.monotonic() - PROCESS_STARTED < max_age
    ages: dict[str, int | None] = {}
    failures: list[str] = []
    for name, app in EXPECTED.items():
        if not apps.is_installed(app):
            continue
        at = times.get(name)
        ages[name] = None if at is None else max(0, int((now - at).total_seconds()))
        age = ages[name]
        if (age is None and not in_grace) or (age is not None and age > max_age):
            failures.append(name)
    return ages, failures


def _outbox_backlog() -> int | None:
    """Pending outbox messages older than five minutes; None before the outbox exists."""
    if not apps.is_installed("apps.outbox"):
        return None
    try:
        from apps.outbox.models import OutboxMessage  # noqa: PLC0415 - optional app
    except ImportError:
        return None
    from django_scopes import scopes_disabled  # noqa: PLC0415

    with scopes_disabled():
        return OutboxMessage.objects.filter(
            status="pending", created_at__lt=timezone.now() - OUTBOX_STALE_AFTER
        ).count()


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: the process serves requests. No database, no Redis."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: dependencies answer, periodic jobs are recent, the outbox is draining."""
    max_age: int = settings.HEALTH_MAX_SWEEP_AGE
    max_backlog: int = settings.HEALTH_MAX_OUTBOX_BACKLOG
    body: dict[str, Any] = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(value == "ok" for value in body.values())
    if body["database"] == "ok":
        ages, stale = _check_heartbeats(max_age)
        body["heartbeats"] = ages
        try:
            backlog = _outbox_backlog()
        except Exception as exc:  # noqa: BLE001
            backlog, stale = None, [*stale, f"outbox: {exc.__class__.__name__}"]
        body["outbox_backlog"] = backlog
        if backlog is not None and backlog > max_backlog:
            stale.append("outbox_backlog")
        if stale:
            body["failing"] = stale
            healthy = False
    body = {"status": "ok" if healthy else "unavailable", **body}
    return JsonResponse(body, status=200 if healthy else 503)
