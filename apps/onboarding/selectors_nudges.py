"""Reads about nudges (services/nudges.py): when a partner was last reminded."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Max

from apps.onboarding.models import NudgeSent

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def last_reminded_at(*, tenant: Tenant, account_id: int) -> datetime.datetime | None:
    """When a user of partner `account_id` was last emailed a reminder (None: never).
    One query, on the index of sent reminders."""
    result: datetime.datetime | None = NudgeSent.objects.filter(
        tenant=tenant, account_id=account_id, sent_at__isnull=False
    ).aggregate(last=Max("sent_at"))["last"]
    return result
