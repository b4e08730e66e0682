"""Managing a program's webhook endpoints (program admins, in the console or with an API key
holding `webhooks:manage`): add, edit, disable and enable, roll the secret, delete, send a
test event, replay a delivery. Every change is audited with its before and after.

`actor` is a user (checked to be an active program admin here) or an API key (its scope was
checked by the API), which the audit log names by its label.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.text import has_control_characters
from apps.tenancy.selectors import is_active_program_admin
from apps.webhooks import verbs
from apps.webhooks.addresses import AddressRefused, url_split, url_target
from apps.webhooks.emission import (
    deliveries_enqueue,
    delivery_enqueue,
    event_payload,
    subscriptions_changed,
)
from apps.webhooks.events import TEST_EVENT, patterns_normalise
from apps.webhooks.models import DeliveryStatus, DisabledReason, WebhookDelivery, WebhookEndpoint
from apps.webhooks.signing import secret_generate

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

MAX_ENDPOINTS = 20
URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200


class WebhookError(Exception):
    """A refused webhook operation (the message is shown to the admin)."""


class WebhookNotFound(WebhookError):
    """No such endpoint or delivery in this program (404)."""


class WebhookInvalid(WebhookError):
    """Bad input: `field` names the field the message belongs to."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EndpointWithSecret:
    """A new (or re-keyed) endpoint and its secret, to be shown once."""

    endpoint: WebhookEndpoint
    secret: str


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "audit_label", None) is None


def _require_admin(*, tenant: Tenant, actor: Any) -> None:
    if _is_user(actor) and not is_active_program_admin(tenant=tenant, actor=actor):
        raise WebhookError(_("Only program admins manage webhooks."))


def _lock(*, tenant: Tenant, endpoint_id: int) -> WebhookEndpoint:
    endpoint = (
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=endpoint_id, deleted_at__isnull=True)
        .first()
    )
    if endpoint is None:
        raise WebhookNotFound(_("That webhook endpoint does not exist."))
    return endpoint


def webhook_url_clean(url: str) -> str:
    """The URL as stored, or WebhookInvalid: https (unless allowed otherwise), a public host
    (checked by resolving it now; again at every delivery)."""
    url = (url or "").strip()
    if not url:
        raise WebhookInvalid(_("Enter the endpoint’s URL."), field="url")
    if has_control_characters(url) or any(char.isspace() for char in url):
        raise WebhookInvalid(_("Enter a valid URL."), field="url")
    if len(url) > URL_MAX_LENGTH:
        raise WebhookInvalid(_("At most %(n)s characters.") % {"n": URL_MAX_LENGTH}, field="url")
    try:
        url_split(url)
        url_target(url)
    except AddressRefused as exc:
        raise WebhookInvalid(str(exc), field="url") from exc
    return url


def _event_types_clean(event_types: list[str] | tuple[str, ...] | None) -> list[str]:
    if not event_types:
        raise WebhookInvalid(_("Choose at least one event type."), field="event_types")
    try:
        return patterns_normalise(event_types)
    except ValueError as exc:
        raise WebhookInvalid(
            _("“%(type)s” is not an event type.") % {"type": str(exc)[:60]}, field="event_types"
        ) from exc


def _description_clean(description: str | None) -> str:
    # One line of visible text (the console's form refuses control characters; here they go).
    text = "".join(
        char
        for char in (description or "")
        if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") or char in "\t\n\r"
    )
    text = " ".join(text.split())
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise WebhookInvalid(
            _("At most %(n)s characters.") % {"n": DESCRIPTION_MAX_LENGTH}, field="description"
        )
    return text


def _state(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
    }


