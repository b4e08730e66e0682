"""Deciding applications: the automatic decision after confirmation (DOMAIN §3's table),
and the people's decisions — a CAM in the queue, or a partner admin for their own team.

Every decision locks the application row, checks TRANSITIONS, writes its audit event in the
same transaction and sends its emails after the commit. Whoever locks the row first decides;
the other gets `InvalidTransition` saying who decided what, and nothing changes.
"""

import contextlib
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.applications import verbs
from apps.applications.countries import region_for
from apps.applications.models import (
    Application,
    ApplicationStatus,
    DecidedVia,
    DecisionRule,
    ProgramSettings,
)
from apps.applications.selectors import partner_admins_of, program_settings_get
from apps.applications.services.after_commit import pending_changed, send_after_commit
from apps.applications.services.errors import ApplicationError, InvalidTransition
from apps.applications.services.program import cam_for_new_partner
from apps.applications.services.transitions import lock_application, require
from apps.audit.services import audit_record
from apps.core.emaildomains import is_free_mail
from apps.notifications.services import notification_create
from apps.onboarding.services.enrollment import partner_enroll
from apps.onboarding.services.errors import OnboardingError
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, PartnerUser
from apps.partners.services import (
    PartnerError,
    partner_account_create,
    partner_domain_add,
    partner_user_add,
)
from apps.tenancy.models import Role

S = ApplicationStatus

PUBLIC = "public"
MATCHED = "matched"
UNMATCHED = "unmatched"


def decision_rule(*, auto_onboarding: bool, domain_matching: bool, domain_kind: str):
    """DOMAIN §3, row by row. `domain_kind`: PUBLIC, MATCHED or UNMATCHED.

    | auto-onboarding | domain matching | email domain               | outcome               |
    | off             | off             | any                        | Pending               |
    | on              | off             | any                        | Approved: new account |
    | any             | on              | matches a partner account  | Pending, it proposed  |
    | any             | on              | matches none               | Approved: new account |
    | any             | on              | public mail provider       | Pending               |

    Returns (status, DecisionRule).
    """
    if domain_matching:
        if domain_kind == PUBLIC:
            return S.PENDING, DecisionRule.PUBLIC_DOMAIN
        if domain_kind == MATCHED:
            return S.PENDING, DecisionRule.DOMAIN_MATCHED
        return S.APPROVED, DecisionRule.DOMAIN_UNMATCHED
    if auto_onboarding:
        return S.APPROVED, DecisionRule.AUTO_ONBOARDING
    return S.PENDING, DecisionRule.MANUAL


@dataclass(frozen=True)
class Decision:
    application: Application
    outcome: str  # S.PENDING or S.APPROVED
    rule: str
    matched_account: PartnerAccount | None = None
    note: str = ""


@transaction.atomic
def application_decide(*, tenant, application_id: int, actor=None) -> Decision:
    """Apply the decision table to a just-confirmed application. Runs once per application.

    Approved: a new partner account (see `application_approve`). Pending: it waits in the
    queue, with the matched partner account proposed, whose partner admins are told. An
    automatic approval that a rule refuses (the address joined another partner meanwhile)
    leaves the application pending with a note, instead of failing the confirmation.
    """
    application = lock_application(tenant=tenant, application_id=application_id)
    if application.status != S.PENDING or application.rule:
        raise InvalidTransition("This application has already been through the decision.")
    settings = program_settings_get(tenant=tenant)
    domain = application.email_domain
    matched = None
    if is_free_mail(domain, tenant=tenant):
        # Free mail (the maintained list, or the program's additions) never matches, even
        # a domain an account holds from before the list knew it.
        kind = PUBLIC
    else:
        if settings.domain_matching:
            row = (
                PartnerDomain.objects.filter(tenant=tenant, domain=domain)
                .select_related("account")
                .first()
            )
            matched = row.account if row else None
        kind = MATCHED if matched else UNMATCHED
    outcome, rule = decision_rule(
        auto_onboarding=settings.auto_onboarding,
        domain_matching=settings.domain_matching,
        domain_kind=kind,
    )
    application.rule = rule
    application.matched_account = matched
    application.save(update_fields=["rule", "matched_account", "updated_at"])

    note = ""
    if outcome == S.APPROVED:
        try:
            with transaction.atomic():
                _approve(
                    tenant=tenant,
                    actor=actor,
                    application=application,
                    partner_type=application.partner_type,
                    via=DecidedVia.AUTO,
                    settings=settings,
                )
            return Decision(application, S.APPROVED, rule, matched)
        except ApplicationError as exc:
            application.refresh_from_db()
            note = f"Not approved automatically: {exc}"[:300]
            application.review_note = note
            application.save(update_fields=["review_note", "updated_at"])
            outcome = S.PENDING
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.APPLICATION_QUEUED,
        target=application,
        partner_id=matched.pk if matched else None,
        data={"rule": rule, "matched": matched.name if matched else None, "note": note or None},
    )
    if matched is not None:
        _notify_team_request(tenant=tenant, application=application, account=matched)
    return Decision(application, outcome, rule, matched, note)


