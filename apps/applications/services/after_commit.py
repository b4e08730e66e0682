"""What applications services defer until their transaction commits: the emails to
applicants and clearing the cached count of pending applications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def send_after_commit(
    *, tenant: Tenant, kind: str, application_id: int | None = None, email: str = ""
) -> None:
    """Queue an email to an applicant (not a user yet) once the transaction commits."""
    from apps.applications.tasks import application_email_send

    tenant_id = tenant.pk
    transaction.on_commit(
        lambda: application_email_send.delay(tenant_id, kind, application_id, email)
    )


def pending_changed(*, tenant_id: int) -> None:
    """The number of pending applications may change: clear the nav badge's cached count now
    and again at commit (a page rendered in between may have cached the old number)."""
    from django.core.cache import cache

    from apps.applications.selectors import pending_count_key

    key = pending_count_key(tenant_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
