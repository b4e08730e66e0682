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

Set-based: one query per kind of lookup, bulk inserts, one audit INSERT (one event per
created or updated account, with before and after, and one summary event).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.services import users_get_or_create_many
from apps.audit.services import AuditEntry, audit_record_many
from apps.notifications.services import notification_create
from apps.partners import verbs
from apps.partners.catalog import partner_types_offered, tier_choices
from apps.partners.models import (
    FREE_MAIL_DOMAINS,
    PartnerAccount,
    PartnerDomain,
    PartnerType,
    PartnerUser,
    Region,
)
from apps.partners.services.accounts import _notify_cam_assigned, normalise_domain
from apps.partners.services.errors import PartnerError
from apps.partners.services.importing_parse import ImportRow, partner_import_parse
from apps.tenancy.models import STAFF_ROLES, Membership, Role, Tenant
from apps.tenancy.services import memberships_create_many

STASH_TTL = 60 * 60  # an uploaded file waits this long (seconds) for its Import
_ADVISORY_LOCK = 0x50495850  # pg_advisory_xact_lock(namespace, tenant id): one import at a time
_DOMAIN = re.compile(
    r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$"
)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
# What happens to one person of a row: a new identity; an identity of another program (or
# nobody's yet here) joins; promoted to partner admin; nothing; left removed.
NEW, ADD, PROMOTE, KEEP, REMOVED = "new", "add", "promote", "unchanged", "removed"


class PartnerImportRefused(PartnerError):
    """The import wrote nothing; `plan` is the dry run as it stands now (to show again)."""

    def __init__(self, message: str, plan: ImportPlan | None = None):
        super().__init__(message)
        self.plan = plan


class PartnerImportStale(PartnerImportRefused):
    """Something the dry run showed changed since (someone edited an account meanwhile)."""


@dataclass
class PlannedPerson:
    email: str
    first_name: str
    last_name: str
    role: str
    action: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class PlannedRow:
    line: int
    company: str
    action: str = UNCHANGED
    account_id: int | None = None
    account_name: str = ""
    domains: list[str] = field(default_factory=list)
    domains_added: list[str] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    people: list[PlannedPerson] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Resolved values for the writes (not part of the digest: their display values are).
    partner_type: PartnerType | None = None
    tier: str | None = None
    region: str | None = None
    cam: Any = None

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        return [(k, self.before.get(k), self.after[k]) for k in sorted(self.after)]

    def _key(self) -> list[Any]:
        return [
            self.line,
            self.action,
            self.account_id,
            self.before,
            self.after,
            sorted(self.domains),
            [(p.email, p.role, p.action) for p in self.people],
        ]


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    counts: Counter[str]
    digest: str

    @property
    def has_errors(self) -> bool:
        return bool(self.counts[ERROR])

    @property
    def error_rows(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == ERROR]

    @property
    def changes_anything(self) -> bool:
        return bool(self.counts[CREATE] or self.counts[UPDATE])

    @property
    def invitations(self) -> int:
        """People who join the program (and would get an invitation email)."""
        return sum(1 for r in self.rows for p in r.people if p.action in (NEW, ADD))


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


# --- The dry run ---------------------------------------------------------------------------


