"""The home app's outbox handlers (apps/outbox): the emails to a new program's first admin
and to invited staff, sent by a worker after the commit, with retries."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.outbox.registry import outbox_register


def program_admin_email_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    from apps.home.services import program_admin_email_send

    program_admin_email_send(tenant_id=tenant.pk, user_id=payload["user_id"])


def staff_invitation_email_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    from apps.home.services import staff_invitation_email_send

    staff_invitation_email_send(
        tenant_id=tenant.pk, user_id=payload["user_id"], inviter_id=payload.get("inviter_id")
    )


outbox_register(
    "home.program_admin_email",
    program_admin_email_handle,
    label=_("Welcome to a program admin"),
    sends_outside=True,
)
outbox_register(
    "home.staff_invitation_email",
    staff_invitation_email_handle,
    label=_("Staff invitation"),
    sends_outside=True,
)


# Privacy (issue 14): the daily purge, in the beat list of config/celery.py.
from celery import shared_task  # noqa: E402 - kept apart from the outbox handlers above


@shared_task(acks_late=True)
def privacy_retention_purge() -> int:
    """Purge every program's unconfirmed applications and expired invitations older than
    its retention; idempotent, so a late or repeated run is harmless. Returns the rows
    deleted."""
    from apps.home.services_privacy import retention_purge_all_tenants

    results = retention_purge_all_tenants()
    return sum(r.applications + r.invitations for r in results.values())
