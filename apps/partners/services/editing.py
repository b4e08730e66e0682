"""Partner accounts by hand: add one, and edit its type, tier, region, CAM and domains."""

import hashlib
import json
from collections.abc import Collection
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.emaildomains import free_mail_checker
from apps.partners import verbs
from apps.partners.models import (
    PartnerAccount,
    PartnerDomain,
    PartnerType,
)
from apps.partners.services.accounts import (
    _notify_cam_assigned,
    normalise_domain,
    partner_account_create,
)
from apps.partners.services.errors import PartnerError
from apps.partners.services.status import _require_staff
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant

# --- Partner accounts by hand: add and edit (issue 10, point 3) ----------------------------


class PartnerDomainError(PartnerError):
    """A domain given for an account cannot be its domain (shown on the domains field)."""


class PartnerEditConflict(PartnerError):
    """The account changed since the form was opened (another person saved first)."""


def partner_account_version(*, account: PartnerAccount, domains: Collection[str]) -> str:
    """A short digest of the editable fields: an edit form carries it, and the update refuses
    a form opened before someone else's change (no silent lost update)."""
    state = {
        "partner_type": account.partner_type_id,
        "tier": account.tier,
        "region": account.region,
        "cam": account.cam_id,
        "domains": sorted(domains),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def _domains_check(
    *, tenant: Tenant, domains: Collection[str], account: PartnerAccount | None
) -> list[str]:
    """Normalise and de-duplicate `domains`; refuse free-mail domains and domains of another
    account in the program, naming them (PartnerDomainError)."""
    clean: list[str] = []
    is_free = free_mail_checker(tenant=tenant) if domains else None
    for raw in domains:
        try:
            domain = normalise_domain(raw)
        except PartnerError as exc:
            raise PartnerDomainError(str(exc)) from exc
        if is_free is not None and is_free(domain):
            raise PartnerDomainError(
                _("%(domain)s is a free email provider: it cannot be a partner’s domain.")
                % {"domain": domain}
            )
        if domain not in clean:
            clean.append(domain)
    taken = (
        PartnerDomain.objects.filter(tenant=tenant, domain__in=clean)
        .exclude(account=account)
        .select_related("account")
        .order_by("domain")
        .first()
    )
    if taken is not None:
        raise PartnerDomainError(
            _("The domain %(domain)s already belongs to the partner account “%(name)s”.")
            % {"domain": taken.domain, "name": taken.account.name}
        )
    return clean


def _cam_check(*, tenant: Tenant, cam: Any) -> None:
    if cam is None:
        return
    if not Membership.objects.filter(
        tenant=tenant, user=cam, role__in=STAFF_ROLES, is_active=True
    ).exists():
        raise PartnerError(_("The channel manager must be an active member of the staff."))


def _require_staff_member(*, tenant: Tenant, actor: Any) -> None:
    _require_staff(
        tenant=tenant,
        actor=actor,
        refusal=_("Only the program’s staff can add or edit partner accounts."),
    )


@transaction.atomic
def partner_account_add(
    *,
    tenant: Tenant,
    actor: Any,
    name: str,
    partner_type: PartnerType,
    tier: str,
    region: str = "",
    cam: Any = None,
    domains: Collection[str] = (),
) -> PartnerAccount:
    """Add a partner account by hand (console): staff only; its domains are checked (no
    free-mail domain, none of another account's) before anything is written."""
    _require_staff_member(tenant=tenant, actor=actor)
    if partner_type.tenant_id != tenant.pk:
        raise PartnerError(_("Unknown partner type."))
    clean = _domains_check(tenant=tenant, domains=domains, account=None)
    _cam_check(tenant=tenant, cam=cam)
    try:
        return partner_account_create(
            tenant=tenant,
            actor=actor,
            name=name,
            partner_type=partner_type,
            domains=clean,
            tier=tier,
            region=region,
            cam=cam,
        )
    except PartnerError as exc:
        # Checked above: only a concurrent claim of one of the domains gets here.
        raise PartnerDomainError(str(exc)) from exc


def _display(field: str, value: Any) -> Any:
    """A field's value as the audit event keeps it (JSON-friendly, readable)."""
    if field == "partner_type":
        return value.name if value is not None else None
    if field == "cam":
        return value.email if value is not None else None
    return value


@transaction.atomic
def partner_account_update(
    *,
    tenant: Tenant,
    actor: Any,
    account_id: int,
    version: str,
    partner_type: PartnerType,
    tier: str,
    region: str = "",
    cam: Any = None,
    domains: Collection[str] = (),
) -> PartnerAccount:
    """Edit an account's type, tier, region, CAM and domains, audited with the changed fields
    before and after. `version` is `partner_account_version` as the form showed it: if the
    account changed since, nothing is saved (PartnerEditConflict)."""
    _require_staff_member(tenant=tenant, actor=actor)
    try:
        account = (
            PartnerAccount.objects.select_for_update(of=("self",))
            .select_related("partner_type", "cam")
            .get(tenant=tenant, pk=account_id)
        )
    except PartnerAccount.DoesNotExist as exc:
        raise PartnerError(_("Unknown partner account.")) from exc
    current = list(
        PartnerDomain.objects.filter(tenant=tenant, account=account).values_list(
            "domain", flat=True
        )
    )
    if version != partner_account_version(account=account, domains=current):
        raise PartnerEditConflict(
            _(
                "Someone else changed “%(name)s” after you opened this form. Nothing was "
                "saved: review the current values and make your change again."
            )
            % {"name": account.name}
        )
    if partner_type.tenant_id != tenant.pk:
        raise PartnerError(_("Unknown partner type."))
    clean = _domains_check(tenant=tenant, domains=domains, account=account)
    if cam is not None and cam.pk != account.cam_id:
        _cam_check(tenant=tenant, cam=cam)
    wanted = {"partner_type": partner_type, "tier": tier, "region": region, "cam": cam}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    changed_fields: list[str] = []
    for field, value in wanted.items():
        old = getattr(account, field)
        if (old.pk if hasattr(old, "pk") else old) != (value.pk if hasattr(value, "pk") else value):
            before[field] = _display(field, old)
            after[field] = _display(field, value)
            setattr(account, field, value)
            changed_fields.append(field)
    removed = sorted(set(current) - set(clean))
    added = [d for d in clean if d not in current]
    if removed or added:
        before["domains"] = sorted(current)
        after["domains"] = sorted(clean)
    if not before:
        return account
    if changed_fields:
        account.save(update_fields=changed_fields)
    if removed:
        PartnerDomain.objects.filter(tenant=tenant, account=account, domain__in=removed).delete()
    for domain in added:
        try:
            with transaction.atomic():
                PartnerDomain.objects.create(tenant=tenant, account=account, domain=domain)
        except IntegrityError as exc:
            raise PartnerDomainError(
                _("The domain %(domain)s already belongs to another partner account.")
                % {"domain": domain}
            ) from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_UPDATED,
        target=account,
        partner_id=account.pk,
        data={"from": before, "to": after, "fields": ", ".join(sorted(before))},
    )
    if "cam" in changed_fields and account.cam is not None and account.cam != actor:
        _notify_cam_assigned(tenant=tenant, actor=actor, account=account)
    return account
