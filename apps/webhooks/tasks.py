"""Webhook deliveries through the outbox (apps/outbox): each attempt is one delivery of the
outbox message `webhooks.deliver`, retried with exponential backoff for WEBHOOK_RETRY_HOURS.

Not `sends_outside`: the handler's record of a delivered attempt commits with the message's
own, so if that commit fails the attempt is made again. Delivery is at least once, and a
receiver de-duplicates on the event id; the log never shows sent what it did not record.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.outbox.registry import outbox_register
from apps.webhooks.delivery import webhook_delivery_failed, webhook_delivery_send
from apps.webhooks.emission import DELIVERY_KIND

outbox_register(
    DELIVERY_KIND,
    webhook_delivery_send,
    on_fail=webhook_delivery_failed,
    label=_("Webhook"),
    give_up_after=timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
)
