"""Notification emails: the outbox delivers them (apps/outbox), retrying with backoff and
giving up after 48 hours; the notification's email status follows."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.notifications import services
from apps.outbox.registry import outbox_register


def notification_email_handle(*, tenant: Any, payload: dict[str, Any]) -> None:
    """Send the email of one notification (once; a resent one that had given up too)."""
    notification_id = payload["notification_id"]
    services.notification_email_reopen(notification_id=notification_id)
    services.notification_email_deliver(notification_id=notification_id)


def notification_email_given_up(*, tenant: Any, payload: dict[str, Any]) -> None:
    services.notification_email_give_up(notification_id=payload["notification_id"])


outbox_register(
    services.EMAIL_KIND,
    notification_email_handle,
    on_give_up=notification_email_given_up,
    label=_("Notification email"),
    sends_outside=True,
)
