"""Deciding applications: the automatic decision after confirmation (DOMAIN §3's table) and
the steps every decision shares (approve, add to an account, record); the people's decisions
(a CAM in the queue, a partner admin for their own team) are in `reviews.py`.

Every decision locks the application row, checks TRANSITIONS, writes its audit event in the
same transaction and sends its emails after the commit. Whoever locks the row first decides;
the other gets `InvalidTransition` saying who decided what, and nothing changes.
"""

import contextlib
from dataclasses import dataclass

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
from apps.applications.selectors import (
    partner_admins_of,
    program_settings_get,
    program_settings_in_hand,
)
from apps.applications.services.after_commit import pending_changed, send_after_commit
from apps.applications.services.errors import ApplicationError, InvalidTransition
from apps.applications.services.program import cam_for_new_partner
from apps.applications.services.transitions import lock_application, require
from apps.audit.services import AuditEntry, actor_user, audit_record, audit_record_many
from apps.core.emaildomains import domain_and_parents, is_free_mail, normalise_domain
from apps.notifications.services import notification_create
from apps.onboarding.services.enrollment import partner_enroll
from apps.onboarding.services.errors import OnboardingError
from apps.outbox.services import outbox_batch
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType
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
    decision = application_decide_locked(tenant=tenant, application=application, actor=actor)
    if decision.outcome == S.APPROVED:
        pending_changed(tenant_id=tenant.pk)
    return decision


# What a decision may change on the application row (restored when an approval fails).
_DECISION_FIELDS = (
    "status",
    "decided_by",
    "decided_at",
    "decided_via",
    "decision_reason",
    "partner_account",
)


def application_decide_locked(
    *,
    tenant,
    application: Application,
    actor=None,
    changed: tuple[str, ...] = (),
    audit: tuple[AuditEntry, ...] = (),
) -> Decision:
    """`application_decide` for a row the caller has locked in its transaction (the
    confirmation), in as few queries as the decision allows: the settings are read once,
    the row is written once (with the caller's `changed` fields, e.g. the confirmation),
    the audit events (the caller's `audit` first) go in one INSERT and the emails,
    notifications and other outbox messages in another."""
    if application.status != S.PENDING or application.rule:
        raise InvalidTransition("This application has already been through the decision.")
    settings = program_settings_get(tenant=tenant)
    domain = application.email_domain
    matched = None
    if _free_mail(domain, settings):
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
    fields = [*changed, "rule", "matched_account"]
    entries = list(audit)

    note = ""
    with outbox_batch(), program_settings_in_hand(settings):
        if outcome == S.APPROVED:
            before = {name: getattr(application, name) for name in _DECISION_FIELDS}
            approved: list[AuditEntry] = []
            try:
                # An approval refused half-way is rolled back with its outbox messages.
                with outbox_batch(), transaction.atomic():
                    approve_locked(
                        tenant=tenant,
                        actor=actor,
                        application=application,
                        partner_type=application.partner_type,
                        via=DecidedVia.AUTO,
                        settings=settings,
                        deferred=approved,
                        domain_free=kind == UNMATCHED and settings.domain_matching,
                    )
                fields += _DECISION_FIELDS
                entries += approved
            except ApplicationError as exc:
                for name, value in before.items():
                    setattr(application, name, value)
                note = f"Not approved automatically: {exc}"[:300]
                application.review_note = note
                fields.append("review_note")
                outcome = S.PENDING
        application.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
        if outcome == S.PENDING:
            entries.append(
                _entry(
                    application,
                    verbs.APPLICATION_QUEUED,
                    partner_id=matched.pk if matched else None,
                    data={
                        "rule": rule,
                        "matched": matched.name if matched else None,
                        "note": note or None,
                    },
                )
            )
        audit_record_many(actor=actor, entries=entries)
        if outcome == S.PENDING and matched is not None:
            _notify_team_request(tenant=tenant, application=application, account=matched)
    return Decision(application, outcome, rule, matched, note)


def _free_mail(domain: str, settings: ProgramSettings) -> bool:
    """`is_free_mail` for the program, with its additions from the settings in hand."""
    if is_free_mail(domain):
        return True
    extra = {normalise_domain(d) for d in settings.public_mail_domains or () if d}
    return bool(extra) and any(d in extra for d in domain_and_parents(domain))


def confirmation_entry(application: Application, *, by: str) -> AuditEntry:
    """The audit event of a confirmation (by "email" link or "invitation")."""
    return _entry(
        application,
        verbs.APPLICATION_CONFIRMED,
        data={"from": S.UNCONFIRMED, "to": S.PENDING, "by": by},
    )


