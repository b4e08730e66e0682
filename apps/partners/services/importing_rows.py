"""One row of a partner CSV import, planned: what it would do (create / update / unchanged /
error), with the people it brings and the fields it changes.

Holds the action constants, `PlannedPerson` and `PlannedRow`, and the per-row steps of the
dry run (importing_plan.py): cleaning the domains, matching the row to an existing account
(`_match`), checking its people (`_people`) and computing its before/after (`_diff`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from apps.core.emaildomains import is_free_mail
from apps.partners.models import (
    PartnerAccount,
    PartnerType,
)
from apps.partners.services.accounts import normalise_domain
from apps.partners.services.errors import PartnerError
from apps.partners.services.importing_parse import ImportRow
from apps.tenancy.models import STAFF_ROLES, Membership, Role

_DOMAIN = re.compile(
    r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$"
)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
# What happens to one person of a row: a new identity; an identity of another program (or
# nobody's yet here) joins; promoted to partner admin; nothing; left removed.
NEW, ADD, PROMOTE, KEEP, REMOVED = "new", "add", "promote", "unchanged", "removed"


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


def _domains(
    row: ImportRow, errors: list[str], *, is_free: Callable[[str], bool] = is_free_mail
) -> list[str]:
    """The row's domains, cleaned; `is_free` is the program's free-mail check
    (`free_mail_checker(tenant=...)`, so its own additions are refused too)."""
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
        elif is_free(domain):
            errors.append(
                _("%(domain)s is a free email provider: it cannot be a partner’s domain.")
                % {"domain": domain}
            )
        elif domain not in clean:
            clean.append(domain)
    return clean


def _display(field_name: str, value: Any) -> Any:
    if field_name == "partner_type":
        return value.name
    if field_name == "cam":
        return value.email
    return value


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
