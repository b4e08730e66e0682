"""Reads of a program's outbox for the console."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from apps.outbox.models import OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

# The console's filters: what needs attention (failing or given up), or one status.
FILTERS: dict[str, Q] = {
    "attention": Q(status=OutboxStatus.GIVEN_UP)
    | Q(status=OutboxStatus.PENDING, attempts__gt=0, lease_until__isnull=True),
    "given_up": Q(status=OutboxStatus.GIVEN_UP),
    "failing": Q(status=OutboxStatus.PENDING, attempts__gt=0, lease_until__isnull=True),
    "pending": Q(status=OutboxStatus.PENDING),
}
DEFAULT_FILTER = "attention"


def outbox_messages_for(*, tenant: Tenant, show: str = DEFAULT_FILTER) -> QuerySet[OutboxMessage]:
    """The program's undelivered messages matching filter `show` (FILTERS), newest first.
    Delivered messages are not listed."""
    condition = FILTERS.get(show, FILTERS[DEFAULT_FILTER])
    return (
        OutboxMessage.objects.filter(tenant=tenant)
        .exclude(status=OutboxStatus.DELIVERED)
        .filter(condition)
        .order_by("-created_at", "-id")
    )


def outbox_counts_for(*, tenant: Tenant) -> dict[str, int]:
    """How many of the program's messages each filter shows (one query)."""
    rows = OutboxMessage.objects.filter(tenant=tenant).exclude(status=OutboxStatus.DELIVERED)
    return rows.aggregate(**{name: Count("id", filter=q) for name, q in FILTERS.items()})
