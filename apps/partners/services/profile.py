"""The partner profile: a partner admin's edits, the program's required fields, and the two
partner events the profile milestone reads (`profile.completed`, `portal.access_confirmed`).

Not re-exported from `apps.partners.services` (its __init__ is shared): import from here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.files import private_file_save, private_storage
from apps.core.uploads import CheckedUpload, storage_key
from apps.partners import verbs
from apps.partners.models import (
    PartnerAccount,
    PartnerEvent,
    PartnerProfile,
    PartnerStatus,
    PartnerUser,
    ProfileSettings,
)
from apps.partners.profile_fields import (
    PROFILE_FIELDS_BY_KEY,
    PROFILE_LOGO_POLICY,
    required_fields_clean,
)
from apps.partners.selectors_profile import (
    partner_profile_completion,
    partner_profile_prefilled,
    profile_required_fields,
)
from apps.partners.services.errors import PartnerError
from apps.partners.services.events import partner_event_record
from apps.partners.services.status import partner_account_require_active
from apps.tenancy.models import PARTNER_ROLES, Role, Tenant
from apps.tenancy.selectors import is_active_program_admin

logger = logging.getLogger(__name__)

# The columns a partner admin edits through the form (the logo has its own path).
PROFILE_TEXT_COLUMNS: tuple[str, ...] = (
    "company_name",
    "display_name",
    "website",
    "phone",
    "description",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country",
    "sales_name",
    "sales_email",
    "sales_phone",
    "marketing_name",
    "marketing_email",
    "marketing_phone",
    "technical_name",
    "technical_email",
    "technical_phone",
)


@dataclass(frozen=True)
class ProfileSaveResult:
    profile: PartnerProfile
    changed: tuple[str, ...]
    percent: int
    completed_now: bool  # this save recorded `profile.completed`


def _require_partner_admin(*, tenant: Tenant, actor: Any, account_id: int) -> None:
    """PartnerError unless `actor` is an active partner admin of this very account."""
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or not PartnerUser.objects.filter(
            tenant=tenant,
            account_id=account_id,
            membership__user=actor,
            membership__role=Role.PARTNER_ADMIN,
            membership__is_active=True,
        ).exists()
    ):
        raise PartnerError(_("Only your company’s partner admins can edit its profile."))


def _profile_locked(*, tenant: Tenant, account_id: int) -> tuple[PartnerAccount, PartnerProfile]:
    """The account (locked: it serialises the profile's lazy creation) and its profile,
    created prefilled when it has none yet (not saved here: the caller saves it)."""
    try:
        account = PartnerAccount.objects.select_for_update(of=("self",)).get(
            tenant=tenant, pk=account_id
        )
    except PartnerAccount.DoesNotExist as exc:
        raise PartnerError(_("Unknown partner account.")) from exc
    profile = PartnerProfile.objects.filter(tenant=tenant, account=account).first()
    if profile is None:
        profile = partner_profile_prefilled(tenant=tenant, account=account)
    profile.account = account
    return account, profile


def _completed_record(*, tenant: Tenant, actor: Any, account: PartnerAccount, percent: int) -> bool:
    """Record `profile.completed` once per account when the profile is at 100%."""
    if percent < 100:
        return False
    if PartnerEvent.objects.filter(
        tenant=tenant, account=account, type=verbs.PROFILE_COMPLETED_EVENT
    ).exists():
        return False
    _event, created = partner_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=verbs.PROFILE_COMPLETED_EVENT,
        source="portal",
        actor=actor,
        idempotency_key=f"profile-completed:{account.pk}",
    )
    return created


def _logo_label(name: str) -> str:
    return name.rsplit("/", 1)[-1] if name else ""


@transaction.atomic
def _partner_profile_write(
    *,
    tenant: Tenant,
    actor: Any,
    account_id: int,
    values: Mapping[str, Any],
    logo_name: str | None,
    logo_original: str = "",
) -> ProfileSaveResult:
    _require_partner_admin(tenant=tenant, actor=actor, account_id=account_id)
    account, profile = _profile_locked(tenant=tenant, account_id=account_id)
    partner_account_require_active(account=account)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for column in PROFILE_TEXT_COLUMNS:
        if column not in values:
            continue
        value = values[column] if values[column] is not None else ""
        if column == "country":
            value = str(value).upper()
        if getattr(profile, column) != value:
            before[column] = getattr(profile, column)
            after[column] = value
            setattr(profile, column, value)
    previous_logo = profile.logo.name or ""
    if logo_name is not None and logo_name != previous_logo:
        before["logo"] = _logo_label(previous_logo)
        after["logo"] = logo_original or _logo_label(logo_name)
        profile.logo.name = logo_name
    is_new = profile.pk is None
    if is_new:
        profile.save()
    elif before:
        profile.save(update_fields=[*before, "updated_at"])
    if before:
        labels = [
            str(PROFILE_FIELDS_BY_KEY[c].label)
            if c in PROFILE_FIELDS_BY_KEY
            else str(PartnerProfile._meta.get_field(c).verbose_name)
            for c in before
        ]
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.PARTNER_PROFILE_UPDATED,
            target=account,
            partner_id=account.pk,
            data={"from": before, "to": after, "fields": ", ".join(labels)},
        )
    if "logo" in before and previous_logo:
        transaction.on_commit(lambda: private_storage().delete(previous_logo), robust=True)
    percent = partner_profile_completion(profile, profile_required_fields(tenant=tenant))
    completed = _completed_record(tenant=tenant, actor=actor, account=account, percent=percent)
    return ProfileSaveResult(
        profile=profile, changed=tuple(before), percent=percent, completed_now=completed
    )


def partner_profile_update(
    *,
    tenant: Tenant,
    actor: Any,
    account_id: int,
    values: Mapping[str, Any],
    logo: CheckedUpload | None = None,
    remove_logo: bool = False,
) -> ProfileSaveResult:
    """Save a partner admin's edit of their company profile: only changed fields are written,
    audited with before and after (on the partner's timeline). A new logo (checked against
    PROFILE_LOGO_POLICY) replaces the old one, which is deleted after commit; a stored logo
    is removed again when the change does not commit. When the save brings the profile to
    100% of the program's required fields and the account has no `profile.completed` event
    yet, one is recorded in the same transaction."""
    if logo is None:
        return _partner_profile_write(
            tenant=tenant,
            actor=actor,
            account_id=account_id,
            values=values,
            logo_name="" if remove_logo else None,
        )
    allowed = {ext for file_type in PROFILE_LOGO_POLICY.types for ext in file_type.extensions}
    if logo.ext not in allowed:
        raise PartnerError(_("Upload %(what)s.") % {"what": PROFILE_LOGO_POLICY.describe()})
    # Refuse before storing anything (the write re-checks inside its transaction).
    _require_partner_admin(tenant=tenant, actor=actor, account_id=account_id)
    key = storage_key(tenant_id=tenant.pk, area="partner-logos", ext=logo.ext)
    name = private_file_save(key=key, upload=logo)
    try:
        return _partner_profile_write(
            tenant=tenant,
            actor=actor,
            account_id=account_id,
            values=values,
            logo_name=name,
            logo_original=logo.original_name,
        )
    except Exception:
        private_storage().delete(name)
        raise


@transaction.atomic
def profile_settings_update(*, tenant: Tenant, actor: Any, required_fields: list[str]) -> bool:
    """Set the profile fields the program requires (program admins only), audited with
    before and after. Returns whether anything changed. Nothing is recorded for profiles
    this makes complete: their next save records `profile.completed`."""
    if not is_active_program_admin(tenant=tenant, actor=actor):
        raise PartnerError(_("Only program admins can change the profile settings."))
    wanted = required_fields_clean(required_fields)
    row = ProfileSettings.objects.select_for_update(of=("self",)).filter(tenant=tenant).first()
    if row is None:
        try:
            with transaction.atomic():
                row = ProfileSettings.objects.create(tenant=tenant)
        except IntegrityError:
            row = ProfileSettings.objects.select_for_update(of=("self",)).get(tenant=tenant)
    current = required_fields_clean(row.required_fields)
    if current == wanted:
        return False
    row.required_fields = wanted
    row.save(update_fields=["required_fields", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PROFILE_SETTINGS_CHANGED,
        target=row,
        data={"from": current, "to": wanted},
    )
    return True


def portal_access_confirm(*, tenant: Tenant, user: Any) -> bool:
    """Record `portal.access_confirmed` for the partner account of `user` (an active partner
    member of `tenant`) the first time any of its users signs in. One query when it is
    already recorded (or the user is no partner here). Returns whether it recorded one."""
    if user is None or not getattr(user, "pk", None):
        return False
    confirmed = PartnerEvent.objects.filter(
        tenant=tenant, account_id=OuterRef("account_id"), type=verbs.PORTAL_ACCESS_CONFIRMED_EVENT
    )
    link = (
        PartnerUser.objects.filter(
            tenant=tenant,
            membership__user_id=user.pk,
            membership__role__in=PARTNER_ROLES,
            membership__is_active=True,
            account__status=PartnerStatus.ACTIVE,
        )
        .annotate(confirmed=Exists(confirmed))
        .values_list("account_id", "confirmed")
        .first()
    )
    if link is None or link[1]:
        return False
    account_id = link[0]
    with transaction.atomic():
        _event, created = partner_event_record(
            tenant=tenant,
            account_id=account_id,
            type=verbs.PORTAL_ACCESS_CONFIRMED_EVENT,
            source="portal",
            actor=user,
            idempotency_key=f"portal-access:{account_id}",
        )
    return created
