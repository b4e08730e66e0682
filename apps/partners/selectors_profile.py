"""Reads of the partner profile (/portal/profile/): the program's required fields, a
partner's profile prefilled from its account, what is missing and how complete it is."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    OuterRef,
    Subquery,
)

from apps.partners.models import (
    PartnerAccount,
)
from apps.tenancy.models import Tenant


@dataclass(frozen=True)
class ProfileSummary:
    """A partner profile with its completion against the program's required fields."""

    profile: Any  # PartnerProfile (unsaved and prefilled when the partner never saved one)
    required: tuple[str, ...]
    percent: int
    missing: tuple[Any, ...]  # ProfileField, in the catalogue's order


def profile_required_fields(*, tenant: Tenant) -> list[str]:
    """The profile fields the program requires (its `ProfileSettings`, else the defaults).
    One query."""
    from apps.partners.models import ProfileSettings
    from apps.partners.profile_fields import default_required_fields, required_fields_clean

    row = ProfileSettings.objects.filter(tenant=tenant).values_list("required_fields").first()
    return required_fields_clean(row[0]) if row is not None else default_required_fields()


def partner_profile_prefilled(*, tenant: Tenant, account: PartnerAccount) -> Any:
    """A new, unsaved profile prefilled from the account (name, website, country). No query.

    An approved application's details reach the account itself (applications writes the
    account's name, website and country when it approves), so they arrive here through it."""
    from apps.partners.models import PartnerProfile

    return PartnerProfile(
        tenant=tenant,
        account=account,
        company_name=account.name,
        display_name=account.name,
        website=account.website,
        country=account.country,
    )


def partner_profile_for_account(tenant: Tenant, account: PartnerAccount) -> Any:
    """The account's profile, or a prefilled unsaved one when none was saved yet (profiles
    are created lazily, by the first save). One query."""
    from apps.partners.models import PartnerProfile

    profile = PartnerProfile.objects.filter(tenant=tenant, account=account).first()
    if profile is None:
        return partner_profile_prefilled(tenant=tenant, account=account)
    profile.account = account
    return profile


def partner_profile_missing(profile: Any, required: Collection[str]) -> list[Any]:
    """The required fields (ProfileField) the profile has not filled, in catalogue order."""
    from apps.partners.profile_fields import PROFILE_FIELDS

    wanted = set(required)
    return [
        field
        for field in PROFILE_FIELDS
        if field.key in wanted
        and not all(str(getattr(profile, column) or "").strip() for column in field.columns)
    ]


def partner_profile_completion(profile: Any, required: Collection[str]) -> int:
    """Filled required fields / required fields, as a whole percentage (rounded down, so
    100 means every one is filled); 100 when the program requires none."""
    from apps.partners.profile_fields import required_fields_clean

    keys = required_fields_clean(list(required))
    if not keys:
        return 100
    filled = len(keys) - len(partner_profile_missing(profile, keys))
    return filled * 100 // len(keys)


def partner_profile_summary(*, tenant: Tenant, account: PartnerAccount) -> ProfileSummary:
    """The profile, its completion and missing fields, in one query: the account row with
    its profile (if saved) and the program's required fields (if it chose them)."""
    from django.contrib.postgres.fields import ArrayField
    from django.db.models import CharField

    from apps.partners.models import ProfileSettings
    from apps.partners.profile_fields import default_required_fields, required_fields_clean

    chosen = ProfileSettings.objects.filter(tenant_id=OuterRef("tenant_id")).values(
        "required_fields"
    )[:1]
    row = (
        PartnerAccount.objects.filter(tenant=tenant, pk=account.pk)
        .select_related("profile")
        .annotate(
            profile_required=Subquery(chosen, output_field=ArrayField(CharField(max_length=40)))
        )
        .first()
    )
    stored = getattr(row, "profile", None) if row is not None else None
    if stored is None:
        profile = partner_profile_prefilled(tenant=tenant, account=account)
    else:
        profile = stored
        profile.account = account
    chosen_fields = getattr(row, "profile_required", None)
    required = (
        required_fields_clean(chosen_fields)
        if chosen_fields is not None
        else default_required_fields()
    )
    return ProfileSummary(
        profile=profile,
        required=tuple(required),
        percent=partner_profile_completion(profile, required),
        missing=tuple(partner_profile_missing(profile, required)),
    )
