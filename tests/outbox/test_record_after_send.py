"""The database goes away between a send and its record (the kill matrix found it: a
PostgreSQL restart right after the SMTP server accepted an email). A message whose handler
acted outside the database is recorded in a fresh connection instead of being sent again; a
database-only handler's work was rolled back with it, so that message is retried."""

from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.outbox.delivery import (
    LEASE,
    delivering,
    outbox_deliver_all_tenants,
    outbox_sweep_all_tenants,
)
from apps.outbox.models import OutboxStatus
from apps.outbox.registry import HANDLERS, outbox_register
from apps.outbox.services import outbox_enqueue
from tests.outbox.conftest import reload

pytestmark = pytest.mark.django_db(transaction=True)

SENDS = "tests.sends_then_db_dies"
DB_ONLY = "tests.db_only_then_db_dies"


def _terminate_own_backend() -> None:
    """Kill this connection's PostgreSQL backend from a second connection, as a database
    restart would: the next statement on it fails."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def sends_then_db_dies():
    stamped = []

    def handler(*, tenant, payload):
        stamped.append(delivering.get())
        mail.EmailMessage("Welcome", "…", to=[payload["to"]]).send()
        _terminate_own_backend()

    outbox_register(SENDS, handler, sends_outside=True)
    yield stamped
    HANDLERS.pop(SENDS, None)


@pytest.fixture
def db_only_then_db_dies():
    calls = []

    def handler(*, tenant, payload):
        calls.append(payload)
        if len(calls) == 1:
            _terminate_own_backend()

    outbox_register(DB_ONLY, handler)
    yield calls
    HANDLERS.pop(DB_ONLY, None)


def test_a_sent_email_is_recorded_after_the_database_comes_back(acme, drained, sends_then_db_dies):
    message = outbox_enqueue(tenant=acme.tenant, kind=SENDS, payload={"to": "new@partner.test"})
    mail.outbox.clear()
    assert outbox_deliver_all_tenants(message_id=message.pk) is True
    assert len(mail.outbox) == 1
    assert sends_then_db_dies == [message.pk]  # the handler could stamp the email with it
    row = reload(message)
    assert row.status == OutboxStatus.DELIVERED and row.lease_until is None
    # Once the lease would have run out, nothing is sent again.
    with time_machine.travel(timezone.now() + LEASE + timedelta(minutes=1)):
        outbox_sweep_all_tenants()
    assert len(mail.outbox) == 1


def test_database_only_work_lost_with_its_transaction_is_retried(
    acme, drained, db_only_then_db_dies
):
    message = outbox_enqueue(tenant=acme.tenant, kind=DB_ONLY, payload={"n": 1})
    assert outbox_deliver_all_tenants(message_id=message.pk) is False
    row = reload(message)
    assert row.status == OutboxStatus.PENDING  # not recorded as delivered: it did not happen
    with time_machine.travel(timezone.now() + LEASE + timedelta(minutes=1)):
        assert outbox_sweep_all_tenants() == 1
    assert db_only_then_db_dies == [{"n": 1}, {"n": 1}]
    assert reload(message).status == OutboxStatus.DELIVERED


def test_nothing_is_being_delivered_outside_a_handler():
    assert delivering.get() is None
