"""CSV import of partner accounts and their people (console, program admins; DOMAIN §8).

upload -> `partner_import_parse` (importing_parse.py) -> `partner_import_plan` (a dry run:
every row is create / update / unchanged / error, nothing written) -> `partner_import_apply`,
which parses and plans the same bytes again inside one transaction with the matched
accounts (and the people's memberships) locked, and writes only if the plan is still the
one the admin saw (`ImportPlan.digest`): a CAM's edit in between is never overwritten, the
import is refused instead (PartnerImportStale, with the new dry run). All or nothing.

Rows are matched to existing accounts by domain, then by name (case-insensitive). An import
only adds: it sets the type, tier, region and CAM its cells give, adds domains and people,
promotes people flagged [admin]; it never clears a field, removes a domain, demotes or
removes anyone (the account's pages do that). So re-running a file changes nothing.

The dry run is in importing_plan.py (per-row steps in importing_rows.py); this module holds
the stash of the uploaded file between the dry run and the Import, and the Import itself.

Set-based: one query per kind of lookup, bulk inserts, one audit INSERT (one event per
created or updated account, with before and after, and one summary event).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.services import users_get_or_create_many
from apps.audit.services import AuditEntry, audit_record_many
from apps.notifications.services import notification_create
from apps.partners import verbs
from apps.partners.models import (
    PartnerAccount,
    PartnerDomain,
    PartnerUser,
)
from apps.partners.services.accounts import _notify_cam_assigned
from apps.partners.services.importing_parse import partner_import_parse
from apps.partners.services.importing_plan import (
    ImportPlan,
    PartnerImportRefused,
    PartnerImportStale,
    _stale_message,
    partner_import_plan,
)
from apps.partners.services.importing_rows import (
    ADD,
    CREATE,
    NEW,
    PROMOTE,
    UNCHANGED,
    UPDATE,
    PlannedRow,
)
from apps.tenancy.models import Membership, Role, Tenant
from apps.tenancy.selectors import is_active_program_admin
from apps.tenancy.services import memberships_create_many

STASH_TTL = 60 * 60  # an uploaded file waits this long (seconds) for its Import
_ADVISORY_LOCK = 0x50495850  # pg_advisory_xact_lock(namespace, tenant id): one import at a time
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    people_added: int
    invitations: int


# --- The uploaded file between the dry run and the Import ---------------------------------


@dataclass(frozen=True)
class StashedImport:
    token: str
    name: str
    data: bytes
    sha256: str


def _stash_key(tenant_id: int, user_id: int, token: str) -> str:
    return f"partners:import:{tenant_id}:{user_id}:{token}"


def partner_import_stash(*, tenant_id: int, user_id: int, name: str, data: bytes) -> StashedImport:
    """Keep the uploaded bytes server-side (cache) for the admin who uploaded them."""
    token = secrets.token_urlsafe(18)
    sha256 = hashlib.sha256(data).hexdigest()
    cache.set(
        _stash_key(tenant_id, user_id, token),
        {"name": name, "data": data, "sha256": sha256},
        STASH_TTL,
    )
    return StashedImport(token=token, name=name, data=data, sha256=sha256)


def partner_import_unstash(*, tenant_id: int, user_id: int, token: str) -> StashedImport | None:
    """The stashed upload (None when unknown, expired, another person's or altered)."""
    if not _TOKEN.match(token or ""):
        return None
    value = cache.get(_stash_key(tenant_id, user_id, token))
    if not isinstance(value, dict) or not isinstance(value.get("data"), bytes):
        return None
    if hashlib.sha256(value["data"]).hexdigest() != value.get("sha256"):
        return None
    return StashedImport(
        token=token, name=value["name"], data=value["data"], sha256=value["sha256"]
    )


def partner_import_discard(*, tenant_id: int, user_id: int, token: str) -> None:
    if _TOKEN.match(token or ""):
        cache.delete(_stash_key(tenant_id, user_id, token))


# --- Import ----------------------------------------------------------------------------------


def partner_import_apply(
    *,
    tenant: Tenant,
    actor: Any,
    data: bytes,
    digest: str,
    file_name: str = "",
    send_invitations: bool = True,
) -> ImportResult:
    """Import the file whose dry run had `digest`: everything, or nothing
    (PartnerImportRefused, with the dry run as it is now). Program admins only."""
    try:
        return _apply(
            tenant=tenant,
            actor=actor,
            data=data,
            digest=digest,
            file_name=file_name,
            send_invitations=send_invitations,
        )
    except IntegrityError as exc:
        # A domain or a person claimed by someone else between our checks and our inserts.
        raise PartnerImportStale(_stale_message()) from exc


def _require_program_admin(*, tenant: Tenant, actor: Any) -> None:
    if not is_active_program_admin(tenant=tenant, actor=actor):
        raise PartnerImportRefused(_("Only program admins can import partner accounts."))


@transaction.atomic
def _apply(
    *,
    tenant: Tenant,
    actor: Any,
    data: bytes,
    digest: str,
    file_name: str,
    send_invitations: bool,
) -> ImportResult:
    _require_program_admin(tenant=tenant, actor=actor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_LOCK, tenant.pk])
    plan = partner_import_plan(tenant=tenant, rows=partner_import_parse(data), lock=True)
    if plan.has_errors:
        raise PartnerImportRefused(
            _("Some rows have errors. Nothing was imported: correct the file and upload it again."),
            plan,
        )
    if plan.digest != digest:
        raise PartnerImportStale(_stale_message(), plan)
    result = ImportResult(
        created=plan.counts[CREATE],
        updated=plan.counts[UPDATE],
        unchanged=plan.counts[UNCHANGED],
        people_added=plan.invitations,
        invitations=plan.invitations if send_invitations else 0,
    )
    if not plan.changes_anything:
        return result  # the same file again: nothing to write, nothing to record
    member_ids = _write(tenant=tenant, actor=actor, plan=plan, file_name=file_name, result=result)
    if send_invitations and member_ids:
        _invitations_send(tenant=tenant, member_ids=member_ids)
    return result


