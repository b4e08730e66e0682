"""Deliveries against a real local HTTP receiver: signed, retried with backoff until the
receiver answers 2xx (same event id every time), given up after the retry window, the
endpoint disabled after a day of failures (its admins told), replayed on demand."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.partners.services.status import partner_reactivate, partner_suspend
from apps.webhooks.delivery import payload_body
from apps.webhooks.models import DeliveryStatus, DisabledReason
from apps.webhooks.services import (
    webhook_delivery_replay,
    webhook_endpoint_enable,
    webhook_endpoint_send_test,
)
from apps.webhooks.signing import SignatureError, verify
from tests.webhooks.conftest import (
    deliver_due,
    deliveries,
    endpoint_create,
    reload_delivery,
    reload_endpoint,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receiver_allowed")]


def _suspend(program, reason="Contract ended"):
    with scope(tenant=program.tenant):
        return partner_suspend(
            tenant=program.tenant,
            actor=program.admin,
            account_id=program.partner.pk,
            reason=reason,
        )


def test_an_event_is_posted_signed_with_its_id_and_type(acme, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    _suspend(acme)
    assert receiver.received == []  # nothing leaves before the outbox delivers it
    assert deliver_due() == 1
    (request,) = receiver.received
    body = request.json
    assert request.path == "/hooks/onramp"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Onramp-Event-Type"] == "partner.suspended" == body["type"]
    assert request.headers["Onramp-Event-Id"] == body["id"]
    assert body["program"] == "acme"
    assert body["created_at"].endswith("Z")
    data = body["data"]
    assert data["partner_id"] == acme.partner.pk
    assert data["target"] == {
        "type": "partners.partneraccount",
        "id": str(acme.partner.pk),
        "label": acme.partner.name,
    }
    assert data["actor"] == {"label": acme.admin.email}
    assert data["details"]["reason"] == "Contract ended"
    # The signature verifies with the endpoint's secret, over the exact bytes received.
    verify(secret=created.secret, body=request.body, header=request.headers["Onramp-Signature"])
    with pytest.raises(SignatureError):
        verify(secret="whsec_other", body=request.body, header=request.headers["Onramp-Signature"])
    with pytest.raises(SignatureError):
        verify(
            secret=created.secret,
            body=request.body + b" ",
            header=request.headers["Onramp-Signature"],
        )
    (delivery,) = deliveries()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert delivery.last_response_code == 200 and delivery.last_latency_ms is not None
    assert delivery.delivered_at is not None and str(delivery.event_id) == body["id"]
    # Delivered once: nothing more is sent.
    assert deliver_due() == 0 and len(receiver.received) == 1


def test_a_receiver_failing_five_times_gets_the_event_once_more_with_the_same_id(acme, receiver):
    endpoint_create(acme, receiver.url, ["partner.suspended"])
    codes = [500, 502, 503, 504, 429]
    receiver.statuses = list(codes)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _suspend(acme)
        for attempt in range(1, 6):
            assert deliver_due() == 0
            (delivery,) = deliveries()
            assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == attempt
            assert delivery.last_response_code == codes[attempt - 1]
            assert delivery.next_attempt_at > timezone.now()
            # Not due before its backoff has passed...
            assert deliver_due() == 0 and len(receiver.received) == attempt
            traveller.move_to(delivery.next_attempt_at + timedelta(seconds=1))
        # ...and delivered at the sixth attempt.
        assert deliver_due() == 1
    ids = {r.headers["Onramp-Event-Id"] for r in receiver.received}
    assert len(receiver.received) == 6 and len(ids) == 1
    bodies = {r.body for r in receiver.received}
    assert len(bodies) == 1  # the same bytes every time (only the signature's t changes)
    (delivery,) = deliveries()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 6
    assert delivery.last_response_code == 200 and delivery.last_error == ""
    # The endpoint recovered: no longer failing.
    assert reload_endpoint(delivery.endpoint).failing_since is None


def test_failed_attempts_record_code_latency_and_error(acme, receiver):
    endpoint_create(acme, receiver.url, ["partner.*"])
    receiver.statuses = [503]
    _suspend(acme)
    deliver_due()
    (delivery,) = deliveries()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_response_code == 503 and delivery.last_error == "HTTP 503"
    assert delivery.last_latency_ms is not None and delivery.last_attempt_at is not None
    assert reload_endpoint(delivery.endpoint).failing_since is not None


def test_an_unreachable_receiver_is_retried_without_a_code(acme, receiver):
    endpoint_create(acme, "http://127.0.0.1:9/nothing-listens", ["partner.*"])
    _suspend(acme)
    deliver_due()
    (delivery,) = deliveries()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_response_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_an_event_type_not_subscribed_is_not_sent(acme, receiver):
    endpoint_create(acme, receiver.url, ["application.*", "partner.reactivated"])
    _suspend(acme)
    assert deliveries() == []
    with scope(tenant=acme.tenant):
        partner_reactivate(tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk)
    (delivery,) = deliveries()
    assert delivery.event_type == "partner.reactivated"
    deliver_due()
    assert [r.json["type"] for r in receiver.received] == ["partner.reactivated"]


def test_given_up_after_the_retry_window(acme, receiver, settings):
    endpoint_create(acme, receiver.url, ["partner.*"])
    receiver.statuses = [500] * 100
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _suspend(acme)
        for _ in range(60):
            deliver_due()
            (delivery,) = deliveries()
            if delivery.status == DeliveryStatus.GIVEN_UP:
                break
            traveller.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    assert delivery.status == DeliveryStatus.GIVEN_UP and delivery.next_attempt_at is None
    assert delivery.last_attempt_at >= start + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    # Exponential backoff capped at an hour: about 30 attempts in 24 hours, not thousands.
    assert 20 <= delivery.attempts <= 40
    with scopes_disabled():
        assert OutboxMessage.objects.get(kind="webhooks.deliver").status == OutboxStatus.GIVEN_UP


def test_a_day_of_failures_disables_the_endpoint_and_tells_the_admins(acme, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    receiver.statuses = [500] * 100
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _suspend(acme)
        for _ in range(60):
            deliver_due()
            if not reload_endpoint(created.endpoint).is_active:
                break
            (delivery,) = deliveries()
            traveller.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    endpoint = reload_endpoint(created.endpoint)
    assert not endpoint.is_active and endpoint.disabled_reason == DisabledReason.FAILING
    assert endpoint.disabled_at >= start + timedelta(hours=24)
    with scopes_disabled():
        (event,) = AuditEvent.objects.filter(verb="webhook.disabled")
        assert event.actor_label == "system" and event.data["reason"] == "failing"
        (notification,) = Notification.objects.filter(kind="webhook_disabled")
        assert notification.recipient == acme.admin  # the program admin, not the CAM
        assert receiver.url in notification.title
        assert notification.url == f"/console/settings/webhooks/{endpoint.pk}/"
        # Its email goes through the outbox too.
        assert OutboxMessage.objects.filter(
            kind="notifications.email", payload__notification_id=notification.pk
        ).exists()
    # A disabled endpoint gets no new deliveries.
    with scope(tenant=acme.tenant):
        partner_reactivate(tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk)
    assert {d.event_type for d in deliveries()} == {"partner.suspended"}


def test_queued_deliveries_of_a_disabled_endpoint_are_not_sent(acme, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    _suspend(acme)
    from apps.webhooks.services import webhook_endpoint_disable

    with scope(tenant=acme.tenant):
        webhook_endpoint_disable(
            tenant=acme.tenant, actor=acme.admin, endpoint_id=created.endpoint.pk
        )
    deliver_due()
    assert receiver.received == []
    (delivery,) = deliveries()
    assert delivery.status == DeliveryStatus.GIVEN_UP and "disabled" in delivery.last_error


def test_replay_sends_the_same_event_again(acme, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    _suspend(acme)
    deliver_due()
    (delivery,) = deliveries()
    with scope(tenant=acme.tenant):
        webhook_delivery_replay(tenant=acme.tenant, actor=acme.admin, delivery_id=delivery.pk)
    assert reload_delivery(delivery).status == DeliveryStatus.PENDING
    assert deliver_due() == 1
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["Onramp-Event-Id"] == second.headers["Onramp-Event-Id"]
    delivery = reload_delivery(delivery)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    with scopes_disabled():
        (event,) = AuditEvent.objects.filter(verb="webhook.replayed")
    assert event.data["event_id"] == str(delivery.event_id)
    assert event.partner_id == acme.partner.pk  # on the partner's timeline
    del created


def test_replay_of_a_given_up_delivery_after_enabling(acme, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    receiver.statuses = [500]
    _suspend(acme)
    deliver_due()
    (delivery,) = deliveries()
    from apps.webhooks.services import webhook_endpoint_disable

    with scope(tenant=acme.tenant):
        webhook_endpoint_disable(
            tenant=acme.tenant, actor=acme.admin, endpoint_id=created.endpoint.pk
        )
        from apps.webhooks.services import WebhookError

        with pytest.raises(WebhookError):
            webhook_delivery_replay(tenant=acme.tenant, actor=acme.admin, delivery_id=delivery.pk)
        webhook_endpoint_enable(
            tenant=acme.tenant, actor=acme.admin, endpoint_id=created.endpoint.pk
        )
        webhook_delivery_replay(tenant=acme.tenant, actor=acme.admin, delivery_id=delivery.pk)
    # The superseded message (still retrying) sends nothing; the replay sends it once.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        deliver_due()
    assert len(receiver.received) == 2
    assert reload_delivery(delivery).status == DeliveryStatus.DELIVERED


def test_send_test_event(acme, receiver):
    created = endpoint_create(acme, receiver.url, ["application.*"])
    with scope(tenant=acme.tenant):
        webhook_endpoint_send_test(
            tenant=acme.tenant, actor=acme.admin, endpoint_id=created.endpoint.pk
        )
    deliver_due()
    (request,) = receiver.received
    assert request.json["type"] == "webhook.test"
    verify(secret=created.secret, body=request.body, header=request.headers["Onramp-Signature"])


def test_the_body_is_the_stored_payload_in_canonical_json(acme, receiver):
    endpoint_create(acme, receiver.url, ["partner.*"])
    _suspend(acme, reason="Café – “quoted”")
    deliver_due()
    (delivery,) = deliveries()
    (request,) = receiver.received
    assert request.body == payload_body(delivery.payload)
    assert request.json["data"]["details"]["reason"] == "Café – “quoted”"


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_disable_the_endpoint_and_notify_once(acme):
    from datetime import timedelta as td

    from apps.webhooks.delivery import webhook_endpoint_failing
    from apps.webhooks.models import WebhookEndpoint
    from tests.conftest import race

    created = endpoint_create(acme, "http://127.0.0.1:9/x", ["partner.*"])
    now = timezone.now()
    with scopes_disabled():
        WebhookEndpoint.objects.filter(pk=created.endpoint.pk).update(
            failing_since=now - td(hours=25)
        )

    def fail():
        with scope(tenant=acme.tenant):
            from django.db import transaction

            with transaction.atomic():
                return webhook_endpoint_failing(
                    tenant=acme.tenant, endpoint_id=created.endpoint.pk, now=now
                )

    results = race(fail, fail, fail)
    assert sorted(results) == [False, False, True], results
    with scopes_disabled():
        assert Notification.objects.filter(kind="webhook_disabled").count() == 1
        assert AuditEvent.objects.filter(verb="webhook.disabled").count() == 1
    assert not reload_endpoint(created.endpoint).is_active