def _notify_team_request(*, tenant, application: Application, account: PartnerAccount) -> None:
    for admin in partner_admins_of(tenant=tenant, account_id=account.pk):
        notification_create(
            tenant=tenant,
            recipient=admin,
            kind="application_team_request",
            context={"application": application, "account": account},
            url=reverse("applications_portal:requests"),
        )


def _record(application: Application, *, status: str, actor, via: str, account=None, reason=""):
    pending_changed(tenant_id=application.tenant_id)
    application.status = status
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decided_via = via
    application.decision_reason = reason
    fields = ["status", "decided_by", "decided_at", "decided_via", "decision_reason"]
    if account is not None:
        application.partner_account = account
        fields.append("partner_account")
    application.save(update_fields=[*fields, "updated_at"])


def _approve(
    *,
    tenant,
    actor,
    application: Application,
    partner_type: PartnerType,
    via: str,
    settings: ProgramSettings | None = None,
) -> PartnerAccount:
    """A new, active partner account with the applicant as its first partner admin,
    its email domain (unless public or owned), its pipeline, and a CAM."""
    before = application.status
    target = require(application, "approve")
    if partner_type.tenant_id != tenant.pk:
        raise ApplicationError("Unknown partner type.")
    settings = settings or program_settings_get(tenant=tenant)
    cam = cam_for_new_partner(tenant=tenant, settings=settings, country=application.country)
    try:
        account = partner_account_create(
            tenant=tenant,
            actor=actor,
            name=application.company,
            partner_type=partner_type,
            country=application.country,
            region=region_for(application.country),
            website=application.website,
            cam=cam,
        )
    except PartnerError as exc:
        raise ApplicationError(str(exc)) from exc
    domain = application.email_domain
    if (
        not is_free_mail(domain, tenant=tenant)
        and not PartnerDomain.objects.filter(tenant=tenant, domain=domain).exists()
    ):
        # Taken by a concurrent approval, or not a domain we can own: the account keeps none.
        with contextlib.suppress(PartnerError):
            partner_domain_add(tenant=tenant, actor=actor, account=account, domain=domain)
    try:
        partner_user_add(
            tenant=tenant,
            actor=actor,
            account=account,
            email=application.email,
            role=Role.PARTNER_ADMIN,
            first_name=application.first_name,
            last_name=application.last_name,
        )
    except PartnerError as exc:
        raise ApplicationError(str(exc)) from exc
    try:
        enrollment = partner_enroll(tenant=tenant, actor=actor, account=account)
    except OnboardingError as exc:
        raise ApplicationError(str(exc)) from exc
    _record(application, status=target, actor=actor, via=via, account=account)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.APPLICATION_APPROVED,
        target=application,
        partner_id=account.pk,
        data={
            "from": before,
            "to": target,
            "via": via,
            "partner": account.name,
            "type": partner_type.name,
            "cam": cam.email if cam else None,
            "pipeline": enrollment.pipeline.name if enrollment else None,
        },
    )
    send_after_commit(tenant=tenant, kind="approved", application_id=application.pk)
    return account


def _add(*, tenant, actor, application: Application, account: PartnerAccount, via: str):
    """The applicant becomes a partner user of an existing account: the user and the email."""
    before = application.status
    target = require(application, "add")
    try:
        partner_user_add(
            tenant=tenant,
            actor=actor,
            account=account,
            email=application.email,
            role=Role.PARTNER_USER,
            first_name=application.first_name,
            last_name=application.last_name,
        )
    except PartnerError as exc:
        raise ApplicationError(str(exc)) from exc
    _record(application, status=target, actor=actor, via=via, account=account)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.APPLICATION_ADDED,
        target=application,
        partner_id=account.pk,
        data={"from": before, "to": target, "via": via, "partner": account.name},
    )
    send_after_commit(tenant=tenant, kind="added", application_id=application.pk)


# --- The console (CAMs and program admins) ------------------------------------------------


@transaction.atomic
def application_approve(
    *, tenant, actor, application_id: int, partner_type: PartnerType | None = None
) -> Application:
    """Approve as a new partner account (of `partner_type`, by default the requested one)."""
    application = lock_application(tenant=tenant, application_id=application_id)
    require(application, "approve")
    if partner_type is None:
        partner_type = PartnerType.objects.get(tenant=tenant, pk=application.partner_type_id)
    _approve(
        tenant=tenant,
        actor=actor,
        application=application,
        partner_type=partner_type,
        via=DecidedVia.CONSOLE,
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
    _add(
        tenant=tenant,
        actor=actor,
        application=application,
        account=account,
        via=DecidedVia.CONSOLE,
    )
    return application


@transaction.atomic
def application_reject(
    *, tenant, actor, application_id: int, reason: str = "", notify_applicant: bool = False
) -> Application:
    application = lock_application(tenant=tenant, application_id=application_id)
    before = application.status
    target = require(application, "reject")
    reason = reason.strip()[:2000]
    _record(application, status=target, actor=actor, via=DecidedVia.CONSOLE, reason=reason)
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
    _add(
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
    _record(application, status=target, actor=actor, via=DecidedVia.PORTAL, reason=reason)
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
