"""Helpers for the outbox tests: a kind that records its deliveries, one that fails."""

import threading

import pytest
from django_scopes import scopes_disabled

from apps.outbox.models import OutboxMessage
from apps.outbox.registry import HANDLERS, outbox_register

RECORD = "tests.record"
FAIL = "tests.fail"


class Recorder:
    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def __call__(self, *, tenant, payload):
        with self._lock:
            self.calls.append((tenant.pk if tenant else None, payload))


@pytest.fixture
def recorder():
    recorder = Recorder()
    outbox_register(RECORD, recorder)
    yield recorder
    HANDLERS.pop(RECORD, None)


@pytest.fixture
def failing():
    given_up = []

    def boom(*, tenant, payload):
        raise OSError("Connection refused by smtp.example:25")

    outbox_register(FAIL, boom, on_give_up=lambda *, tenant, payload: given_up.append(payload))
    yield given_up
    HANDLERS.pop(FAIL, None)


@pytest.fixture
def eager():
    """The nudged task runs inline (after commit)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def rows(**filters):
    with scopes_disabled():
        return list(OutboxMessage.objects.filter(**filters).order_by("pk"))


def reload(message):
    with scopes_disabled():
        return OutboxMessage.objects.get(pk=message.pk)


@pytest.fixture
def drained(request, acme):
    """What the programs' set-up queued (notifications to the CAMs) counts as delivered, so
    each test sees only its own messages."""
    from apps.outbox.models import OutboxStatus

    if "globex" in request.fixturenames:
        request.getfixturevalue("globex")
    with scopes_disabled():
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
            status=OutboxStatus.DELIVERED
        )
