"""The periodic reconciliation: repairs what lost tasks left undone, across all tenants.

It completes View asset / Read article actions whose content a partner opened from the
library, and moves on every partner whose current stage is finished (a lost or failed
auto-advance task). Each row is handled on its own, in its tenant's scope and its own
transaction: a row that raises is logged and skipped, and since rows are walked in id
order with a cursor, a row that keeps failing never stops the rows after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.onboarding.selectors import (
    content_opened_progress_all_tenants,
    enrollments_due_for_advance_all_tenants,
)
from apps.onboarding.services.actions import action_complete
from apps.onboarding.services.errors import InvalidTransition
from apps.onboarding.services.stages import enrollment_advance
from apps.tenancy.models import Tenant

logger = logging.getLogger(__name__)

BATCH_SIZE = 500

Row = TypeVar("Row", bound=tuple[int, ...])


def _walk(fetch: Callable[..., list[Row]], *, batch_size: int) -> Iterator[Row]:
    """Every row `fetch` returns, batch after batch in id order (the id is each row's
    second column), so the rows ahead of the cursor are read again fresh."""
    after_id = 0
    while True:
        rows = fetch(after_id=after_id, limit=batch_size)
        yield from rows
        if len(rows) < batch_size:
            return
        after_id = rows[-1][1]


class _Tenants(dict[int, Tenant]):
    def __missing__(self, tenant_id: int) -> Tenant:
        tenant = self[tenant_id] = Tenant.objects.get(pk=tenant_id)
        return tenant


def content_opened_complete_all_tenants(*, batch_size: int = BATCH_SIZE) -> int:
    """Complete the View asset / Read article actions opened from the library. Returns
    how many were completed."""
    User = get_user_model()
    tenants = _Tenants()
    completed = 0
    for tenant_id, progress_id, user_id in _walk(
        content_opened_progress_all_tenants, batch_size=batch_size
    ):
        try:
            tenant = tenants[tenant_id]
            with scope(tenant=tenant):
                action_complete(
                    tenant=tenant, actor=User.objects.get(pk=user_id), progress_id=progress_id
                )
        except InvalidTransition:
            continue  # changed meanwhile, or the opener has left the partner account
        except Exception:
            logger.exception("Reconcile: completing action progress %s failed", progress_id)
            continue
        completed += 1
    return completed


def enrollments_advance_all_tenants(*, batch_size: int = BATCH_SIZE) -> int:
    """Move on every partner whose current stage is finished or removed. Returns the moves
    made."""
    tenants = _Tenants()
    moved = 0
    for tenant_id, enrollment_id in _walk(
        enrollments_due_for_advance_all_tenants, batch_size=batch_size
    ):
        try:
            tenant = tenants[tenant_id]
            with scope(tenant=tenant):
                moved += enrollment_advance(tenant=tenant, enrollment_id=enrollment_id)
        except Exception:
            logger.exception("Reconcile: advancing enrollment %s failed", enrollment_id)
    return moved


def onboarding_reconcile_all_tenants(*, batch_size: int = BATCH_SIZE) -> int:
    """The whole pass: content opened first (it may finish stages), then the moves.
    Returns the moves made."""
    content_opened_complete_all_tenants(batch_size=batch_size)
    return enrollments_advance_all_tenants(batch_size=batch_size)
