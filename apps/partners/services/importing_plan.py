"""The dry run of a partner CSV import (`partner_import_plan`): the `ImportPlan` of every row,
with its digest, made with about ten queries whatever the number of rows; nothing written.

Also holds the refusals (`PartnerImportRefused`, `PartnerImportStale`), which carry the dry
run as it stands now. The per-row steps are in importing_rows.py; the stash of the uploaded
file and the Import itself in importing.py.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from apps.core.emaildomains import free_mail_checker
from apps.partners.catalog import partner_types_offered, tier_choices
from apps.partners.models import (
    PartnerAccount,
    PartnerDomain,
    Region,
)
from apps.partners.services.errors import PartnerError
from apps.partners.services.importing_parse import ImportRow
from apps.partners.services.importing_rows import (
    ADD,
    CREATE,
    ERROR,
    NEW,
    UPDATE,
    PlannedRow,
    _diff,
    _domains,
    _match,
    _people,
)
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant


class PartnerImportRefused(PartnerError):
    """The import wrote nothing; `plan` is the dry run as it stands now (to show again)."""

    def __init__(self, message: str, plan: ImportPlan | None = None):
        super().__init__(message)
        self.plan = plan


class PartnerImportStale(PartnerImportRefused):
    """Something the dry run showed changed since (someone edited an account meanwhile)."""


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


def _choices(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """lower-cased key or label -> key."""
    found: dict[str, str] = {}
    for key, label in pairs:
        found[str(label).lower()] = key
        found[str(key).lower()] = key
    return found


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
    is_free = free_mail_checker(tenant=tenant)
    for row in rows:
        errors = list(row.errors)
        row_domains.append((_domains(row, errors, is_free=is_free), errors))
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


def _stale_message() -> str:
    return _(
        "Something changed since the dry run (someone edited a partner account or a person "
        "concerned). Nothing was imported: review the new dry run below and import again."
    )