@transaction.atomic
def webhook_endpoint_create(
    *,
    tenant: Tenant,
    actor: Any,
    url: str,
    event_types: list[str],
    description: str = "",
) -> EndpointWithSecret:
    """A new active endpoint with a new secret (returned to be shown once)."""
    _require_admin(tenant=tenant, actor=actor)
    url = webhook_url_clean(url)
    patterns = _event_types_clean(event_types)
    description = _description_clean(description)
    count = WebhookEndpoint.objects.filter(tenant=tenant, deleted_at__isnull=True).count()
    if count >= MAX_ENDPOINTS:
        raise WebhookError(
            _("A program has at most %(n)s webhook endpoints.") % {"n": MAX_ENDPOINTS}
        )
    secret = secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        url=url,
        description=description,
        event_types=patterns,
        secret=secret,
        created_by=actor if _is_user(actor) else None,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_CREATED,
        target=endpoint,
        data={"from": None, "to": _state(endpoint)},
    )
    subscriptions_changed(tenant_id=tenant.pk)
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_update(
    *,
    tenant: Tenant,
    actor: Any,
    endpoint_id: int,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change the URL, event types or description (None leaves a field as it is)."""
    _require_admin(tenant=tenant, actor=actor)
    endpoint = _lock(tenant=tenant, endpoint_id=endpoint_id)
    before = _state(endpoint)
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = webhook_url_clean(url)
    if event_types is not None:
        endpoint.event_types = _event_types_clean(event_types)
    if description is not None:
        endpoint.description = _description_clean(description)
    after = _state(endpoint)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return endpoint
    endpoint.save(update_fields=["url", "event_types", "description", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_UPDATED,
        target=endpoint,
        data={
            "from": {k: before[k] for k in changed},
            "to": {k: after[k] for k in changed},
            "fields": ", ".join(changed),
        },
    )
    subscriptions_changed(tenant_id=tenant.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_disable(*, tenant: Tenant, actor: Any, endpoint_id: int) -> WebhookEndpoint:
    """Stop sending to the endpoint (what is queued for it is given up at its next attempt)."""
    _require_admin(tenant=tenant, actor=actor)
    endpoint = _lock(tenant=tenant, endpoint_id=endpoint_id)
    if not endpoint.is_active:
        raise WebhookError(_("That endpoint is already disabled."))
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = DisabledReason.MANUAL
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_DISABLED,
        target=endpoint,
        data={
            "reason": DisabledReason.MANUAL,
            "from": {"is_active": True},
            "to": {"is_active": False},
        },
    )
    subscriptions_changed(tenant_id=tenant.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, tenant: Tenant, actor: Any, endpoint_id: int) -> WebhookEndpoint:
    """Send to the endpoint again, from now on (replay what it missed from its log)."""
    _require_admin(tenant=tenant, actor=actor)
    endpoint = _lock(tenant=tenant, endpoint_id=endpoint_id)
    if endpoint.is_active:
        raise WebhookError(_("That endpoint is already enabled."))
    before = {"is_active": False, "disabled_reason": endpoint.disabled_reason}
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failing_since = None
    endpoint.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "failing_since", "updated_at"]
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_ENABLED,
        target=endpoint,
        data={"from": before, "to": {"is_active": True, "disabled_reason": ""}},
    )
    subscriptions_changed(tenant_id=tenant.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_secret_roll(
    *, tenant: Tenant, actor: Any, endpoint_id: int
) -> EndpointWithSecret:
    """A new secret, at once: deliveries from now on are signed with it (the old one stops
    verifying). Returned to be shown once; the audit keeps no secret."""
    _require_admin(tenant=tenant, actor=actor)
    endpoint = _lock(tenant=tenant, endpoint_id=endpoint_id)
    secret = secret_generate()
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "updated_at"])
    audit_record(tenant=tenant, actor=actor, verb=verbs.WEBHOOK_SECRET_ROLLED, target=endpoint)
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_delete(*, tenant: Tenant, actor: Any, endpoint_id: int) -> WebhookEndpoint:
    """Delete the endpoint: it and its log disappear, nothing more is sent to it. (The row
    stays, without its secret, so an event racing the deletion never fails.)"""
    _require_admin(tenant=tenant, actor=actor)
    endpoint = _lock(tenant=tenant, endpoint_id=endpoint_id)
    before = _state(endpoint)
    now = timezone.now()
    endpoint.deleted_at = now
    endpoint.is_active = False
    endpoint.disabled_at = endpoint.disabled_at or now
    endpoint.disabled_reason = endpoint.disabled_reason or DisabledReason.MANUAL
    endpoint.secret = ""
    endpoint.save(
        update_fields=[
            "deleted_at",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "secret",
            "updated_at",
        ]
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_DELETED,
        target=endpoint,
        data={"from": before, "to": None},
    )
    subscriptions_changed(tenant_id=tenant.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_send_test(*, tenant: Tenant, actor: Any, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` event to the endpoint (whatever it subscribes to); it shows
    in the delivery log like any other."""
    _require_admin(tenant=tenant, actor=actor)
    endpoint = _lock(tenant=tenant, endpoint_id=endpoint_id)
    if not endpoint.is_active:
        raise WebhookError(_("Enable the endpoint first."))
    now = timezone.now()
    event_id = uuid.uuid4()
    label = getattr(actor, "audit_label", None) or getattr(actor, "email", "") or "system"
    payload = event_payload(
        event_id=event_id,
        event_type=TEST_EVENT,
        created_at=now,
        program=tenant.slug,
        data={
            "partner_id": None,
            "target": {"type": "webhooks.webhookendpoint", "id": str(endpoint.pk), "label": ""},
            "actor": {"label": str(label)},
            "details": {"message": "A test event from Onramp: your endpoint is reachable."},
        },
    )
    delivery = WebhookDelivery(
        tenant=tenant,
        endpoint=endpoint,
        event_id=event_id,
        event_type=TEST_EVENT,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )
    deliveries_enqueue([delivery])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_TEST_SENT,
        target=endpoint,
        data={"event_id": str(event_id)},
    )
    return delivery


@transaction.atomic
def webhook_delivery_replay(
    *, tenant: Tenant, actor: Any, delivery_id: int, endpoint_id: int | None = None
) -> WebhookDelivery:
    """Send a delivery again now, with the same event id (receivers de-duplicate on it):
    a new attempt with a fresh retry window, whatever its status."""
    _require_admin(tenant=tenant, actor=actor)
    rows = WebhookDelivery.objects.select_for_update(of=("self",)).filter(
        tenant=tenant, pk=delivery_id, endpoint__deleted_at__isnull=True
    )
    if endpoint_id is not None:
        rows = rows.filter(endpoint_id=endpoint_id)
    delivery = rows.select_related("endpoint").first()
    if delivery is None:
        raise WebhookNotFound(_("That delivery does not exist."))
    if not delivery.endpoint.is_active:
        raise WebhookError(_("Enable the endpoint first."))
    before = {"status": delivery.status, "attempts": delivery.attempts}
    now = timezone.now()
    delivery.generation += 1
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.save(update_fields=["generation", "status", "next_attempt_at"])
    delivery_enqueue(delivery)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.WEBHOOK_REPLAYED,
        target=delivery,
        partner_id=delivery.partner_id,
        data={
            "event_id": str(delivery.event_id),
            "event_type": delivery.event_type,
            "url": delivery.endpoint.url,
            "from": before,
            "to": {"status": DeliveryStatus.PENDING},
        },
    )
    return delivery
