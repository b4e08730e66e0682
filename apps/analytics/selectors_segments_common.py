"""What the segment panels share: the partner tracks in scope, how partners are segmented
(type, tier, region: as they are now) and how their numbers are written in a panel's table.

A partner's tracking start is `PartnerTrack.enrolled_at`; its activation is its track's
`activated_at`, else its account's (`PartnerAccount.activated_at`, which the milestones layer
writes in the same statement): the data the milestones app keeps, no second source of truth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.milestones.models import PartnerTrack
from apps.partners.catalog import tier_catalogue
from apps.partners.models import Region

if TYPE_CHECKING:
    from apps.analytics.panels import AnalyticsFilters
    from apps.tenancy.models import Tenant

# A cell with no number: a median of nobody, a cohort day not reached yet (never 0).
DASH = "—"

# Activated: by the track (milestones) or, failing that, the account (both written together).
ACTIVATED = Q(activated_at__isnull=False) | Q(account__activated_at__isnull=False)
# Gone dark: not activated, and its activation window ran out (track or account flag).
DARK = Q(activated_at__isnull=True, account__activated_at__isnull=True) & (
    Q(dark_at__isnull=False) | Q(account__dark_since__isnull=False)
)


def tracks_in_scope(*, tenant: Tenant, filters: AnalyticsFilters) -> QuerySet[PartnerTrack]:
    """The milestone tracking rows of the accounts in scope (the accounts as a subquery, only
    when the filters narrow them: else the tenant filter alone, without reading every
    account)."""
    rows = PartnerTrack.objects.filter(tenant=tenant)
    if filters.narrows_accounts:
        rows = rows.filter(account__in=filters.accounts(tenant))
    return rows


def program_zone(tenant: Tenant) -> ZoneInfo:
    """The program's time zone (UTC when it has none or an unknown one)."""
    name = getattr(tenant, "time_zone", "") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def days(value: float | None) -> float | str:
    return DASH if value is None else round(float(value), 1)


@dataclass(frozen=True)
class Segment:
    """One way to split partners: the account fields grouped on (the first one is the
    segment's key), the table's first column, how a group is labelled and ordered."""

    key: str
    column: str
    fields: tuple[str, ...]
    label: Callable[[dict[str, Any]], str]
    order: Callable[[dict[str, Any]], Any]


def segments(*, tenant: Tenant) -> dict[str, Segment]:
    """Partner type, tier (labels from the program's catalogue: one query) and region."""
    tiers = tier_catalogue(tenant=tenant).rows
    tier_label = {key: label for key, label, _archived in tiers}
    tier_rank = {key: rank for rank, (key, _label, _archived) in enumerate(tiers)}
    region_label = dict(Region.choices)
    region_rank = {key: rank for rank, key in enumerate(Region.values)}
    return {
        "type": Segment(
            key="type",
            column=_("Partner type"),
            fields=(
                "account__partner_type_id",
                "account__partner_type__name",
                "account__partner_type__position",
            ),
            label=lambda row: str(row["account__partner_type__name"]),
            order=lambda row: (
                row["account__partner_type__position"],
                row["account__partner_type__name"],
            ),
        ),
        "tier": Segment(
            key="tier",
            column=_("Tier"),
            fields=("account__tier",),
            label=lambda row: str(tier_label.get(row["account__tier"], row["account__tier"])),
            order=lambda row: (
                tier_rank.get(row["account__tier"], len(tier_rank)),
                row["account__tier"],
            ),
        ),
        "region": Segment(
            key="region",
            column=_("Region"),
            fields=("account__region",),
            label=lambda row: (
                str(region_label.get(row["account__region"], row["account__region"]))
                if row["account__region"]
                else _("No region")
            ),
            order=lambda row: (
                region_rank.get(row["account__region"], len(region_rank)),
                row["account__region"],
            ),
        ),
    }


def ordered(rows: Sequence[dict[str, Any]], segment: Segment) -> list[dict[str, Any]]:
    return sorted(rows, key=segment.order)
