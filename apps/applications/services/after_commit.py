"""What applications services defer until their transaction commits: the emails to
applicants and clearing the cached count of pending applications."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

logger = logging.getLogger(__name__)


def send_after_commit(
    *, tenant: Tenant, kind: str, application_id: int | None = None, email: str = ""
) -> None:
    """Queue an email to an applicant (not a user yet) in the outbox, in the current
    transaction: a worker sends it after the commit (apps/applications/tasks.py)."""
    from apps.outbox.services import outbox_enqueue

    outbox_enqueue(
        tenant=tenant,
        kind="applications.email",
        payload={"kind": kind, "application_id": application_id, "email": email},
        summary=email or f"{kind} · application #{application_id}",
    )


def pending_changed(*, tenant_id: int) -> None:
    """The number of pending applications may change: clear the nav badge's cached count now
    and again at commit (a page rendered in between may have cached the old number)."""
    from apps.applications.selectors import pending_count_key

    key = pending_count_key(tenant_id)
    _cache_delete(key)
    transaction.on_commit(lambda: _cache_delete(key))


def _cache_delete(key: str) -> None:
    """Clear a cached count; a cache that is down is logged, never raised (the count
    expires on its own)."""
    from django.core.cache import cache

    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001 - a cache outage must not fail a saved change
        logger.warning("could not clear the cached count %s", key, exc_info=True)