def _write(
    *, tenant: Tenant, actor: Any, plan: ImportPlan, file_name: str, result: ImportResult
) -> list[int]:
    creates = [p for p in plan.rows if p.action == CREATE]
    updates = [p for p in plan.rows if p.action == UPDATE]
    default_tier = PartnerAccount._meta.get_field("tier").get_default()
    new_accounts = PartnerAccount.objects.bulk_create(
        [
            PartnerAccount(
                tenant=tenant,
                name=p.company,
                partner_type_id=p.partner_type.pk if p.partner_type else None,
                tier=p.tier or default_tier,
                region=p.region or "",
                cam_id=p.cam.pk if p.cam is not None else None,
            )
            for p in creates
        ],
        batch_size=2000,
    )
    for p, account in zip(creates, new_accounts, strict=True):
        p.account_id, p.account_name = account.pk, account.name
    locked = {
        a.pk: a
        for a in PartnerAccount.objects.filter(
            tenant=tenant, pk__in=[p.account_id for p in updates]
        )
    }
    changed_fields: set[str] = set()
    for p in updates:
        account = locked[p.account_id]  # type: ignore[index]
        for field_name in ("partner_type", "tier", "region", "cam"):
            if field_name in p.after:
                setattr(account, field_name, getattr(p, field_name))
                changed_fields.add(field_name)
    if changed_fields:
        PartnerAccount.objects.bulk_update(
            [locked[p.account_id] for p in updates if p.account_id in locked],  # type: ignore[index]
            sorted(changed_fields),
            batch_size=1000,
        )
    PartnerDomain.objects.bulk_create(
        [
            PartnerDomain(tenant=tenant, account_id=p.account_id, domain=d)
            for p in creates + updates
            for d in (p.domains if p.action == CREATE else p.domains_added)
        ],
        batch_size=5000,
    )
    member_ids = _people_write(tenant=tenant, rows=creates + updates)
    entries = [
        AuditEntry(
            tenant_id=tenant.pk,
            verb=verbs.PARTNER_IMPORTED if p.action == CREATE else verbs.PARTNER_IMPORT_UPDATED,
            target_type=PartnerAccount._meta.label_lower,
            target_id=p.account_id,  # type: ignore[arg-type]
            target_label=p.account_name,
            partner_id=p.account_id,
            data={
                "from": p.before or None,
                "to": p.after,
                "fields": ", ".join(sorted(p.after)),
                "line": p.line,
                "file": file_name,
            },
        )
        for p in creates + updates
    ]
    entries.append(
        AuditEntry(
            tenant_id=tenant.pk,
            verb=verbs.PARTNERS_IMPORT,
            target_type=Tenant._meta.label_lower,
            target_id=tenant.pk,
            target_label=str(tenant),
            data={
                "file": file_name,
                "rows": len(plan.rows),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "people_added": result.people_added,
                "invitations": result.invitations,
                "digest": plan.digest,
            },
        )
    )
    audit_record_many(actor=actor, entries=entries)
    _notify_cams(
        tenant=tenant, actor=actor, rows=creates + updates, accounts=new_accounts, locked=locked
    )
    return member_ids


