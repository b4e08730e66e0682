"""Emails to the people a CSV import added: one outbox message each (apps/outbox), sent by
a worker after the import commits, with retries."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.outbox.registry import outbox_register


def partner_import_invitation_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    from apps.partners.services.importing_email import partner_import_invitation_deliver

    partner_import_invitation_deliver(tenant=tenant, member_id=payload["member_id"])


outbox_register(
    "partners.import_invitation_email",
    partner_import_invitation_handle,
    label=_("Invitation of an imported partner user"),
    sends_outside=True,
)
