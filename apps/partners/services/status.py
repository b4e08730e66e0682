"""A partner account's status: suspend and reactivate, through one transition table."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.partners import verbs
from apps.partners.models import (
    PartnerAccount,
    PartnerStatus,
)
from apps.partners.services.errors import PartnerError
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant

# --- Account status: suspend and reactivate ------------------------------------------------

StatusTable = dict[str, tuple[frozenset[str], str]]

# The only allowed changes of PartnerAccount.status: event -> (from statuses, to status).
# Services read targets from this table; the console's buttons are computed from it.
PARTNER_STATUS_TRANSITIONS: StatusTable = {
    "suspend": (frozenset({PartnerStatus.ACTIVE}), PartnerStatus.SUSPENDED),
    "reactivate": (frozenset({PartnerStatus.SUSPENDED}), PartnerStatus.ACTIVE),
}
# The audit verb each status event records.
PARTNER_STATUS_VERBS: dict[str, str] = {
    "suspend": verbs.PARTNER_SUSPENDED,
    "reactivate": verbs.PARTNER_REACTIVATED,
}
REASON_MAX_LENGTH = 500


def partner_status_events(account: PartnerAccount) -> frozenset[str]:
    """What staff may do with the account's status now ("suspend", "reactivate")."""
    return frozenset(
        event
        for event, (sources, _target) in PARTNER_STATUS_TRANSITIONS.items()
        if account.status in sources
    )


def _require_staff(*, tenant: Tenant, actor: Any, refusal: str = "") -> None:
    """PartnerError (with `refusal`) unless `actor` is an active staff member of `tenant`,
    or an API key of `tenant` (an actor that is not a user, named by `audit_label`: the API
    has checked its scope, apps/api/auth.py)."""
    labelled = getattr(actor, "audit_label", None) is not None
    if labelled and getattr(actor, "tenant_id", None) == tenant.pk:
        return
    if (
        labelled
        or actor is None
        or not getattr(actor, "is_authenticated", False)
        or not Membership.objects.filter(
            tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
        ).exists()
    ):
        raise PartnerError(refusal or _("Only the program’s staff can change a partner’s status."))


def _partner_status_change(
    *, tenant: Tenant, actor: Any, account_id: int, event: str, reason: str = ""
) -> PartnerAccount:
    _require_staff(tenant=tenant, actor=actor)
    try:
        account = PartnerAccount.objects.select_for_update(of=("self",)).get(
            tenant=tenant, pk=account_id
        )
    except PartnerAccount.DoesNotExist as exc:
        raise PartnerError(_("Unknown partner account.")) from exc
    sources, target = PARTNER_STATUS_TRANSITIONS[event]
    if account.status not in sources:
        raise PartnerError(
            _("“%(name)s” is already %(status)s.")
            % {"name": account.name, "status": account.get_status_display().lower()}
        )
    previous = account.status
    account.status = target
    account.save(update_fields=["status"])
    data: dict[str, Any] = {"from": previous, "to": target}
    reason = reason.strip()[:REASON_MAX_LENGTH]
    if reason:
        data["reason"] = reason
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=PARTNER_STATUS_VERBS[event],
        target=account,
        partner_id=account.pk,
        data=data,
    )
    return account


@transaction.atomic
def partner_suspend(
    *, tenant: Tenant, actor: Any, account_id: int, reason: str = ""
) -> PartnerAccount:
    """Suspend the account: its users can only see the suspended page; no alerts are raised.

    Their progress is kept untouched, so reactivating resumes where they were.
    """
    return _partner_status_change(
        tenant=tenant, actor=actor, account_id=account_id, event="suspend", reason=reason
    )


@transaction.atomic
def partner_reactivate(
    *, tenant: Tenant, actor: Any, account_id: int, reason: str = ""
) -> PartnerAccount:
    """Give a suspended account's users their portal back, where they left it."""
    return _partner_status_change(
        tenant=tenant, actor=actor, account_id=account_id, event="reactivate", reason=reason
    )


def partner_account_require_active(*, account: PartnerAccount) -> None:
    """Refuse (PartnerError) anything a suspended account's users try to do."""
    if account.status == PartnerStatus.SUSPENDED:
        raise PartnerError(
            _("This partner account is suspended. Contact the program team to reactivate it.")
        )
