"""Sending one delivery: the outbox handler of `webhooks.deliver`, and what a failed attempt
records.

An attempt re-checks the endpoint's URL (apps/webhooks/addresses.py) and connects to the
address it checked, POSTs the payload (the same bytes every attempt) signed with a fresh
timestamp, and counts any 2xx answer as delivered. Anything else (another status, a refused
address, a timeout) raises `AttemptFailed`: the outbox retries the message with exponential
backoff for WEBHOOK_RETRY_HOURS, then gives it up, and its failure hook records the attempt
(response code, latency, error) on the delivery and marks the endpoint failing. An endpoint
failing without a single success for WEBHOOK_DISABLE_AFTER_HOURS is disabled, and the
program's admins are told. Redirects are not followed (a 3xx is a failure).
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.webhooks import verbs
from apps.webhooks.addresses import AddressRefused, Target, url_target
from apps.webhooks.models import DeliveryStatus, DisabledReason, WebhookDelivery, WebhookEndpoint
from apps.webhooks.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

USER_AGENT = "Onramp-Webhooks/1"
# What is read of a receiver's answer (then the connection is closed); the body is not kept.
RESPONSE_READ_LIMIT = 4096


class AttemptFailed(Exception):
    """One attempt did not deliver: `status` is the HTTP status when there was an answer."""

    def __init__(
        self, message: str, *, status: int | None = None, latency_ms: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.latency_ms = latency_ms


@dataclass(frozen=True)
class Answer:
    status: int
    latency_ms: int


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to the address that was checked, whatever the name resolves to now."""

    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the address that was checked; the certificate is verified for the name."""

    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def payload_body(payload: dict[str, Any]) -> bytes:
    """The bytes sent (and signed) for a payload: the same for every attempt."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def webhook_post(*, url: str, secret: str, payload: dict[str, Any]) -> Answer:
    """POST `payload` to `url`, signed; the answer's status and latency, or AttemptFailed."""
    try:
        target = url_target(url)
    except AddressRefused as exc:
        raise AttemptFailed(str(exc)) from exc
    body = payload_body(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(payload.get("id", "")),
        EVENT_TYPE_HEADER: str(payload.get("type", "")),
        SIGNATURE_HEADER: sign(secret=secret, body=body),
    }
    timeout = float(settings.WEBHOOK_TIMEOUT)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        status = response.status
    except TimeoutError as exc:
        raise AttemptFailed(
            _("No answer within %(seconds)s seconds.") % {"seconds": f"{timeout:g}"},
            latency_ms=_ms(started),
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise AttemptFailed(f"{type(exc).__name__}: {exc}"[:300], latency_ms=_ms(started)) from exc
    finally:
        connection.close()
    latency = _ms(started)
    if not 200 <= status < 300:
        raise AttemptFailed(f"HTTP {status}", status=status, latency_ms=latency)
    return Answer(status=status, latency_ms=latency)


def _ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def webhook_delivery_send(*, tenant: Tenant, payload: dict[str, Any]) -> None:
    """The outbox handler: one attempt of one delivery (inside the tenant's scope)."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(tenant=tenant, pk=payload.get("delivery_id"))
        .first()
    )
    if delivery is None or delivery.generation != payload.get("generation", 1):
        return  # replayed since (a newer message sends it), or gone with its program
    if delivery.status == DeliveryStatus.DELIVERED:
        return
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.is_active or endpoint.deleted_at is not None:
        WebhookDelivery.objects.filter(pk=delivery.pk, generation=delivery.generation).update(
            status=DeliveryStatus.GIVEN_UP,
            next_attempt_at=None,
            last_error=_("Not sent: the endpoint is disabled.")[:300],
        )
        return
    answer = webhook_post(url=endpoint.url, secret=endpoint.secret, payload=delivery.payload)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk, generation=delivery.generation).update(
        status=DeliveryStatus.DELIVERED,
        attempts=F("attempts") + 1,
        last_response_code=answer.status,
        last_latency_ms=answer.latency_ms,
        last_error="",
        last_attempt_at=now,
        next_attempt_at=None,
        delivered_at=now,
    )
    if endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)


def webhook_delivery_failed(
    *,
    tenant: Tenant,
    payload: dict[str, Any],
    error: BaseException,
    next_attempt_at: datetime | None,
) -> None:
    """The outbox's failure hook: record the attempt on the delivery (given up when
    `next_attempt_at` is None), mark the endpoint failing, and disable it after a day."""
    generation = payload.get("generation", 1)
    delivery = (
        WebhookDelivery.objects.filter(
            tenant=tenant, pk=payload.get("delivery_id"), generation=generation
        )
        .exclude(status=DeliveryStatus.DELIVERED)
        .first()
    )
    if delivery is None:
        return
    now = timezone.now()
    if isinstance(error, AttemptFailed):
        text, status, latency = str(error), error.status, error.latency_ms
    else:
        first_line = (str(error).strip().splitlines() or [""])[0]
        text, status, latency = f"{type(error).__name__}: {first_line}", None, None
    WebhookDelivery.objects.filter(pk=delivery.pk, generation=generation).update(
        status=DeliveryStatus.FAILED if next_attempt_at is not None else DeliveryStatus.GIVEN_UP,
        attempts=F("attempts") + 1,
        last_response_code=status,
        last_latency_ms=latency,
        last_error=text[:300],
        last_attempt_at=now,
        next_attempt_at=next_attempt_at,
    )
    webhook_endpoint_failing(tenant=tenant, endpoint_id=delivery.endpoint_id, now=now)


def webhook_endpoint_failing(*, tenant: Tenant, endpoint_id: int, now: datetime) -> bool:
    """A delivery to the endpoint failed at `now`: note since when it fails, and disable it
    (audited, its admins notified) once that is WEBHOOK_DISABLE_AFTER_HOURS ago. True if
    this call disabled it. Concurrent failures disable it (and notify) once."""
    WebhookEndpoint.objects.filter(
        tenant=tenant, pk=endpoint_id, failing_since__isnull=True
    ).update(failing_since=now)
    cutoff = now - timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    disabled = WebhookEndpoint.objects.filter(
        tenant=tenant, pk=endpoint_id, is_active=True, failing_since__lte=cutoff
    ).update(is_active=False, disabled_at=now, disabled_reason=DisabledReason.FAILING)
    if not disabled:
        return False
    from apps.webhooks.emission import subscriptions_changed

    endpoint = WebhookEndpoint.objects.get(tenant=tenant, pk=endpoint_id)
    subscriptions_changed(tenant_id=tenant.pk)
    audit_record(
        tenant=tenant,
        actor=None,
        verb=verbs.WEBHOOK_DISABLED,
        target=endpoint,
        data={
            "reason": DisabledReason.FAILING,
            "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
            "from": {"is_active": True},
            "to": {"is_active": False},
        },
    )
    _notify_disabled(tenant=tenant, endpoint=endpoint)
    return True


def _notify_disabled(*, tenant: Tenant, endpoint: WebhookEndpoint) -> None:
    from apps.notifications.services import notification_create
    from apps.webhooks.selectors import program_admins_of

    url = reverse("webhooks_console:detail", args=[endpoint.pk])
    for admin in program_admins_of(tenant=tenant):
        notification_create(
            tenant=tenant,
            recipient=admin,
            kind="webhook_disabled",
            context={"endpoint": endpoint},
            url=url,
        )
