"""What a user asked not to be emailed, per program: the reminders' one-click opt-out.

The link in every reminder email carries a signed token naming the program and the user
(no sign-in needed). Opting out and back in are idempotent: the link works once or many
times, and its effect is immediate because the sender reads the preference at send time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.notifications.models import EmailPreference

OPT_OUT_SALT = "notifications.reminders-opt-out"
# Each reminder carries a fresh link; an older one keeps working this long.
OPT_OUT_TTL = timedelta(days=90)


class OptOutLinkInvalid(Exception):
    """A forged or mangled link, or one for another program."""


class OptOutLinkExpired(Exception):
    pass


@dataclass(frozen=True)
class OptOutLink:
    tenant_id: int
    user_id: int


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=OPT_OUT_SALT)


def opt_out_token(*, tenant_id: int, user_id: int) -> str:
    """The token of `user`'s opt-out link in program `tenant_id`."""
    return _signer().sign_object({"t": tenant_id, "u": user_id}, compress=False)


def opt_out_token_read(*, token: str, tenant_id: int) -> OptOutLink:
    """The link `token` names, if it is genuine, fresh and for program `tenant_id`."""
    if not token or len(token) > 300:
        raise OptOutLinkInvalid
    try:
        data = _signer().unsign_object(token, max_age=OPT_OUT_TTL)
    except signing.SignatureExpired as exc:
        raise OptOutLinkExpired from exc
    except signing.BadSignature as exc:
        raise OptOutLinkInvalid from exc
    if (
        not isinstance(data, dict)
        or data.get("t") != tenant_id
        or not isinstance(data.get("u"), int)
    ):
        raise OptOutLinkInvalid
    return OptOutLink(tenant_id=tenant_id, user_id=data["u"])


def reminders_opted_out(*, tenant: Any, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` who turned reminders off in `tenant` (one query)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(
        EmailPreference.objects.filter(
            tenant=tenant, user_id__in=ids, reminders_opt_out_at__isnull=False
        ).values_list("user_id", flat=True)
    )


def reminders_opt_out_at(*, tenant: Any, user_id: int) -> Any:
    """When `user_id` turned reminders off in `tenant` (None: they get them)."""
    return (
        EmailPreference.objects.filter(tenant=tenant, user_id=user_id)
        .values_list("reminders_opt_out_at", flat=True)
        .first()
    )


@transaction.atomic
def reminders_preference_set(
    *, tenant: Any, actor: Any, user: Any, receive: bool, partner_id: int | None = None
) -> bool:
    """Turn `user`'s reminder emails in `tenant` on (`receive`) or off. Returns whether
    anything changed (False for a second click). Audited, on the partner's timeline when
    `partner_id` is given."""
    from apps.audit.services import audit_record
    from apps.notifications import verbs

    row = _lock(tenant=tenant, user=user)
    if row is None:
        try:
            with transaction.atomic():
                row = EmailPreference.objects.create(tenant=tenant, user=user)
        except IntegrityError:  # created by a concurrent click: take theirs, locked
            row = _lock(tenant=tenant, user=user)
            assert row is not None
    before = row.reminders_opt_out_at
    if (before is None) == receive:
        return False
    row.reminders_opt_out_at = None if receive else timezone.now()
    row.save(update_fields=["reminders_opt_out_at", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.REMINDERS_OPTED_IN if receive else verbs.REMINDERS_OPTED_OUT,
        target=row,
        partner_id=partner_id,
        data={
            "user": user.email,
            "from": "off" if before is not None else "on",
            "to": "on" if receive else "off",
        },
    )
    return True


def _lock(*, tenant: Any, user: Any) -> EmailPreference | None:
    return (
        EmailPreference.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, user=user)
        .first()
    )
