"""Rendered emails through the outbox: the message is rendered in the request (as allauth
renders its own) and the worker sends it, retrying until the mail server takes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils.translation import gettext_lazy as _

from apps.outbox.registry import outbox_register

if TYPE_CHECKING:
    from apps.outbox.models import OutboxMessage
    from apps.tenancy.models import Tenant

MAIL_KIND = "mail.send"


def mail_payload(message: EmailMessage) -> dict[str, Any]:
    """A JSON copy of a rendered message (no attachments: none of our emails has any)."""
    if message.attachments:
        raise ValueError("The outbox does not carry attachments.")
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }


def mail_enqueue(*, message: EmailMessage, tenant: Tenant | None) -> OutboxMessage | None:
    """Queue a rendered message in the current transaction (or one of its own)."""
    from apps.outbox.services import outbox_enqueue

    return outbox_enqueue(
        tenant=tenant,
        kind=MAIL_KIND,
        payload=mail_payload(message),
        summary=", ".join(message.to),
    )


def mail_deliver(*, tenant: Tenant | None, payload: dict[str, Any]) -> None:
    """Send the message of `payload`; a refusal raises, to be retried."""
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload.get("from_email"),
        to=payload.get("to") or [],
        cc=payload.get("cc") or [],
        bcc=payload.get("bcc") or [],
        reply_to=payload.get("reply_to") or [],
        headers=payload.get("headers") or {},
    )
    message.content_subtype = payload.get("content_subtype") or "plain"
    for content, mimetype in payload.get("alternatives") or []:
        message.attach_alternative(content, mimetype)
    message.send()


def mail_redact(payload: dict[str, Any]) -> dict[str, Any]:
    """What a sent message keeps: who it went to and its subject, not its links."""
    return {"to": payload.get("to") or [], "subject": payload.get("subject", "")}


def mail_handlers_register() -> None:
    outbox_register(
        MAIL_KIND, mail_deliver, redact=mail_redact, label=_("Sign-in email"), sends_outside=True
    )
