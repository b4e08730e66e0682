"""The people's decisions on applications: a CAM in the queue (approve, add to an account,
reject, in bulk), or a partner admin for their own team (add, decline). Each locks the
application row and shares the recording steps of `decisions.py`: whoever locks the row first
decides; the other gets `InvalidTransition` saying who decided what, and nothing changes.
"""

from dataclasses import dataclass, field

from django.db import transaction

from apps.applications import verbs
from apps.applications.models import Application, DecidedVia
from apps.applications.services.after_commit import send_after_commit
from apps.applications.services.decisions import add_locked, approve_locked, decision_record
from apps.applications.services.errors import ApplicationError
from apps.applications.services.transitions import lock_application, require
from apps.audit.services import audit_record
from apps.outbox.services import outbox_batch
from apps.partners.models import PartnerAccount, PartnerType, PartnerUser
from apps.tenancy.models import Role


@transaction.atomic
def application_approve(
    *,
    tenant,
    actor,
    application_id: int,
    partner_type: PartnerType | None = None,
    via: str = DecidedVia.CONSOLE,
) -> Application:
    """Approve as a new partner account (of `partner_type`, by default the requested one).
    `actor` is a staff member (`via` console) or an API key (`via` api)."""
    application = lock_application(tenant=tenant, application_id=application_id)
    require(application, "approve")
    if partner_type is None:
        partner_type = PartnerType.objects.get(tenant=tenant, pk=application.partner_type_id)
    with outbox_batch():  # the approval's emails and notifications: one INSERT
        approve_locked(
            tenant=tenant,
            actor=actor,
            application=application,
            partner_type=partner_type,
            via=via,
        )
    return application


@transaction.atomic
def application_add_to_account(
    *, tenant, actor, application_id: int, account_id: int
) -> Application:
    """Add the applicant as a user of an existing partner account (any one of the tenant's)."""
    application = lock_application(tenant=tenant, application_id=application_id)
    require(application, "add")
    account = PartnerAccount.objects.filter(tenant=tenant, pk=account_id).first()
    if account is None:
        raise ApplicationError("Choose one of your partner accounts.")
    add_locked(
        tenant=tenant,
        actor=actor,
        application=application,
        account=account,
        via=DecidedVia.CONSOLE,
    )
    return application


@transaction.atomic
def application_reject(
    *,
    tenant,
    actor,
    application_id: int,
    reason: str = "",
    notify_applicant: bool = False,
    via: str = DecidedVia.CONSOLE,
) -> Application:
    application = lock_application(tenant=tenant, application_id=application_id)
    before = application.status
    target = require(application, "reject")
    reason = reason.strip()[:2000]
    decision_record(application, status=target, actor=actor, via=via, reason=reason)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.APPLICATION_REJECTED,
        target=application,
        partner_id=application.matched_account_id,
        data={"from": before, "to": target, "reason": reason, "emailed": notify_applicant},
    )
    if notify_applicant:
        send_after_commit(tenant=tenant, kind="rejected", application_id=application.pk)
    return application


BULK_MAX = 200


@dataclass
class BulkResult:
    done: list = field(default_factory=list)  # applications decided
    failed: list = field(default_factory=list)  # (application id, message)


def applications_bulk_decide(
    *,
    tenant,
    actor,
    application_ids: list[int],
    decision: str,
    reason: str = "",
    notify_applicant: bool = False,
) -> BulkResult:
    """Approve (as new partner accounts) or reject several applications, in id order.

    Each application is its own transaction: one that someone else decided meanwhile is
    reported and skipped, and does not undo the others.
    """
    if decision not in ("approve", "reject"):
        raise ApplicationError("Choose approve or reject.")
    result = BulkResult()
    for pk in sorted(set(application_ids))[:BULK_MAX]:
        try:
            if decision == "approve":
                app = application_approve(tenant=tenant, actor=actor, application_id=pk)
            else:
                app = application_reject(
                    tenant=tenant,
                    actor=actor,
                    application_id=pk,
                    reason=reason,
                    notify_applicant=notify_applicant,
                )
            result.done.append(app)
        except ApplicationError as exc:
            result.failed.append((pk, str(exc)))
    return result


# --- The portal (partner admins, for their own team) -------------------------------------


def _team_account(*, tenant, actor, application: Application) -> PartnerAccount:
    link = (
        PartnerUser.objects.filter(
            tenant=tenant,
            membership__user=actor,
            membership__role=Role.PARTNER_ADMIN,
            membership__is_active=True,
        )
        .select_related("account")
        .first()
    )
    if link is None or application.matched_account_id != link.account_id:
        raise ApplicationError("That request does not exist.")
    return link.account


@transaction.atomic
def application_team_add(*, tenant, actor, application_id: int) -> Application:
    """A partner admin adds a matching applicant to their own partner account."""
    application = lock_application(tenant=tenant, application_id=application_id)
    account = _team_account(tenant=tenant, actor=actor, application=application)
    require(application, "add")
    add_locked(
        tenant=tenant,
        actor=actor,
        application=application,
        account=account,
        via=DecidedVia.PORTAL,
    )
    return application


@transaction.atomic
def application_team_decline(
    *, tenant, actor, application_id: int, reason: str = ""
) -> Application:
    """A partner admin declines a matching applicant; the applicant is told by email."""
    application = lock_application(tenant=tenant, application_id=application_id)
    account = _team_account(tenant=tenant, actor=actor, application=application)
    before = application.status
    target = require(application, "decline")
    reason = reason.strip()[:2000]
    decision_record(application, status=target, actor=actor, via=DecidedVia.PORTAL, reason=reason)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.APPLICATION_DECLINED,
        target=application,
        partner_id=account.pk,
        data={"from": before, "to": target, "partner": account.name, "reason": reason},
    )
    send_after_commit(tenant=tenant, kind="declined", application_id=application.pk)
    return application