def _people_write(*, tenant: Tenant, rows: list[PlannedRow]) -> list[int]:
    """Identities, memberships and account links of the people joining; promotions.
    Returns the new PartnerUser ids (whom the invitations go to)."""
    joining = [(p, x) for p in rows for x in p.people if x.action in (NEW, ADD)]
    promoted = [x.email for p in rows for x in p.people if x.action == PROMOTE]
    member_ids: list[int] = []
    if joining:
        users, _created = users_get_or_create_many(
            people={x.email: (x.first_name, x.last_name) for _p, x in joining}
        )
        memberships = memberships_create_many(
            tenant=tenant, roles={users[x.email].pk: x.role for _p, x in joining}
        )
        links = PartnerUser.objects.bulk_create(
            [
                PartnerUser(
                    tenant=tenant,
                    membership_id=memberships[users[x.email].pk].pk,
                    account_id=p.account_id,
                )
                for p, x in joining
            ],
            batch_size=2000,
        )
        member_ids = [link.pk for link in links]
    if promoted:
        Membership.objects.filter(
            tenant=tenant, user__email__in=promoted, role=Role.PARTNER_USER
        ).update(role=Role.PARTNER_ADMIN)
    return member_ids


def _notify_cams(
    *,
    tenant: Tenant,
    actor: Any,
    rows: list[PlannedRow],
    accounts: list[PartnerAccount],
    locked: dict[int, PartnerAccount],
) -> None:
    """One message per newly assigned CAM for the whole import (never one per partner)."""
    by_id = {a.pk: a for a in accounts} | locked
    assigned: dict[int, list[PartnerAccount]] = defaultdict(list)
    cams: dict[int, Any] = {}
    for p in rows:
        if "cam" in p.after and p.cam is not None and p.cam != actor:
            assigned[p.cam.pk].append(by_id[p.account_id])  # type: ignore[index]
            cams[p.cam.pk] = p.cam
    for cam_id, mine in assigned.items():
        if len(mine) == 1:
            _notify_cam_assigned(tenant=tenant, actor=actor, account=mine[0])
            continue
        names = sorted(a.name for a in mine)
        notification_create(
            tenant=tenant,
            recipient=cams[cam_id],
            kind="partners_assigned",
            context={
                "count": len(names),
                "names": names[:10],
                "actor_name": actor.get_full_name() if actor is not None else "Onramp",
            },
            url=reverse("partners:explorer") + f"?cam={cam_id}",
        )


def _invitations_send(*, tenant: Tenant, member_ids: list[int]) -> None:
    """One outbox message per person added, in the import's transaction (one INSERT)."""
    from apps.outbox.services import outbox_enqueue_many

    outbox_enqueue_many(
        tenant=tenant,
        kind="partners.import_invitation_email",
        payloads=[{"member_id": member_id} for member_id in member_ids],
        summaries=[f"partner user #{member_id}" for member_id in member_ids],
    )