def _choices(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """lower-cased key or label -> key."""
    found: dict[str, str] = {}
    for key, label in pairs:
        found[str(label).lower()] = key
        found[str(key).lower()] = key
    return found


def _domains(row: ImportRow, errors: list[str]) -> list[str]:
    clean: list[str] = []
    for raw in row.domains:
        try:
            domain = normalise_domain(raw)
        except PartnerError:
            domain = ""
        if domain:
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError:
                domain = ""
        if not domain or not _DOMAIN.match(domain):
            errors.append(_("“%(domain)s” is not an email domain.") % {"domain": raw[:100]})
        elif domain in FREE_MAIL_DOMAINS:
            errors.append(
                _("%(domain)s is a free email provider: it cannot be a partner’s domain.")
                % {"domain": domain}
            )
        elif domain not in clean:
            clean.append(domain)
    return clean


def _lookups(
    *, tenant: Tenant, domains: set[str], names: set[str]
) -> tuple[dict[str, int], dict[str, list[int]]]:
    owners = dict(
        PartnerDomain.objects.filter(tenant=tenant, domain__in=sorted(domains)).values_list(
            "domain", "account_id"
        )
    )
    by_name: dict[str, list[int]] = defaultdict(list)
    for lname, pk in (
        PartnerAccount.objects.filter(tenant=tenant)
        .annotate(lname=Lower("name"))
        .filter(lname__in=sorted(names))
        .order_by("pk")
        .values_list("lname", "pk")
    ):
        by_name[lname].append(pk)
    return owners, by_name


def _display(field_name: str, value: Any) -> Any:
    if field_name == "partner_type":
        return value.name
    if field_name == "cam":
        return value.email
    return value


def partner_import_plan(*, tenant: Tenant, rows: list[ImportRow], lock: bool = False) -> ImportPlan:
    """The dry run of `rows`: what each would do now. Reads only (about ten queries whatever
    the number of rows). With `lock` (inside the apply's transaction) the matched accounts
    and the people's memberships are locked first, and the plan is made from what is
    committed once the locks are held."""
    types = {t.name.lower(): t for t in partner_types_offered(tenant=tenant)}
    tier_pairs = tier_choices(tenant=tenant)
    tiers = _choices(tier_pairs)
    regions = _choices([(k, str(v)) for k, v in Region.choices])
    row_domains = []
    for row in rows:
        errors = list(row.errors)
        row_domains.append((_domains(row, errors), errors))
    all_domains = {d for doms, _errors in row_domains for d in doms}
    names = {row.company.lower() for row in rows if row.company}
    owners, by_name = _lookups(tenant=tenant, domains=all_domains, names=names)
    wanted_ids = set(owners.values()) | {pk for pks in by_name.values() for pk in pks}
    accounts_qs = (
        PartnerAccount.objects.filter(tenant=tenant, pk__in=sorted(wanted_ids))
        .select_related("partner_type", "cam")
        .order_by("pk")
    )
    if lock:
        accounts_qs = accounts_qs.select_for_update(of=("self",))
    accounts = {a.pk: a for a in accounts_qs}
    if lock:
        # Now that they are locked, match again: what was committed meanwhile counts.
        owners, by_name = _lookups(tenant=tenant, domains=all_domains, names=names)
        now = set(owners.values()) | {pk for pks in by_name.values() for pk in pks}
        if now - set(accounts):
            raise PartnerImportStale(_stale_message())
    current: dict[int, set[str]] = defaultdict(set)
    for account_id, domain in PartnerDomain.objects.filter(
        tenant=tenant, account_id__in=sorted(accounts)
    ).values_list("account_id", "domain"):
        current[account_id].add(domain)
    cam_emails = {row.cam for row in rows if row.cam}
    cams = (
        {
            m.user.email.lower(): m.user
            for m in Membership.objects.filter(
                tenant=tenant,
                role__in=STAFF_ROLES,
                is_active=True,
                user__email__in=sorted(cam_emails),
            ).select_related("user")
        }
        if cam_emails
        else {}
    )
    emails = sorted({p.email for row in rows for p in row.users})
    memberships: dict[str, Membership] = {}
    known_users: set[str] = set()
    other_accounts: dict[int, str] = {}
    if emails:
        from django.contrib.auth import get_user_model

        known_users = set(
            get_user_model().objects.filter(email__in=emails).values_list("email", flat=True)
        )
        member_qs = (
            Membership.objects.filter(tenant=tenant, user__email__in=emails)
            .select_related("user", "partner_user")
            .order_by("pk")
        )
        if lock:
            member_qs = member_qs.select_for_update(of=("self",))
        memberships = {m.user.email.lower(): m for m in member_qs}
        linked = {
            m.partner_user.account_id
            for m in memberships.values()
            if getattr(m, "partner_user", None) is not None
        }
        other_accounts = dict(
            PartnerAccount.objects.filter(
                tenant=tenant, pk__in=sorted(linked - set(accounts))
            ).values_list("pk", "name")
        )
        other_accounts.update({pk: a.name for pk, a in accounts.items()})

    planned: list[PlannedRow] = []
    seen_domains: dict[str, int] = {}
    seen_accounts: dict[int, int] = {}
    seen_emails: dict[str, int] = {}
    for row, (doms, errors) in zip(rows, row_domains, strict=True):
        p = PlannedRow(line=row.line, company=row.company, domains=doms, errors=errors)
        for domain in doms:
            if domain in seen_domains:
                p.errors.append(
                    _("The domain %(domain)s is also on line %(line)d.")
                    % {"domain": domain, "line": seen_domains[domain]}
                )
            else:
                seen_domains[domain] = row.line
        account = _match(p, row, owners, by_name, accounts)
        if account is not None:
            if account.pk in seen_accounts:
                p.errors.append(
                    _("Line %(line)d already imports into the partner account “%(name)s”.")
                    % {"line": seen_accounts[account.pk], "name": account.name}
                )
            else:
                seen_accounts[account.pk] = row.line
            p.account_id, p.account_name = account.pk, account.name
        if row.partner_type:
            p.partner_type = types.get(row.partner_type.lower())
            if p.partner_type is None:
                p.errors.append(
                    _("Unknown partner type “%(type)s”. This program offers: %(types)s.")
                    % {"type": row.partner_type, "types": ", ".join(t.name for t in types.values())}
                )
        elif account is None:
            p.errors.append(_("A new partner needs a partner type."))
        if row.tier:
            p.tier = tiers.get(row.tier.lower())
            if p.tier is None:
                p.errors.append(
                    _("Unknown tier “%(tier)s”. The tiers are: %(tiers)s.")
                    % {"tier": row.tier, "tiers": ", ".join(str(label) for _k, label in tier_pairs)}
                )
        if row.region:
            p.region = regions.get(row.region.lower())
            if p.region is None:
                p.errors.append(
                    _("Unknown region “%(region)s”. The regions are: %(regions)s.")
                    % {
                        "region": row.region,
                        "regions": ", ".join(str(v) for _k, v in Region.choices),
                    }
                )
        if row.cam:
            p.cam = cams.get(row.cam)
            if p.cam is None:
                p.errors.append(
                    _(
                        "%(email)s is not an active member of the program’s staff, so cannot "
                        "be the channel manager."
                    )
                    % {"email": row.cam}
                )
        _people(p, row, account, memberships, known_users, other_accounts, seen_emails)
        _diff(p, account, current)
        planned.append(p)
    counts = Counter(p.action for p in planned)
    digest = hashlib.sha256(
        json.dumps([p._key() for p in planned], sort_keys=True, default=str).encode()
    ).hexdigest()[:32]
    return ImportPlan(rows=planned, counts=counts, digest=digest)


def _match(
    p: PlannedRow,
    row: ImportRow,
    owners: dict[str, int],
    by_name: dict[str, list[int]],
    accounts: dict[int, PartnerAccount],
) -> PartnerAccount | None:
    """The existing account a row is about: by one of its domains, else by its name."""
    found = sorted({owners[d] for d in p.domains if d in owners})
    if len(found) > 1:
        p.errors.append(
            _("Its domains belong to different partner accounts: %(accounts)s.")
            % {"accounts": ", ".join(f"“{accounts[pk].name}”" for pk in found if pk in accounts)}
        )
        return None
    if found:
        account = accounts[found[0]]
        if row.company and account.name.lower() != row.company.lower():
            # Another company's domain: refused, never merged into that account silently.
            domain = next(d for d in p.domains if owners.get(d) == account.pk)
            p.errors.append(
                _(
                    "The domain %(domain)s already belongs to the partner account “%(name)s”. "
                    "Use that name to update it, or remove the domain."
                )
                % {"domain": domain, "name": account.name}
            )
            return None
        return account
    named = by_name.get(row.company.lower(), [])
    if len(named) > 1:
        p.errors.append(
            _(
                "Several partner accounts are called “%(name)s”: add one of their "
                "domains to say which."
            )
            % {"name": row.company}
        )
        return None
    return accounts[named[0]] if named else None


def _people(
    p: PlannedRow,
    row: ImportRow,
    account: PartnerAccount | None,
    memberships: dict[str, Membership],
    known_users: set[str],
    other_accounts: dict[int, str],
    seen_emails: dict[str, int],
) -> None:
    for person in row.users:
        if person.email in seen_emails:
            p.errors.append(
                _("%(email)s is also on line %(line)d.")
                % {"email": person.email, "line": seen_emails[person.email]}
            )
            continue
        seen_emails[person.email] = row.line
        role = Role.PARTNER_ADMIN if person.admin else Role.PARTNER_USER
        membership = memberships.get(person.email)
        link = getattr(membership, "partner_user", None) if membership is not None else None
        action = NEW if person.email not in known_users else ADD
        if membership is not None:
            if membership.role in STAFF_ROLES:
                p.errors.append(
                    _("%(email)s is a member of the program staff.") % {"email": person.email}
                )
                continue
            if link is None or account is None or link.account_id != account.pk:
                name = other_accounts.get(link.account_id, "") if link is not None else ""
                p.errors.append(
                    _("%(email)s already belongs to the partner account “%(name)s”.")
                    % {"email": person.email, "name": name}
                    if name
                    else _("%(email)s already has access to the program.") % {"email": person.email}
                )
                continue
            if not membership.is_active:
                action, role = REMOVED, Role(membership.role)
                p.notes.append(
                    _("%(email)s was removed from this team: left as is.") % {"email": person.email}
                )
            elif person.admin and membership.role != Role.PARTNER_ADMIN:
                action = PROMOTE
            else:
                action, role = KEEP, Role(membership.role)
        p.people.append(
            PlannedPerson(
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                role=str(role),
                action=action,
            )
        )


def _diff(p: PlannedRow, account: PartnerAccount | None, current: dict[int, set[str]]) -> None:
    added = [x.email for x in p.people if x.action in (NEW, ADD)]
    admins = [x.email for x in p.people if x.action in (NEW, ADD) and x.role == Role.PARTNER_ADMIN]
    promoted = [x.email for x in p.people if x.action == PROMOTE]
    if p.errors:
        p.action = ERROR
        return
    if account is None:
        p.action = CREATE
        p.after = {
            "name": p.company,
            "partner_type": p.partner_type.name if p.partner_type else None,
            "tier": p.tier or PartnerAccount._meta.get_field("tier").get_default(),
            "region": p.region or "",
            "cam": p.cam.email if p.cam is not None else None,
            "domains": sorted(p.domains),
        }
        if added:
            p.after["users"] = added
        if admins:
            p.after["partner_admins"] = admins
        return
    for field_name, value in (
        ("partner_type", p.partner_type),
        ("tier", p.tier),
        ("region", p.region),
        ("cam", p.cam),
    ):
        if value is None:
            continue
        old = getattr(account, field_name)
        if (getattr(old, "pk", old)) != getattr(value, "pk", value):
            p.before[field_name] = _display(field_name, old) if old is not None else None
            p.after[field_name] = _display(field_name, value)
    had = current.get(account.pk, set())
    p.domains_added = [d for d in p.domains if d not in had]
    if p.domains_added:
        p.before["domains"] = sorted(had)
        p.after["domains"] = sorted(had | set(p.domains_added))
    if added:
        p.before["users"], p.after["users"] = [], added
    if promoted or admins:
        p.before["partner_admins"] = []
        p.after["partner_admins"] = sorted(promoted + admins)
    p.action = UPDATE if p.after else UNCHANGED


def _stale_message() -> str:
    return _(
        "Something changed since the dry run (someone edited a partner account or a person "
        "concerned). Nothing was imported: review the new dry run below and import again."
    )


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
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or not Membership.objects.filter(
            tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
        ).exists()
    ):
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
        tenant_id = tenant.pk
        transaction.on_commit(lambda: _invitations_send(tenant_id, member_ids))
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


def _invitations_send(tenant_id: int, member_ids: list[int]) -> None:
    from apps.partners.tasks import partner_import_invitations_fan_out

    partner_import_invitations_fan_out.delay(tenant_id, member_ids)
