"""A notification's email goes through a real Celery worker on the real Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scope

from apps.notifications.models import EmailStatus, Notification
from apps.notifications.services import notification_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(tmp_path):
    """A `celery worker` subprocess on the test database and a private Redis queue db."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"filemail://{tmp_path}/mail",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SITE_SCHEME": "http",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "WARNING",
            "-Q",
            os.environ.get("TEST_CELERY_QUEUE", "celery"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield tmp_path / "mail"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_notification_email_is_sent_by_a_real_worker(acme, worker, settings):
    with scope(tenant=acme.tenant):
        notification = notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind="partner_assigned",
            context={"partner": acme.partner, "actor_name": "Ada Admin"},
            url=f"/console/partners/{acme.partner.pk}/",
        )
    # transaction=True: the create committed, so on_commit already queued the task.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with scope(tenant=acme.tenant):
            status = Notification.objects.get(pk=notification.pk).email_status
        if status == EmailStatus.SENT:
            break
        time.sleep(0.25)
    assert status == EmailStatus.SENT
    files = list(worker.glob("*.log"))
    assert files, "the worker wrote no email"
    text = "\n".join(f.read_text() for f in files)
    assert f"To: {acme.cam.email}" in text
    assert f"{acme.partner.name} is now one of your partners" in text
