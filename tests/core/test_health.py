import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core import views as health
from apps.core.heartbeat import (
    MILESTONE_SWEEP,
    ONBOARDING_RECONCILE,
    heartbeat_beat,
    heartbeat_times,
)
from apps.core.models import Heartbeat

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(path: str = "/healthz"):
    return Client(headers={"host": "localhost"}).get(path)


def _all_beating(at=None) -> None:
    for name, app in health.EXPECTED.items():
        if apps.is_installed(app):
            heartbeat_beat(name, at=at)


@pytest.fixture
def started_long_ago(monkeypatch):
    """The web process has been up for a day: no grace for a job that never ran."""
    monkeypatch.setattr(health, "PROCESS_STARTED", time.monotonic() - 86400)


def test_healthz_ok_when_database_and_redis_answer_and_jobs_ran(started_long_ago):
    _all_beating()
    response = _get()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == body["redis"] == "ok"
    assert body["heartbeats"][MILESTONE_SWEEP] == 0
    assert body["heartbeats"][ONBOARDING_RECONCILE] == 0
    assert "failing" not in body
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_the_age_of_each_heartbeat(started_long_ago):
    _all_beating()
    heartbeat_beat(MILESTONE_SWEEP, at=timezone.now() - timedelta(seconds=125))
    body = _get().json()
    assert 125 <= body["heartbeats"][MILESTONE_SWEEP] <= 130


def test_healthz_503_when_the_sweep_is_older_than_the_threshold(settings, started_long_ago):
    settings.HEALTH_MAX_SWEEP_AGE = 300
    _all_beating()
    heartbeat_beat(MILESTONE_SWEEP, at=timezone.now() - timedelta(seconds=301))
    response = _get()
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["failing"] == [MILESTONE_SWEEP]
    heartbeat_beat(MILESTONE_SWEEP)
    assert _get().status_code == 200


def test_healthz_503_when_the_reconcile_never_ran_after_the_grace(started_long_ago):
    heartbeat_beat(MILESTONE_SWEEP)
    response = _get()
    assert response.status_code == 503
    assert response.json()["heartbeats"][ONBOARDING_RECONCILE] is None
    assert ONBOARDING_RECONCILE in response.json()["failing"]


def test_a_missing_heartbeat_right_after_start_is_not_a_failure(settings, monkeypatch):
    settings.HEALTH_MAX_SWEEP_AGE = 600
    monkeypatch.setattr(health, "PROCESS_STARTED", time.monotonic() - 30)
    response = _get()
    assert response.status_code == 200
    assert response.json()["heartbeats"][MILESTONE_SWEEP] is None
    # A heartbeat that is there but old fails even during the grace.
    heartbeat_beat(MILESTONE_SWEEP, at=timezone.now() - timedelta(seconds=601))
    assert _get().status_code == 503


def test_heartbeat_upsert_is_one_statement_and_keeps_one_row():
    heartbeat_beat("job")
    first = heartbeat_times()["job"]
    with CaptureQueriesContext(connection) as queries:
        heartbeat_beat("job", at=first + timedelta(seconds=60))
    assert len(queries) == 1
    assert "ON CONFLICT" in queries[0]["sql"]
    assert Heartbeat.objects.filter(name="job").count() == 1
    assert heartbeat_times()["job"] == first + timedelta(seconds=60)


def test_the_beat_tasks_record_their_heartbeats(db):
    from apps.milestones.tasks import milestone_sweep
    from apps.onboarding.tasks import onboarding_reconcile

    before = timezone.now()
    milestone_sweep()
    onboarding_reconcile()
    times = heartbeat_times()
    assert times[MILESTONE_SWEEP] >= before
    assert times[ONBOARDING_RECONCILE] >= before


def test_healthz_query_count_is_bounded(django_assert_max_num_queries, started_long_ago):
    _all_beating()
    with django_assert_max_num_queries(4):
        assert _get().status_code == 200


def test_healthz_503_when_the_outbox_backlog_is_above_the_threshold(
    settings, started_long_ago, acme
):
    from django_scopes import scopes_disabled

    from apps.notifications.services import EMAIL_KIND
    from apps.outbox.models import OutboxMessage
    from apps.outbox.services import outbox_enqueue

    settings.HEALTH_MAX_OUTBOX_BACKLOG = 0
    _all_beating()
    assert _get().json()["outbox_backlog"] == 0
    # A real message, as a business transaction writes it (its nudge not run: a lost task).
    message = outbox_enqueue(
        tenant=acme.tenant,
        kind=EMAIL_KIND,
        payload={"notification_id": 0},
        summary="someone@example.test",
    )
    assert message is not None
    # A pending message younger than five minutes is not backlog.
    assert _get().status_code == 200
    with scopes_disabled():
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(minutes=6)
        )
    response = _get()
    assert response.status_code == 503
    assert response.json()["outbox_backlog"] == 1
    assert "outbox_backlog" in response.json()["failing"]
    settings.HEALTH_MAX_OUTBOX_BACKLOG = 1
    assert _get().status_code == 200  # at the threshold, not above it


def test_livez_touches_neither_database_nor_redis(settings, django_assert_num_queries):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    with django_assert_num_queries(0):
        response = _get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # Any host, and exempt from the HTTPS redirect like /healthz.
    assert Client(headers={"host": "nowhere.localhost"}).get("/livez").status_code == 200
    settings.SECURE_SSL_REDIRECT = True
    assert _get("/livez").status_code == 200
    assert _get("/healthz").status_code in (200, 503)
    assert _get("/console/").status_code == 301


def test_health_endpoints_refuse_post():
    assert Client(headers={"host": "localhost"}).post("/livez").status_code == 405
    assert Client(headers={"host": "localhost"}).post("/healthz").status_code == 405


def test_healthz_503_when_redis_is_stopped(settings, tmp_path, started_long_ago):
    _all_beating()
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server must be installed for the test suite"
    port = _free_port()
    subprocess.run(
        [
            redis_server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--daemonize",
            "yes",
            "--dir",
            str(tmp_path),
            "--pidfile",
            str(tmp_path / "r.pid"),
        ],
        check=True,
    )
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    client = Client(headers={"host": "localhost"})
    for _ in range(50):
        if client.get("/healthz").status_code == 200:
            break
        time.sleep(0.1)
    assert client.get("/healthz").json()["redis"] == "ok"

    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["redis"].startswith("error")
    # The process itself is alive.
    assert client.get("/livez").status_code == 200


def test_healthz_503_when_database_is_unreachable(settings):
    from django.db import connections

    conn = connections["default"]
    original = conn.settings_dict["PORT"]
    conn.close()
    conn.settings_dict["PORT"] = str(_free_port())
    try:
        response = Client(headers={"host": "localhost"}).get("/healthz")
        live = Client(headers={"host": "localhost"}).get("/livez")
    finally:
        conn.close()
        conn.settings_dict["PORT"] = original
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")
    assert live.status_code == 200
