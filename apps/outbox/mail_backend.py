"""The email backend of the product: the configured one (`OUTBOX_EMAIL_BACKEND`, from
EMAIL_URL), plus one rule. An email sent while the outbox delivers a row carries a Message-ID
that is stable for that row (`<outbox-<id>@<domain>>`), so if a killed worker made the outbox
send it again (delivery is at-least-once), receiving mail systems see the same message twice
and keep one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import DNS_NAME, EmailMessage


def outbox_message_id(outbox_id: int) -> str:
    return f"<outbox-{outbox_id}@{DNS_NAME}>"


class StableMessageIdBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.inner = get_connection(
            settings.OUTBOX_EMAIL_BACKEND, fail_silently=fail_silently, **kwargs
        )

    def open(self) -> Any:
        return self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from apps.outbox.delivery import delivering

        outbox_id = delivering.get()
        if outbox_id is not None:
            # One row sends one message in every handler; more than one would need the
            # position in the id, so only the first is stamped.
            for message in email_messages[:1]:
                message.extra_headers.setdefault("Message-ID", outbox_message_id(outbox_id))
        return int(self.inner.send_messages(email_messages) or 0)
