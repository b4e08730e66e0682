"""Redis stopped in the middle of a test: pages, sign-in, /apply/ and Validate keep working.

A dedicated redis-server on a free port backs the cache and the Celery broker; it serves the
first round of requests, is then shut down, and the same requests run again. The cache fails
over to its database table (apps/core/cache.py), whose circuit breaker keeps later calls off
the dead Redis.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django_scopes import scopes_disabled

from apps.applications.models import Application
from apps.core.cache import FALLBACK_CACHE_TABLE, FailoverCache, breakers_reset
from apps.core.models import CacheEntry
from apps.onboarding.models import ActionProgress, ActionStatus
from apps.partners.models import PartnerType
from config.celery import app as celery_app
from tests.onboarding.queue_data import make_waiting


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on 127.0.0.1, started and stopped by the test."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server must be installed for the test suite"
        subprocess.run(  # noqa: S603 - our own arguments
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.workdir),
                "--pidfile",
                str(self.workdir / "redis.pid"),
            ],
            check=True,
        )
        for _ in range(100):
            if self.answers():
                return
            time.sleep(0.05)
        raise AssertionError("the test redis-server did not start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        pidfile = self.workdir / "redis.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().strip())
            subprocess.run(["kill", "-KILL", str(pid)], check=False)  # noqa: S603, S607
        for _ in range(100):
            if not self.answers():
                return
            time.sleep(0.05)
        raise AssertionError("the test redis-server did not stop")


def _point_celery_at(url: str) -> None:
    """Send the Celery app's messages to `url` from now on (kombu keeps one pool per URL)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


@pytest.fixture
def redis_server(tmp_path, settings) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    previous_broker = celery_app.conf.broker_url
    caches_setting = {k: dict(v) for k, v in settings.CACHES.items()}
    caches_setting["default"]["LOCATION"] = server.url
    caches_setting["default"]["OPTIONS"] = {
        **caches_setting["default"].get("OPTIONS", {}),
        "BREAKER_SECONDS": 15,
    }
    settings.CACHES = caches_setting  # setting_changed resets django.core.cache.caches
    settings.CELERY_BROKER_URL = server.url
    settings.REDIS_URL = server.url
    _point_celery_at(server.url)
    breakers_reset()
    try:
        yield server
    finally:
        server.kill()
        _point_celery_at(previous_broker)
        breakers_reset()


def _round(acme, client_for, *, email: str) -> None:
    """Console home, a partner page, the portal, sign-in and /apply/: all answer, all save."""
    console = client_for(acme, acme.cam)
    assert console.get("/console/").status_code == 200
    assert console.get(f"/console/partners/{acme.partner.pk}/").status_code == 200
    assert console.get("/console/queue/").status_code == 200
    assert client_for(acme, acme.partner_admin).get("/portal/").status_code == 200

    visitor = Client(headers={"host": acme.host})
    response = visitor.post(
        "/accounts/login/", {"login": acme.admin.email, "password": "pw-admin-123456"}
    )
    assert response.status_code == 302, response.content[:500]
    assert visitor.get("/console/").status_code == 200  # signed in (session in the database)

    applicant = Client(headers={"host": acme.host})
    assert applicant.get("/apply/").status_code == 200
    with scopes_disabled():
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
    response = applicant.post(
        "/apply/",
        {
            "company": "Initech",
            "website": "https://initech.example",
            "first_name": "Peter",
            "last_name": "Gibbons",
            "email": email,
            "country": "US",
            "partner_type": reseller.pk,
            "message": "Hello",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("/apply/sent/")
    with scopes_disabled():
        assert Application.objects.filter(tenant=acme.tenant, email=email).exists()


@pytest.mark.django_db(transaction=True)
def test_pages_sign_in_and_apply_keep_working_when_redis_dies(
    acme, client_for, redis_server, caplog
):
    _round(acme, client_for, email="peter@initech.example")
    assert cache.get("probe") is None
    cache.set("probe", "from redis")
    assert cache.get("probe") == "from redis"
    assert not CacheEntry.objects.exists()  # Redis served everything

    redis_server.kill()
    caplog.set_level(logging.WARNING, logger="apps.core.cache")
    started = time.monotonic()
    _round(acme, client_for, email="samir@initech.example")
    assert time.monotonic() - started < 30

    # The cache now lives in its table; one warning for the whole outage.
    assert CacheEntry.objects.exists()
    warnings = [r for r in caplog.records if r.name == "apps.core.cache"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()
    assert "using the database cache" in warnings[0].getMessage()


@pytest.mark.django_db(transaction=True)
def test_validate_saves_and_says_so_when_redis_is_down(acme, client_for, redis_server):
    queue = make_waiting(acme, partners=1, cam=acme.cam)
    row = queue.waiting[0]
    client = client_for(acme, acme.cam)
    assert client.get("/console/queue/").status_code == 200  # badge cached in Redis

    redis_server.kill()
    response = client.post(f"/console/queue/{row.pk}/validate/", {"next": ""}, follow=True)
    assert response.status_code == 200
    assert "is validated" in response.content.decode()
    with scopes_disabled():
        assert ActionProgress.objects.get(pk=row.pk).status == ActionStatus.COMPLETED


@pytest.mark.django_db
def test_the_breaker_skips_redis_until_its_period_ends(settings, monkeypatch, caplog, tmp_path):
    server = RedisServer(tmp_path)  # never started: nothing listens on its port
    caches_setting = {k: dict(v) for k, v in settings.CACHES.items()}
    caches_setting["default"]["LOCATION"] = server.url
    caches_setting["default"]["OPTIONS"] = {"BREAKER_SECONDS": 0.5}
    settings.CACHES = caches_setting
    breakers_reset()
    backend = caches["default"]
    assert isinstance(backend, FailoverCache)

    calls = []
    real_get = RedisCache.get

    def counting_get(self, *args, **kwargs):
        calls.append(1)
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get", counting_get)
    caplog.set_level(logging.INFO, logger="apps.core.cache")

    backend.set("k", 41)
    assert backend.get("k") == 41
    for _ in range(20):
        backend.get("k")
    assert calls == []  # the failed set opened the breaker: no call went to Redis
    assert backend.incr("k") == 42
    assert backend.add("k", 0) is False
    assert backend.get_many(["k", "missing"]) == {"k": 42}
    backend.delete("k")
    assert backend.get("k", "gone") == "gone"
    assert [r.levelname for r in caplog.records] == ["WARNING"]

    time.sleep(0.6)  # the period ends: one call tries Redis again (still down)
    backend.get("k")
    assert len(calls) == 1
    backend.get("k")
    assert len(calls) == 1
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # still the same outage

    # Redis comes back: after the period, calls go to Redis again and it is logged once.
    server.start()
    try:
        time.sleep(0.6)
        backend.set("k", "redis")
        assert backend.get("k") == "redis"
        assert len(calls) == 2
        assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    finally:
        server.kill()
        breakers_reset()


def test_the_fallback_table_is_the_models_table():
    assert CacheEntry._meta.db_table == FALLBACK_CACHE_TABLE
