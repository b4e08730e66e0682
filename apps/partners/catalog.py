"""The program's catalogue of partner types and tiers, as pickers and importers see it.

Every form, filter and importer asks here for the choices a program offers, so that
per-program types and tiers (added, renamed, archived in the console) show up everywhere.

A program whose tiers were never installed (one made outside `program_create` before
`program_complete` ran, or a bare test tenant) is offered the default set (`Tier`); the
first change in the console installs it as the program's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, Model, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.partners.models import PartnerAccount, PartnerTier, PartnerType, Tier
from apps.tenancy.models import Tenant


def partner_types_offered(*, tenant: Tenant, keep: int | None = None) -> QuerySet[PartnerType]:
    """Partner types a new or edited account may be given (archived ones excluded, except
    `keep`: the type an edited account has now)."""
    offered = Q(archived_at__isnull=True)
    if keep:
        offered |= Q(pk=keep)
    return PartnerType.objects.filter(offered, tenant=tenant).order_by("position", "name")


@dataclass(frozen=True)
class TierCatalogue:
    """Every tier of a program, read once: (key, label, archived) in display order."""

    rows: tuple[tuple[str, str, bool], ...]

    def choices(self, keep: Iterable[str] | str = ()) -> list[tuple[str, str]]:
        kept = {keep} if isinstance(keep, str) else set(keep)
        return [(key, label) for key, label, archived in self.rows if not archived or key in kept]

    def labels(self) -> dict[str, str]:
        return {key: label for key, label, _archived in self.rows}

    def filter_choices(self) -> list[tuple[str, str]]:
        return [
            (key, _("%(label)s (archived)") % {"label": label} if archived else label)
            for key, label, archived in self.rows
        ]


def tier_catalogue(*, tenant: Tenant) -> TierCatalogue:
    """The program's tiers in one query (the default set if it has none of its own yet)."""
    rows = tuple(
        (key, label, archived_at is not None)
        for key, label, archived_at in PartnerTier.objects.filter(tenant=tenant)
        .order_by("position", "key")
        .values_list("key", "label", "archived_at")
    )
    if not rows:
        rows = tuple((str(key), str(label), False) for key, label in Tier.choices)
    return TierCatalogue(rows=rows)


def tier_choices(*, tenant: Tenant, keep: Iterable[str] | str = ()) -> list[tuple[str, str]]:
    """(key, label) of the tiers a new or edited account may be given, in display order;
    archived tiers only when in `keep` (the tier(s) the edited object has now)."""
    return tier_catalogue(tenant=tenant).choices(keep)


def tier_labels(*, tenant: Tenant) -> dict[str, str]:
    """key -> label for every tier the program has ever had (archived included), for display."""
    return tier_catalogue(tenant=tenant).labels()


def tier_filter_choices(*, tenant: Tenant) -> list[tuple[str, str]]:
    """(key, label) of every tier, archived ones marked, for filters (history keeps them)."""
    return tier_catalogue(tenant=tenant).filter_choices()


# --- What uses a partner type (a type in use cannot be deleted) ----------------------------


def _type_references() -> list[tuple[type[Model], str]]:
    """(model, field name) of every foreign key to PartnerType, in any app: found from the
    model's relations, so a later layer's new reference is checked without naming it here."""
    refs: list[tuple[type[Model], str]] = []
    for relation in PartnerType._meta.get_fields(include_hidden=True):
        if (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            related: type[Model] = relation.related_model  # type: ignore[assignment]
            refs.append((related, relation.field.name))  # type: ignore[union-attr]
    return sorted(refs, key=lambda ref: ref[0]._meta.label_lower)


# How a reference reads in the "in use" message; a reference not listed here reads by its
# model's verbose name.
_REFERENCE_WORDS = {
    "partners.partneraccount": lambda n: ngettext(
        "%(count)d partner account", "%(count)d partner accounts", n
    ),
    "onboarding.pipelineassignment": lambda n: ngettext(
        "its onboarding pipeline", "its onboarding pipelines", n
    ),
    "milestones.track": lambda n: ngettext("its milestone track", "its milestone tracks", n),
    "applications.application": lambda n: ngettext(
        "%(count)d application", "%(count)d applications", n
    ),
    "applications.invitation": lambda n: ngettext(
        "%(count)d invitation to apply", "%(count)d invitations to apply", n
    ),
    "content.assetaudiencetype": lambda n: ngettext(
        "the audience of %(count)d asset", "the audience of %(count)d assets", n
    ),
}


def partner_type_usage(*, tenant: Tenant, type_ids: list[int]) -> dict[int, list[str]]:
    """type id -> what uses it, in words ("3 partner accounts", "its milestone track"); one
    grouped query per kind of reference, however many types."""
    usage: dict[int, list[str]] = {pk: [] for pk in type_ids}
    if not type_ids:
        return usage
    for model, field in _type_references():
        counts = (
            model._default_manager.filter(tenant=tenant, **{f"{field}__in": type_ids})
            .order_by()
            .values_list(field)
            .annotate(n=Count("pk"))
        )
        words = _REFERENCE_WORDS.get(model._meta.label_lower)
        for type_id, n in counts:
            if words is not None:
                usage[type_id].append(words(n) % {"count": n})
            else:
                usage[type_id].append(f"{n} {model._meta.verbose_name_plural}")
    return usage


# --- The settings page (/console/settings/partner-types/) ------------------------------------


def partner_type_rows(*, tenant: Tenant) -> list[PartnerType]:
    """Every type of the program (archived last), each with `usage`: what refers to it, in
    words (empty when it can be deleted). A constant number of queries."""
    types = list(
        PartnerType.objects.filter(tenant=tenant).order_by(
            F("archived_at").asc(nulls_first=True), "position", "name"
        )
    )
    usage = partner_type_usage(tenant=tenant, type_ids=[t.pk for t in types])
    for partner_type in types:
        partner_type.usage = usage[partner_type.pk]  # type: ignore[attr-defined]
    return types


def partner_tier_rows(*, tenant: Tenant) -> list[PartnerTier]:
    """Every tier of the program (archived last), each with `account_count`. Two queries. A
    program still on the default set gets it as unsaved rows (pk None: nothing to act on)."""
    tiers = list(
        PartnerTier.objects.filter(tenant=tenant).order_by(
            F("archived_at").asc(nulls_first=True), "position", "key"
        )
    )
    if not tiers:
        tiers = [
            PartnerTier(tenant=tenant, key=key, label=str(label), position=i)
            for i, (key, label) in enumerate(Tier.choices)
        ]
    counts = dict(
        PartnerAccount.objects.filter(tenant=tenant)
        .order_by()
        .values_list("tier")
        .annotate(n=Count("pk"))
    )
    for tier in tiers:
        tier.account_count = counts.get(tier.key, 0)  # type: ignore[attr-defined]
    return tiers


def partner_type_get(*, tenant: Tenant, pk: int) -> PartnerType | None:
    return PartnerType.objects.filter(tenant=tenant, pk=pk).first()


def partner_tier_get(*, tenant: Tenant, pk: int) -> PartnerTier | None:
    return PartnerTier.objects.filter(tenant=tenant, pk=pk).first()
