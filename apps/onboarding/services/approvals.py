"""The approval digest: one email per window for the actions waiting for a staff member.

The actions are those of the partners whose approvals go to them: the partners they are the
active CAM of and, for a program admin, those without an active CAM
(`partner_accounts_responsible_to`). A deactivated member (or one no longer staff) gets none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.notifications.services import notification_create
from apps.onboarding.models import ApprovalDigest
from apps.onboarding.selectors import waiting_for_cam_since

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

DIGEST_DELAY_SECONDS = 300
DIGEST_KIND = "onboarding.approval_digest"


def approval_digest_schedule(*, tenant: Tenant, user_id: int) -> None:
    """Queue one digest per staff member per window: twenty uploads make one email.

    Windows are aligned blocks of DIGEST_DELAY_SECONDS; the first submission of a window
    writes an outbox message (in its own transaction) due at the window's end, the others
    find it there (its dedupe key names the window). A submission arriving while a digest
    is sent falls in the next window, so none is missed.
    """
    from apps.outbox.services import outbox_enqueue

    now = timezone.now()
    window = int(now.timestamp()) // DIGEST_DELAY_SECONDS
    outbox_enqueue(
        tenant=tenant,
        kind=DIGEST_KIND,
        payload={"user_id": user_id},
        dedupe_key=f"approval-digest:{user_id}:{window}",
        not_before=datetime.fromtimestamp((window + 1) * DIGEST_DELAY_SECONDS, tz=UTC),
        summary=f"staff member #{user_id}",
    )


def approval_digest_send(*, tenant: Tenant, cam: User) -> int:
    """Email `cam` (the CAM, or a program admin) the actions that started waiting since the
    last digest; returns how many (0 for someone no longer an active staff member).

    Run inside the tenant's scope (the outbox handler in apps/onboarding/tasks.py).
    """
    with transaction.atomic():
        digest, first_digest = ApprovalDigest.objects.select_for_update().get_or_create(
            tenant=tenant, user=cam, defaults={"last_sent_at": timezone.now()}
        )
        since = None if first_digest else digest.last_sent_at
        waiting = waiting_for_cam_since(tenant=tenant, cam=cam, since=since)
        if not waiting:
            return 0
        digest.last_sent_at = timezone.now()
        digest.save(update_fields=["last_sent_at"])
        notification_create(
            tenant=tenant,
            recipient=cam,
            kind="approvals_digest",
            in_app=False,
            url=reverse("queue:list"),  # the work queue: each waiting action, inline
            context={"waiting": waiting},
        )
    return len(waiting)
