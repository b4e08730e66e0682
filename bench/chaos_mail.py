"""`make chaos` instrumentation (bench/chaos_settings.py): the SMTP backend stamps every
message the outbox delivers with `X-Onramp-Outbox-Id: <row id>`, so the checker can tell a
row sent twice from two rows with the same recipient and subject.

The outbox sets `apps.outbox.services.delivering` to the row id while its handler runs. A
message sent outside the outbox gets no header; the checker lists those apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.smtp import EmailBackend

HEADER = "X-Onramp-Outbox-Id"


def current_outbox_id() -> int | None:
    """The outbox row being delivered (the outbox sets it around its handler)."""
    from apps.outbox.services import delivering

    return delivering.get()


class OutboxIdSMTPBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        outbox_id = current_outbox_id()
        if outbox_id is not None:
            for message in email_messages:
                message.extra_headers.setdefault(HEADER, str(outbox_id))
        return super().send_messages(email_messages)
