"""apps/core/request_id.py: a request id (the proxy's or a new one) and the tenant on every
log line and on the response; Celery tasks log their task id; Sentry only with a DSN."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django_scopes import scope

from apps.core.request_id import (
    HEADER,
    RequestContextFilter,
    RequestIdMiddleware,
    _task_finished,
    request_id_get,
)

pytestmark = pytest.mark.django_db


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


def test_the_proxys_request_id_is_echoed(acme, client_for):
    response = client_for(acme, acme.cam).get("/console/", headers={HEADER: "abc-123.x_Y:9"})
    assert response.status_code == 200
    assert response[HEADER] == "abc-123.x_Y:9"


@pytest.mark.parametrize(
    "sent",
    [None, "", "two words", "x" * 129, "a\nb", "<script>", "é"],
    ids=["none", "empty", "space", "too-long", "newline", "markup", "non-ascii"],
)
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(acme, sent):
    headers = {HEADER: sent} if sent is not None else {}
    response = Client(headers={"host": acme.host}).get("/apply/", headers=headers)
    assert response.status_code == 200
    new = response[HEADER]
    assert len(new) == 32 and int(new, 16) >= 0
    again = Client(headers={"host": acme.host}).get("/apply/", headers=headers)[HEADER]
    assert again != new


def test_health_endpoints_and_redirects_carry_it_too(settings):
    assert Client(headers={"host": "localhost"}).get("/livez")[HEADER]
    settings.SECURE_SSL_REDIRECT = True
    response = Client(headers={"host": "localhost"}).get("/console/", headers={HEADER: "r-1"})
    assert response.status_code == 301
    assert response[HEADER] == "r-1"


def test_log_lines_of_a_request_carry_its_id_and_tenant(acme, client_for, logged):
    client = client_for(acme, acme.cam)
    response = client.get("/console/partners/999999999/", headers={HEADER: "req-404"})
    assert response.status_code == 404
    not_found = [r for r in logged if r.name == "django.request"]
    assert not_found, [r.getMessage() for r in logged]
    assert not_found[-1].request_id == "req-404"
    assert not_found[-1].tenant == "acme"
    # After the response: nothing is left behind for the next line.
    assert request_id_get() is None
    logging.getLogger("onramp.test").warning("between requests")
    assert logged[-1].request_id == "-" and logged[-1].tenant == "-"


def test_the_filter_reads_the_middleware_and_the_tenant_scope(acme, logged):
    log = logging.getLogger("onramp.test")

    def view(request):
        log.warning("before the tenant is known")
        request.tenant = acme.tenant
        log.warning("inside")
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={HEADER: "mw-1"})
    response = RequestIdMiddleware(view)(request)
    assert response[HEADER] == "mw-1"
    assert [(r.request_id, r.tenant) for r in logged] == [("mw-1", "-"), ("mw-1", "acme")]
    response.close()
    with scope(tenant=acme.tenant):
        log.warning("in a task's scope")
    assert (logged[-1].request_id, logged[-1].tenant) == ("-", "acme")


def test_a_log_record_never_breaks_on_odd_state(logged):
    logging.getLogger("onramp.test").warning("plain %s", "args", extra={"tenant": "given"})
    assert logged[-1].tenant == "given"
    assert logged[-1].request_id == "-"


def test_celery_tasks_log_their_task_id(acme, logged):
    from celery.signals import task_postrun, task_prerun

    task_prerun.send(sender=None, task_id="task-42", task=None, args=(), kwargs={})
    with scope(tenant=acme.tenant):
        logging.getLogger("apps.onboarding.tasks").warning("inside a task")
    task_postrun.send(sender=None, task_id="task-42", task=None, args=(), kwargs={}, retval=1)
    assert (logged[-1].request_id, logged[-1].tenant) == ("task-42", "acme")
    assert request_id_get() is None
    _task_finished(task_id="never-started")  # harmless


def test_the_log_format_names_the_request_and_the_tenant(settings):
    fmt = settings.LOGGING["formatters"]["plain"]["format"]
    assert "%(request_id)s" in fmt and "%(tenant)s" in fmt
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["context"]
    assert settings.MIDDLEWARE[0] == "apps.core.request_id.RequestIdMiddleware"


SENTRY_PROBE = """
import django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
print(client.is_active())
if client.is_active():
    print(client.options["environment"], client.options["send_default_pii"],
          client.options["traces_sample_rate"], "django" in client.integrations,
          "celery" in client.integrations)
"""


def _sentry_probe(**env: str) -> list[str]:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    if "SENTRY_DSN" not in env:
        environ.pop("SENTRY_DSN", None)
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SENTRY_PROBE],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.split()


def test_sentry_is_off_without_a_dsn():
    assert _sentry_probe() == ["False"]


def test_sentry_is_on_with_a_dsn_django_and_celery_no_personal_data():
    out = _sentry_probe(
        SENTRY_DSN="https://public@o0.ingest.example.invalid/1",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )
    assert out == ["True", "staging", "False", "0.25", "True", "True"]
    assert _sentry_probe(SENTRY_DSN="https://public@o0.ingest.example.invalid/1")[3] == "0.0"