def _entry(application: Application, verb: str, *, partner_id=None, data=None) -> AuditEntry:
    """The audit event of a change to `application`, for `audit_record_many`."""
    return AuditEntry(
        tenant_id=application.tenant_id,
        verb=verb,
        target_type=application._meta.label_lower,
        target_id=application.pk,
        target_label=str(application),
        partner_id=partner_id,
        data=data or {},
    )


def _notify_team_request(*, tenant, application: Application, account: PartnerAccount) -> None:
    for admin in partner_admins_of(tenant=tenant, account_id=account.pk):
        notification_create(
            tenant=tenant,
            recipient=admin,
            kind="application_team_request",
            context={"application": application, "account": account},
            url=reverse("applications_portal:requests"),
        )


def decision_record(
    application: Application,
    *,
    status: str,
    actor,
    via: str,
    account=None,
    reason="",
    save: bool = True,
):
    """Set the decision on the row; `save=False` when the caller writes the row itself
    (and has cleared the pending count already)."""
    if save:
        pending_changed(tenant_id=application.tenant_id)
    application.status = status
    application.decided_by = actor_user(actor)  # None for the system and for an API key
    application.decided_at = timezone.now()
    application.decided_via = via
    application.decision_reason = reason
    fields = ["status", "decided_by", "decided_at", "decided_via", "decision_reason"]
    if account is not None:
        application.partner_account = account
        fields.append("partner_account")
    if save:
        application.save(update_fields=[*fields, "updated_at"])


def approve_locked(
    *,
    tenant,
    actor,
    application: Application,
    partner_type: PartnerType,
    via: str,
    settings: ProgramSettings | None = None,
    deferred: list[AuditEntry] | None = None,
    domain_free: bool = False,
) -> PartnerAccount:
    """A new, active partner account with the applicant as its first partner admin,
    its email domain (unless public or owned), its pipeline, and a CAM.

    `deferred`: the caller saves the application and records the approval's audit event
    (appended here) itself, with the rest of its decision. `domain_free`: the caller has
    just looked the domain up in this transaction and found no account holding it."""
    before = application.status
    target = require(application, "approve")
    if partner_type.tenant_id != tenant.pk:
        raise ApplicationError("Unknown partner type.")
    settings = settings or program_settings_get(tenant=tenant)
    with program_settings_in_hand(settings):
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
        if not _free_mail(domain, settings) and (
            domain_free or not PartnerDomain.objects.filter(tenant=tenant, domain=domain).exists()
        ):
            # Taken by a concurrent approval, or not a domain we can own: the account keeps
            # none.
            with contextlib.suppress(PartnerError):
                partner_domain_add(tenant=tenant, actor=actor, account=account, domain=domain)
        _add_user(
            tenant=tenant,
            actor=actor,
            application=application,
            account=account,
            role=Role.PARTNER_ADMIN,
        )
        try:
            enrollment = partner_enroll(tenant=tenant, actor=actor, account=account)
        except OnboardingError as exc:
            raise ApplicationError(str(exc)) from exc
    data = {
        "from": before,
        "to": target,
        "via": via,
        "partner": account.name,
        "type": partner_type.name,
        "cam": cam.email if cam else None,
        "pipeline": enrollment.pipeline.name if enrollment else None,
    }
    decision_record(
        application,
        status=target,
        actor=actor,
        via=via,
        account=account,
        save=deferred is None,
    )
    if deferred is None:
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.APPLICATION_APPROVED,
            target=application,
            partner_id=account.pk,
            data=data,
        )
    else:
        deferred.append(
            _entry(application, verbs.APPLICATION_APPROVED, partner_id=account.pk, data=data)
        )
    send_after_commit(tenant=tenant, kind="approved", application_id=application.pk)
    return account


def add_locked(*, tenant, actor, application: Application, account: PartnerAccount, via: str):
    """The applicant becomes a partner user of an existing account: the user and the email."""
    before = application.status
    target = require(application, "add")
    with outbox_batch():
        _add_user(tenant=tenant, actor=actor, application=application, account=account)
        decision_record(application, status=target, actor=actor, via=via, account=account)
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.APPLICATION_ADDED,
            target=application,
            partner_id=account.pk,
            data={"from": before, "to": target, "via": via, "partner": account.name},
        )
        send_after_commit(tenant=tenant, kind="added", application_id=application.pk)


def _add_user(
    *,
    tenant,
    actor,
    application: Application,
    account: PartnerAccount,
    role: str = Role.PARTNER_USER,
) -> None:
    """The applicant as a user of `account` (its first admin when approved, a partner user
    when added to an existing account)."""
    try:
        partner_user_add(
            tenant=tenant,
            actor=actor,
            account=account,
            email=application.email,
            role=role,
            first_name=application.first_name,
            last_name=application.last_name,
        )
    except PartnerError as exc:
        raise ApplicationError(str(exc)) from exc


# --- The console (CAMs and program admins) ------------------------------------------------
