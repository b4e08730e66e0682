"""Emails to applicants and invitees: the outbox delivers them (apps/outbox), retrying with
backoff until the mail server takes them. Each handler loads what its payload names and
calls one service; it runs inside the program's scope."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.outbox.registry import outbox_register


def application_email_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    from apps.applications.services import emails

    emails.application_email_deliver(
        tenant=tenant,
        kind=payload["kind"],
        application_id=payload.get("application_id"),
        email=payload.get("email", ""),
    )


def invitation_email_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    from apps.applications.services import emails

    emails.invitation_email_deliver(tenant=tenant, invitation_id=payload["invitation_id"])


def team_invitation_email_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    from apps.applications.services.team import team_invitation_email_deliver

    team_invitation_email_deliver(
        tenant=tenant, member_id=payload["member_id"], by_staff=payload.get("by_staff", False)
    )


outbox_register(
    "applications.email",
    application_email_handle,
    label=_("Email to an applicant"),
    sends_outside=True,
)
outbox_register(
    "applications.invitation_email",
    invitation_email_handle,
    label=_("Invitation to apply"),
    sends_outside=True,
)
outbox_register(
    "applications.team_invitation_email",
    team_invitation_email_handle,
    label=_("Partner team invitation"),
    sends_outside=True,
)
