"""The program's catalogue of partner types and tiers, as pickers and importers see it.

Every form, filter and importer asks here for the choices a program offers, so that
per-program types and tiers (added, renamed, archived in the console) show up everywhere.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.partners.models import PartnerType, Tier
from apps.tenancy.models import Tenant


def partner_types_offered(*, tenant: Tenant) -> QuerySet[PartnerType]:
    """Partner types a new or edited account may be given (archived ones excluded)."""
    return PartnerType.objects.filter(tenant=tenant).order_by("position", "name")


def tier_choices(*, tenant: Tenant) -> list[tuple[str, str]]:
    """(key, label) of the tiers a new or edited account may be given, in display order."""
    return [(value, str(label)) for value, label in Tier.choices]


def tier_labels(*, tenant: Tenant) -> dict[str, str]:
    """key -> label for every tier the program has ever had (archived included), for display."""
    return {value: str(label) for value, label in Tier.choices}
