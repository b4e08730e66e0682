"""The program's tiers, managed by its program admins (/console/settings/partner-types/):
install the defaults, add, rename, reorder, archive, restore, and `partner_tier_require` for
services given a tier by a form or a file. A tier's key is made from its label once and never
changes. Like the partner types (catalog.py, whose shared helpers this module uses), every
write locks its rows, checks labels case-insensitively and records an audit event.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.partners import verbs
from apps.partners.catalog import tier_choices
from apps.partners.models import TIER_KEY_MAX_LENGTH, PartnerTier, Tier
from apps.partners.services.catalog import (
    CatalogNameTaken,
    Direction,
    _clean_name,
    _move,
    _require_program_admin,
)
from apps.partners.services.errors import PartnerError
from apps.tenancy.models import Tenant

TIER_LABEL_MAX_LENGTH = 60


def partner_tiers_install_defaults(*, tenant: Tenant) -> list[PartnerTier]:
    """The default tiers (`Tier`) for a program that has none yet; nothing otherwise (a
    program that renamed or archived one keeps it as it is)."""
    if PartnerTier.objects.filter(tenant=tenant).exists():
        return []
    return PartnerTier.objects.bulk_create(
        [
            PartnerTier(tenant=tenant, key=key, label=str(label), position=i)
            for i, (key, label) in enumerate(Tier.choices)
        ],
        ignore_conflicts=True,
    )


def _tiers_ready(*, tenant: Tenant) -> None:
    """Before a change: make the program's catalogue its own (it may still be the default)."""
    partner_tiers_install_defaults(tenant=tenant)


def _tier_locked(*, tenant: Tenant, tier_id: int) -> PartnerTier:
    try:
        return PartnerTier.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=tier_id)
    except PartnerTier.DoesNotExist as exc:
        raise PartnerError(_("Unknown tier.")) from exc


def _tier_label_taken(label: str) -> CatalogNameTaken:
    return CatalogNameTaken(
        _("The program already has a tier called “%(name)s”.") % {"name": label}
    )


def _tier_label_check(*, tenant: Tenant, label: str, exclude: int | None = None) -> None:
    others = PartnerTier.objects.filter(tenant=tenant, label__iexact=label)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = others.values_list("label", flat=True).first()
    if taken is not None:
        raise _tier_label_taken(taken)


def _tier_key_for(*, tenant: Tenant, label: str) -> str:
    """A new key from the label (a slug, unique in the program, archived tiers included)."""
    base = slugify(label)[:TIER_KEY_MAX_LENGTH].strip("-") or "tier"
    taken = set(
        PartnerTier.objects.filter(tenant=tenant, key__startswith=base[:12]).values_list(
            "key", flat=True
        )
    )
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: TIER_KEY_MAX_LENGTH - len(suffix)].strip("-") + suffix
    return key


def _tier_record(*, tenant: Tenant, actor: Any, verb: str, tier: PartnerTier, data: Any) -> None:
    audit_record(tenant=tenant, actor=actor, verb=verb, target=tier, data=data)


@transaction.atomic
def partner_tier_create(*, tenant: Tenant, actor: Any, label: str) -> PartnerTier:
    """Add a tier at the end (the top of the ladder); its key is made from the label once
    and never changes."""
    _require_program_admin(tenant=tenant, actor=actor)
    label = _clean_name(label, max_length=TIER_LABEL_MAX_LENGTH)
    _tiers_ready(tenant=tenant)
    _tier_label_check(tenant=tenant, label=label)
    last = (
        PartnerTier.objects.filter(tenant=tenant).order_by("-position").values("position").first()
    )
    position = (last["position"] + 1) if last else 0
    key = _tier_key_for(tenant=tenant, label=label)
    try:
        with transaction.atomic():
            tier = PartnerTier.objects.create(
                tenant=tenant, key=key, label=label, position=position
            )
    except IntegrityError as exc:
        raise _tier_label_taken(label) from exc
    _tier_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TIER_CREATED,
        tier=tier,
        data={"from": None, "to": {"key": key, "label": label, "position": position}},
    )
    return tier


