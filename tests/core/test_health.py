import shutil
import socket
import subprocess
import time

import pytest
from django.test import Client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_healthz_ok_when_database_and_redis_answer():
    response = Client(headers={"host": "localhost"}).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_503_when_redis_is_stopped(settings, tmp_path):
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


@pytest.mark.django_db
def test_healthz_503_when_database_is_unreachable(settings):
    from django.db import connections

    conn = connections["default"]
    original = conn.settings_dict["PORT"]
    conn.close()
    conn.settings_dict["PORT"] = str(_free_port())
    try:
        response = Client(headers={"host": "localhost"}).get("/healthz")
    finally:
        conn.close()
        conn.settings_dict["PORT"] = original
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")
