"""Auto-advance has a Celery queue of its own ("advance", consumed by its own worker), so
emails on the default queue never delay a stage move; the outbox sweep, which any worker
runs, still delivers a move whose nudge was lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import before_task_publish
from django.conf import settings
from django.db import transaction
from django_scopes import scope

from apps.onboarding.services.stages import ADVANCE_KIND, enrollment_advance_after_commit
from apps.outbox.delivery import outbox_sweep_all_tenants
from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.outbox.registry import outbox_kind
from apps.outbox.services import outbox_enqueue
from config.celery import app

pytestmark = pytest.mark.django_db

DELIVER = "apps.outbox.tasks.outbox_deliver"


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Every task message sent to the (test) broker: task name, routing key, payload."""
    sent: list[dict[str, Any]] = []

    def record(sender: str | None = None, **kwargs: Any) -> None:
        sent.append(
            {
                "task": sender,
                "routing_key": kwargs.get("routing_key"),
                "args": (kwargs.get("body") or ((),))[0],
            }
        )

    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)
        _purge("advance", "celery")


def _purge(*queues: str) -> None:
    with app.connection_for_write() as conn:
        for name in queues:
            conn.default_channel.queue_purge(name)


def _waiting(queue: str) -> int:
    """Messages waiting in `queue` on the broker (the Redis list of that name)."""
    with app.connection_for_write() as conn:
        return int(conn.default_channel.client.llen(queue))


def test_the_advance_kind_is_registered_on_its_queue() -> None:
    assert settings.ONBOARDING_ADVANCE_QUEUE == "advance"
    assert outbox_kind(ADVANCE_KIND).queue == "advance"
    assert outbox_kind("notifications.email").queue is None  # emails: the default queue


def test_an_advance_request_is_nudged_on_the_advance_queue(
    acme: Any, published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    _purge("advance")
    with (
        scope(tenant=acme.tenant),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        enrollment_advance_after_commit(tenant=acme.tenant, enrollment_id=123)
    with scope(tenant=acme.tenant):
        message = OutboxMessage.objects.get(tenant=acme.tenant, kind=ADVANCE_KIND)
    (nudge,) = [p for p in published if p["task"] == DELIVER]
    assert nudge["routing_key"] == "advance"
    assert list(nudge["args"]) == [message.pk]
    assert _waiting("advance") == 1  # on the broker, where only the advance worker looks


def test_emails_stay_on_the_default_queue(
    acme: Any, published: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    from apps.notifications.services import notification_create

    with (
        scope(tenant=acme.tenant),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind="partner_assigned",
            context={"account": acme.partner},
        )
    keys = {p["routing_key"] for p in published if p["task"] == DELIVER}
    assert keys == {"celery"}


def test_a_lost_advance_nudge_is_delivered_by_the_sweep(
    acme: Any, journey: Any, published: list[dict[str, Any]]
) -> None:
    """The nudge never reached a worker (nothing consumed "advance"): the sweep, run by
    beat on the default queue, claims the due message and runs the move on its worker."""
    with scope(tenant=acme.tenant):
        message = outbox_enqueue(
            tenant=acme.tenant,
            kind=ADVANCE_KIND,
            payload={"enrollment_id": journey.enrollment.pk},
        )
    assert message is not None
    assert outbox_sweep_all_tenants() >= 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    sweep = app.conf.beat_schedule["outbox-sweep"]
    assert "queue" not in sweep.get("options", {})  # the sweep runs on the default worker
