"""Reads of a program's webhook endpoints and deliveries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django_scopes import scopes_disabled

from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

# The delivery log's filters.
DELIVERY_FILTERS: dict[str, Q] = {
    "all": Q(),
    "failing": Q(status__in=[DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP]),
    "delivered": Q(status=DeliveryStatus.DELIVERED),
    "pending": Q(status=DeliveryStatus.PENDING),
}


def webhook_endpoints_for(*, tenant: Tenant) -> QuerySet[WebhookEndpoint]:
    """The program's endpoints (not deleted), oldest first."""
    return WebhookEndpoint.objects.filter(tenant=tenant, deleted_at__isnull=True).order_by(
        "created_at", "id"
    )


def webhook_endpoint_get(*, tenant: Tenant, endpoint_id: int) -> WebhookEndpoint | None:
    return webhook_endpoints_for(tenant=tenant).filter(pk=endpoint_id).first()


def webhook_deliveries_for(
    *, tenant: Tenant, endpoint: WebhookEndpoint, show: str = "all"
) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries matching filter `show` (DELIVERY_FILTERS), newest first."""
    condition = DELIVERY_FILTERS.get(show, DELIVERY_FILTERS["all"])
    return (
        WebhookDelivery.objects.filter(tenant=tenant, endpoint=endpoint)
        .filter(condition)
        .order_by("-created_at", "-id")
    )


def webhook_deliveries_before(
    rows: QuerySet[WebhookDelivery], *, before: WebhookDelivery | None
) -> QuerySet[WebhookDelivery]:
    """The rows after `before` in the log's order (the next page), keyset on (created_at, id)."""
    if before is None:
        return rows
    return rows.filter(
        Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.pk)
    )


def webhook_delivery_get(
    *, tenant: Tenant, delivery_id: int, endpoint_id: int | None = None
) -> WebhookDelivery | None:
    rows = WebhookDelivery.objects.filter(
        tenant=tenant, pk=delivery_id, endpoint__deleted_at__isnull=True
    )
    if endpoint_id is not None:
        rows = rows.filter(endpoint_id=endpoint_id)
    return rows.select_related("endpoint").first()


def webhook_subscriptions_all_tenants(*, tenant_id: int) -> dict[str, Any]:
    """What the emitter needs of a program (one query): its slug and each active endpoint's
    id and subscribed patterns. `{"program": "", "endpoints": []}` when it has none."""
    with scopes_disabled():
        rows = list(
            WebhookEndpoint.objects.filter(
                tenant_id=tenant_id, is_active=True, deleted_at__isnull=True
            )
            .order_by("pk")
            .values_list("pk", "event_types", "tenant__slug")
        )
    return {
        "program": rows[0][2] if rows else "",
        "endpoints": [[pk, list(patterns)] for pk, patterns, _slug in rows],
    }


def webhook_programs_patterns_all_tenants() -> list[list[Any]]:
    """Every program with an active endpoint, with the patterns its endpoints subscribe to
    (one query of the endpoints table): `[[tenant id, [pattern, ...]], ...]`. What a
    platform sweep reads to skip, at no cost, the programs nobody listens to."""
    with scopes_disabled():
        rows = (
            WebhookEndpoint.objects.filter(is_active=True, deleted_at__isnull=True)
            .order_by("tenant_id", "pk")
            .values_list("tenant_id", "event_types")
        )
        patterns: dict[int, set[str]] = {}
        for tenant_id, event_types in rows:
            patterns.setdefault(tenant_id, set()).update(event_types)
    return [[tenant_id, sorted(chosen)] for tenant_id, chosen in patterns.items()]


def program_admins_of(*, tenant: Tenant) -> list[Any]:
    """The program's active program admins (who hear about a disabled endpoint)."""
    from apps.tenancy.models import Membership, Role

    return [
        m.user
        for m in Membership.objects.filter(
            tenant=tenant, role=Role.PROGRAM_ADMIN, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]