@transaction.atomic
def partner_tier_rename(*, tenant: Tenant, actor: Any, tier_id: int, label: str) -> PartnerTier:
    """Change a tier's label; its key, held by the accounts and asset audiences, stays."""
    _require_program_admin(tenant=tenant, actor=actor)
    label = _clean_name(label, max_length=TIER_LABEL_MAX_LENGTH)
    tier = _tier_locked(tenant=tenant, tier_id=tier_id)
    previous = tier.label
    if previous == label:
        return tier
    _tier_label_check(tenant=tenant, label=label, exclude=tier.pk)
    tier.label = label
    try:
        with transaction.atomic():
            tier.save(update_fields=["label"])
    except IntegrityError as exc:
        raise _tier_label_taken(label) from exc
    _tier_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TIER_RENAMED,
        tier=tier,
        data={"from": {"label": previous}, "to": {"label": label}, "previous": previous},
    )
    return tier


def _tier_archived_set(*, tenant: Tenant, actor: Any, tier_id: int, archived: bool) -> PartnerTier:
    _require_program_admin(tenant=tenant, actor=actor)
    # As for types: the active tiers first, in pk order, then the tier itself.
    active = list(
        PartnerTier.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, archived_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tier = _tier_locked(tenant=tenant, tier_id=tier_id)
    if (tier.archived_at is not None) == archived:
        raise PartnerError(
            (_("“%(name)s” is already archived.") if archived else _("“%(name)s” is not archived."))
            % {"name": tier.label}
        )
    if archived and active == [tier.pk]:
        raise PartnerError(
            _("“%(name)s” is the program’s only active tier: add another one before archiving it.")
            % {"name": tier.label}
        )
    tier.archived_at = timezone.now() if archived else None
    tier.save(update_fields=["archived_at"])
    _tier_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TIER_ARCHIVED if archived else verbs.PARTNER_TIER_RESTORED,
        tier=tier,
        data={"from": {"archived": not archived}, "to": {"archived": archived}},
    )
    return tier


@transaction.atomic
def partner_tier_archive(*, tenant: Tenant, actor: Any, tier_id: int) -> PartnerTier:
    """Hide a tier from every picker; accounts and assets that have it keep it."""
    return _tier_archived_set(tenant=tenant, actor=actor, tier_id=tier_id, archived=True)


@transaction.atomic
def partner_tier_restore(*, tenant: Tenant, actor: Any, tier_id: int) -> PartnerTier:
    """Offer an archived tier again."""
    return _tier_archived_set(tenant=tenant, actor=actor, tier_id=tier_id, archived=False)


@transaction.atomic
def partner_tier_move(
    *, tenant: Tenant, actor: Any, tier_id: int, direction: Direction
) -> PartnerTier:
    """Move a tier one place up or down (the order of every picker, and the Explorer's sort)."""
    _require_program_admin(tenant=tenant, actor=actor)
    locked = list(
        PartnerTier.objects.select_for_update(of=("self",)).filter(tenant=tenant).order_by("pk")
    )
    rows = sorted(locked, key=lambda t: (t.archived_at is not None, t.position, t.key))
    if not any(t.pk == tier_id for t in rows):
        raise PartnerError(_("Unknown tier."))
    moved = _move(rows, tier_id, direction)
    tier = next(t for t in rows if t.pk == tier_id)
    if moved is None:
        return tier
    changed = []
    for i, row in enumerate(rows):
        if row.position != i:
            row.position = i
            changed.append(row)
    PartnerTier.objects.bulk_update(changed, ["position"])
    _tier_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TIER_MOVED,
        tier=tier,
        data={"from": {"position": moved[0] + 1}, "to": {"position": moved[1] + 1}},
    )
    return tier


def partner_tier_require(*, tenant: Tenant, key: str, current: str = "") -> str:
    """`key` if the program offers that tier (or it is `current`, the tier the account has
    now, even archived); PartnerError otherwise. For services given a tier by a form or file."""
    if key and (key == current or key in dict(tier_choices(tenant=tenant))):
        return key
    raise PartnerError(_("Unknown tier."))
