"""apps/outbox/services.py: written in the business transaction, nudged after the commit
(best effort), swept, retried with backoff, given up after 48 hours, never twice at once."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from apps.outbox.delivery import (
    BACKOFF_MAX,
    LEASE,
    outbox_backoff,
    outbox_claim_all_tenants,
    outbox_deliver_all_tenants,
    outbox_sweep_all_tenants,
)
from apps.outbox.models import OutboxStatus
from apps.outbox.services import outbox_enqueue, outbox_nudge
from tests.conftest import race
from tests.outbox.conftest import FAIL, RECORD, reload, rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drained")]


class Boom(Exception):
    pass


def _enqueue(program, kind=RECORD, **kwargs):
    with scope(tenant=program.tenant):
        return outbox_enqueue(
            tenant=program.tenant, kind=kind, payload=kwargs.pop("payload", {"n": 1}), **kwargs
        )


def test_an_enqueue_in_a_rolled_back_transaction_sends_nothing(
    acme, recorder, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        _enqueue(acme)
        raise Boom
    assert callbacks == []
    assert rows(kind=RECORD) == []
    assert outbox_sweep_all_tenants() == 0
    assert recorder.calls == []


def test_commit_and_nudge_deliver_once(acme, recorder, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = _enqueue(acme, payload={"n": 7})
    assert recorder.calls == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the nudged task runs (eagerly here)
    assert recorder.calls == [(acme.tenant.pk, {"n": 7})]
    message = reload(message)
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1
    assert message.delivered_at is not None and message.lease_until is None
    # A second nudge, or the sweep, finds nothing to do.
    assert outbox_deliver_all_tenants(message_id=message.pk) is False
    assert outbox_sweep_all_tenants() == 0
    assert len(recorder.calls) == 1


def test_unknown_kind_is_refused_at_once(acme):
    with pytest.raises(LookupError):
        _enqueue(acme, kind="nobody.handles.this")


def test_a_dedupe_key_writes_one_message(acme, recorder):
    first = _enqueue(acme, dedupe_key="digest:1")
    assert _enqueue(acme, dedupe_key="digest:1") is None
    assert first is not None and len(rows(kind=RECORD)) == 1


def test_not_before_waits_for_the_sweep(acme, recorder, django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _enqueue(acme, not_before=later)
    assert callbacks == []  # no nudge for a message not due yet
    assert outbox_sweep_all_tenants() == 0
    with time_machine.travel(later + timedelta(seconds=1), tick=False):
        assert outbox_sweep_all_tenants() == 1
    assert len(recorder.calls) == 1


@pytest.fixture
def broker_down(monkeypatch):
    """The Celery app's broker connection points at a closed port (only the broker: the
    database is real)."""
    from kombu import Connection

    from config.celery import app

    monkeypatch.setattr(
        app,
        "connection_for_write",
        lambda *args, **kwargs: Connection("redis://127.0.0.1:9/0", connect_timeout=1),
    )
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield
    app.amqp._producer_pool = None


def test_a_broker_that_is_down_is_logged_and_the_sweep_delivers_later(
    acme, recorder, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _enqueue(acme)  # the nudge fails after the commit: no exception
    assert "could not nudge" in caplog.text
    assert outbox_nudge(message_id=message.pk) is False
    assert reload(message).status == OutboxStatus.PENDING
    assert outbox_sweep_all_tenants() == 1
    assert reload(message).status == OutboxStatus.DELIVERED
    assert len(recorder.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_saved_change_is_shown_even_when_the_broker_is_down(acme, client_for, broker_down):
    from apps.tenancy.models import Membership

    response = client_for(acme, acme.admin).post(
        "/console/settings/team/",
        {"email": "new@acme.test", "role": "channel_manager", "first_name": "N"},
    )
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        assert Membership.objects.filter(tenant=acme.tenant, user__email="new@acme.test").exists()
    (message,) = rows(kind="home.staff_invitation_email")
    assert message.status == OutboxStatus.PENDING
    assert message.summary == "new@acme.test"


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [outbox_backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox_backoff(8) == BACKOFF_MAX
    assert outbox_backoff(500) == BACKOFF_MAX


def test_a_failing_handler_is_retried_with_backoff(acme, failing):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = _enqueue(acme, kind=FAIL)
        assert outbox_sweep_all_tenants() == 0
    failed = reload(message)
    assert failed.status == OutboxStatus.PENDING and failed.attempts == 1
    assert failed.next_attempt_at == start + timedelta(seconds=30)
    assert failed.lease_until is None
    assert failed.last_error == "OSError: Connection refused by smtp.example:25"
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        assert outbox_claim_all_tenants() == []  # not due yet
    at = start + timedelta(seconds=31)
    with time_machine.travel(at, tick=False):
        outbox_sweep_all_tenants()
    failed = reload(message)
    assert failed.attempts == 2 and failed.next_attempt_at == at + timedelta(seconds=60)


def test_gives_up_after_48_hours_and_tells_the_kind(acme, failing):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = _enqueue(acme, kind=FAIL, payload={"to": "x"})
    with time_machine.travel(start + timedelta(hours=47), tick=False):
        outbox_sweep_all_tenants()
    assert reload(message).status == OutboxStatus.PENDING
    assert failing == []
    with time_machine.travel(start + timedelta(hours=48, minutes=1), tick=False):
        outbox_sweep_all_tenants()
        assert outbox_sweep_all_tenants() == 0
    gone = reload(message)
    assert gone.status == OutboxStatus.GIVEN_UP
    assert failing == [{"to": "x"}]
    with time_machine.travel(start + timedelta(hours=60), tick=False):
        assert outbox_claim_all_tenants() == []  # given up: never retried by itself


def test_a_lease_keeps_others_off_until_it_runs_out(acme, recorder):
    message = _enqueue(acme)
    assert outbox_claim_all_tenants() == [message.pk]
    assert outbox_claim_all_tenants() == []
    assert outbox_deliver_all_tenants(message_id=message.pk) is False
    with time_machine.travel(timezone.now() + LEASE + timedelta(seconds=1), tick=False):
        assert outbox_sweep_all_tenants() == 1  # the lost deliverer's lease ran out
    assert len(recorder.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_deliver_each_message_exactly_once(acme, globex, recorder):
    ids = {_enqueue(acme, payload={"n": n}).pk for n in range(40)}
    ids |= {_enqueue(globex, payload={"n": 100 + n}).pk for n in range(40)}
    results = race(
        lambda: outbox_sweep_all_tenants(batch=7),
        lambda: outbox_sweep_all_tenants(batch=7),
        lambda: outbox_sweep_all_tenants(batch=7),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 80
    delivered = [payload["n"] for _tenant, payload in recorder.calls]
    assert sorted(delivered) == sorted(list(range(40)) + list(range(100, 140)))
    assert {m.pk for m in rows(status=OutboxStatus.DELIVERED, kind=RECORD)} == ids


def test_the_handler_runs_in_the_messages_tenant_scope(acme, globex):
    from apps.outbox.registry import HANDLERS, outbox_register
    from apps.tenancy.models import Membership

    seen = []

    def handler(*, tenant, payload):
        seen.append(set(Membership.objects.values_list("tenant_id", flat=True)))

    outbox_register("tests.scope", handler)
    try:
        _enqueue(globex, kind="tests.scope")
        outbox_sweep_all_tenants()
    finally:
        HANDLERS.pop("tests.scope", None)
    assert seen == [{globex.tenant.pk}]


def test_old_delivered_messages_are_purged(acme, recorder):
    message = _enqueue(acme)
    outbox_sweep_all_tenants()
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        outbox_sweep_all_tenants()
    assert rows(pk=message.pk) == []
