"""The program's partner types and tiers, managed by its program admins
(/console/settings/partner-types/): add, rename, reorder, archive, restore; a type nobody
uses can be deleted. This module holds the partner types and the helpers both share (the
admin check, name cleaning, `_move`, `CatalogNameTaken`); the tiers are in catalog_tiers.py.

Every write locks the rows it changes, checks names case-insensitively (the database holds
the same rule as a unique index, so a race ends in the same clear message) and records an
audit event with the values before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.partners import verbs
from apps.partners.catalog import partner_type_usage
from apps.partners.models import PartnerType
from apps.partners.services.errors import PartnerError
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import is_active_program_admin

Direction = Literal["up", "down"]
TYPE_NAME_MAX_LENGTH = 100


# Run with (tenant=, actor=, partner_type=) inside the transaction that adds a type, so a
# higher layer can set it up at once (milestones starts it on a copy of the closest track).
# Filled by those layers' AppConfig.ready (as `portal_gate_register`).
PartnerTypeCreatedHook = Callable[..., Any]
PARTNER_TYPE_CREATED_HOOKS: list[PartnerTypeCreatedHook] = []


def partner_type_created_hook_register(hook: PartnerTypeCreatedHook) -> PartnerTypeCreatedHook:
    """Run `hook` whenever a program admin adds a partner type (idempotent)."""
    if hook not in PARTNER_TYPE_CREATED_HOOKS:
        PARTNER_TYPE_CREATED_HOOKS.append(hook)
    return hook


class CatalogNameTaken(PartnerError):
    """Another type (or tier) of the program already has this name (shown on the name field)."""


def _require_program_admin(*, tenant: Tenant, actor: Any) -> None:
    if not is_active_program_admin(tenant=tenant, actor=actor):
        raise PartnerError(_("Only the program’s admins can change its partner types and tiers."))


def _clean_name(value: str, *, max_length: int) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise PartnerError(_("Give it a name."))
    if len(name) > max_length:
        raise PartnerError(_("Use at most %(max)d characters for the name.") % {"max": max_length})
    return name


# --- Partner types ----------------------------------------------------------------------------


def _type_locked(*, tenant: Tenant, type_id: int) -> PartnerType:
    try:
        return PartnerType.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=type_id)
    except PartnerType.DoesNotExist as exc:
        raise PartnerError(_("Unknown partner type.")) from exc


def _type_name_taken(name: str) -> CatalogNameTaken:
    return CatalogNameTaken(
        _("The program already has a partner type called “%(name)s”.") % {"name": name}
    )


def _type_name_check(*, tenant: Tenant, name: str, exclude: int | None = None) -> None:
    others = PartnerType.objects.filter(tenant=tenant, name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = others.values_list("name", flat=True).first()
    if taken is not None:
        raise _type_name_taken(taken)


def _type_record(
    *, tenant: Tenant, actor: Any, verb: str, partner_type: PartnerType, data: dict[str, Any]
) -> None:
    audit_record(tenant=tenant, actor=actor, verb=verb, target=partner_type, data=data)


@transaction.atomic
def partner_type_create(*, tenant: Tenant, actor: Any, name: str) -> PartnerType:
    """Add a partner type at the end of the list: program admins only; the name is unique in
    the program whatever its case (archived types included)."""
    _require_program_admin(tenant=tenant, actor=actor)
    name = _clean_name(name, max_length=TYPE_NAME_MAX_LENGTH)
    _type_name_check(tenant=tenant, name=name)
    last = (
        PartnerType.objects.filter(tenant=tenant).order_by("-position").values("position").first()
    )
    position = (last["position"] + 1) if last else 0
    try:
        with transaction.atomic():
            partner_type = PartnerType.objects.create(tenant=tenant, name=name, position=position)
    except IntegrityError as exc:
        raise _type_name_taken(name) from exc
    _type_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TYPE_CREATED,
        partner_type=partner_type,
        data={"from": None, "to": {"name": name, "position": position}},
    )
    for hook in PARTNER_TYPE_CREATED_HOOKS:
        hook(tenant=tenant, actor=actor, partner_type=partner_type)
    return partner_type


@transaction.atomic
def partner_type_rename(*, tenant: Tenant, actor: Any, type_id: int, name: str) -> PartnerType:
    """Rename a type (every account, pipeline and track shows the new name at once)."""
    _require_program_admin(tenant=tenant, actor=actor)
    name = _clean_name(name, max_length=TYPE_NAME_MAX_LENGTH)
    partner_type = _type_locked(tenant=tenant, type_id=type_id)
    previous = partner_type.name
    if previous == name:
        return partner_type
    _type_name_check(tenant=tenant, name=name, exclude=partner_type.pk)
    partner_type.name = name
    try:
        with transaction.atomic():
            partner_type.save(update_fields=["name"])
    except IntegrityError as exc:
        raise _type_name_taken(name) from exc
    _type_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TYPE_RENAMED,
        partner_type=partner_type,
        data={"from": {"name": previous}, "to": {"name": name}, "previous": previous},
    )
    return partner_type


@transaction.atomic
def partner_type_archive(*, tenant: Tenant, actor: Any, type_id: int) -> PartnerType:
    """Hide a type from every picker (new partner, edit, import, the application form); its
    accounts, pipelines and tracks keep it. The program keeps at least one active type."""
    _require_program_admin(tenant=tenant, actor=actor)
    # Lock the program's active types first, in pk order, so that two archives cannot leave
    # none (and cannot deadlock); then the type itself (already locked if it is active).
    active = list(
        PartnerType.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, archived_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    partner_type = _type_locked(tenant=tenant, type_id=type_id)
    if partner_type.archived_at is not None:
        raise PartnerError(_("“%(name)s” is already archived.") % {"name": partner_type.name})
    if active == [partner_type.pk]:
        raise PartnerError(
            _(
                "“%(name)s” is the program’s only active partner type: add another one before "
                "archiving it."
            )
            % {"name": partner_type.name}
        )
    partner_type.archived_at = timezone.now()
    partner_type.save(update_fields=["archived_at"])
    _type_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TYPE_ARCHIVED,
        partner_type=partner_type,
        data={"from": {"archived": False}, "to": {"archived": True}},
    )
    return partner_type


@transaction.atomic
def partner_type_restore(*, tenant: Tenant, actor: Any, type_id: int) -> PartnerType:
    """Offer an archived type again."""
    _require_program_admin(tenant=tenant, actor=actor)
    partner_type = _type_locked(tenant=tenant, type_id=type_id)
    if partner_type.archived_at is None:
        raise PartnerError(_("“%(name)s” is not archived.") % {"name": partner_type.name})
    partner_type.archived_at = None
    partner_type.save(update_fields=["archived_at"])
    _type_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TYPE_RESTORED,
        partner_type=partner_type,
        data={"from": {"archived": True}, "to": {"archived": False}},
    )
    return partner_type


@transaction.atomic
def partner_type_delete(*, tenant: Tenant, actor: Any, type_id: int) -> None:
    """Delete a type nothing refers to (no account, application, invitation, pipeline,
    track or asset audience); a type in use is refused, saying what uses it."""
    _require_program_admin(tenant=tenant, actor=actor)
    partner_type = _type_locked(tenant=tenant, type_id=type_id)
    used = partner_type_usage(tenant=tenant, type_ids=[partner_type.pk])[partner_type.pk]
    if used:
        raise PartnerError(
            _(
                "“%(name)s” cannot be deleted: it is used by %(uses)s. Archive it instead: it "
                "disappears from the forms and everything that uses it keeps it."
            )
            % {"name": partner_type.name, "uses": ", ".join(used)}
        )
    _type_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TYPE_DELETED,
        partner_type=partner_type,
        data={"from": {"name": partner_type.name}, "to": None},
    )
    try:
        with transaction.atomic():
            partner_type.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise PartnerError(
            _("“%(name)s” came into use meanwhile: archive it instead.")
            % {"name": partner_type.name}
        ) from exc


def _move(rows: list[Any], pk: int, direction: Direction) -> tuple[int, int] | None:
    """Renumber `rows` 0..n-1 with row `pk` moved one place; (old, new) index or None."""
    index = next((i for i, row in enumerate(rows) if row.pk == pk), None)
    if index is None:
        raise PartnerError(_("Unknown item."))
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(rows):
        return None
    if (rows[target].archived_at is None) != (rows[index].archived_at is None):
        return None  # active and archived items are listed apart
    rows[index], rows[target] = rows[target], rows[index]
    return index, target


@transaction.atomic
def partner_type_move(
    *, tenant: Tenant, actor: Any, type_id: int, direction: Direction
) -> PartnerType:
    """Move a type one place up or down the list every picker shows."""
    _require_program_admin(tenant=tenant, actor=actor)
    locked = list(
        PartnerType.objects.select_for_update(of=("self",)).filter(tenant=tenant).order_by("pk")
    )
    # The order the page shows: active types first (archived ones keep to the end).
    rows = sorted(locked, key=lambda t: (t.archived_at is not None, t.position, t.name.lower()))
    if not any(t.pk == type_id for t in rows):
        raise PartnerError(_("Unknown partner type."))
    moved = _move(rows, type_id, direction)
    partner_type = next(t for t in rows if t.pk == type_id)
    if moved is None:
        return partner_type
    changed = []
    for i, row in enumerate(rows):
        if row.position != i:
            row.position = i
            changed.append(row)
    PartnerType.objects.bulk_update(changed, ["position"])
    _type_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_TYPE_MOVED,
        partner_type=partner_type,
        data={"from": {"position": moved[0] + 1}, "to": {"position": moved[1] + 1}},
    )
    return partner_type
