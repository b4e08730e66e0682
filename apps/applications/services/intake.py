"""Applications coming in: the public form, email confirmation, and resending the link.

The public form never reveals whether an address is known: whatever happens here, the view
answers the same page. What differs is the email the address's owner receives.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.applications import verbs
from apps.applications.models import (
    OPEN_STATUSES,
    Application,
    ApplicationSource,
    ApplicationStatus,
    Invitation,
)
from apps.applications.selectors import is_member
from apps.applications.services.after_commit import pending_changed, send_after_commit
from apps.applications.services.decisions import (
    Decision,
    application_decide_locked,
    confirmation_entry,
)
from apps.applications.services.errors import ApplicationError
from apps.applications.services.transitions import INVITATION_TRANSITIONS, TRANSITIONS
from apps.applications.tokens import (
    CONFIRM_SALT,
    CONFIRM_TTL,
    TokenExpired,
    TokenInvalid,
    token_read,
)
from apps.audit.services import AuditEntry, audit_record
from apps.partners.models import PartnerType

S = ApplicationStatus

# What application_submit did (the view shows the same page for each).
NEW = "new"
UPDATED = "updated"
ALREADY_PENDING = "already_pending"
ALREADY_MEMBER = "already_member"


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower().rstrip(".")


@dataclass(frozen=True)
class Applicant:
    email: str
    first_name: str
    last_name: str
    company: str
    partner_type: PartnerType
    website: str = ""
    phone: str = ""
    country: str = ""
    message: str = ""
    answers: list = field(default_factory=list)

    def fields(self) -> dict:
        return {
            "first_name": self.first_name.strip(),
            "last_name": self.last_name.strip(),
            "company": self.company.strip(),
            "partner_type": self.partner_type,
            "website": self.website.strip(),
            "phone": self.phone.strip(),
            "country": (self.country or "").upper(),
            "message": self.message.strip(),
            "answers": list(self.answers),
        }


@dataclass(frozen=True)
class Submission:
    outcome: str  # NEW, UPDATED, ALREADY_PENDING or ALREADY_MEMBER
    application: Application | None = None
    decision: Decision | None = None


@transaction.atomic
def application_submit(
    *,
    tenant,
    applicant: Applicant,
    invitation: Invitation | None = None,
    email_verified: bool = False,
    ip: str | None = None,
) -> Submission:
    """Record an application (or refresh the open one of the same address).

    - a member of the program: nothing is stored; they get a "you already have access" email;
    - an application under review: nothing changes; they get an "already received" email;
    - an unconfirmed application: replaced by this one, with a new confirmation link;
    - otherwise a new application, and the confirmation link.
    `email_verified` (the invited address, whose invitation link proved the mailbox) confirms
    at once, so the decision runs now.
    """
    email = applicant.email.strip().lower()
    if applicant.partner_type.tenant_id != tenant.pk:
        raise ApplicationError("Choose one of the program’s partner types.")
    if is_member(tenant=tenant, email=email):
        send_after_commit(tenant=tenant, kind="already_member", email=email)
        return Submission(ALREADY_MEMBER)

    values = applicant.fields()
    if invitation is not None:
        values.update(source=ApplicationSource.INVITED, invitation=invitation)

    application, created = None, False
    for _attempt in range(2):
        application = (
            Application.objects.select_for_update(of=("self",))
            .filter(tenant=tenant, email=email, status__in=OPEN_STATUSES)
            .first()
        )
        if application is not None:
            break
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    tenant=tenant,
                    email=email,
                    email_domain=email_domain(email),
                    submitted_ip=ip or None,
                    **values,
                )
            created = True
            break
        except IntegrityError:
            continue  # the same address, submitted at the same moment: use that one
    if application is None:  # pragma: no cover - two lost races in a row
        raise ApplicationError("Please try again in a moment.")

    if not created and application.status == S.PENDING:
        send_after_commit(tenant=tenant, kind="already_pending", application_id=application.pk)
        return Submission(ALREADY_PENDING, application)
    if invitation is not None:
        _invitation_accept(tenant=tenant, invitation=invitation)
    if not created:
        for name, value in values.items():
            setattr(application, name, value)
        application.submitted_ip = ip or None
        application.save(update_fields=[*values, "submitted_ip", "updated_at"])
    received = {
        "verb": verbs.APPLICATION_RECEIVED if created else verbs.APPLICATION_UPDATED,
        "data": {"source": application.source, "email": email},
    }
    if email_verified:  # its audit event goes with the decision's, in one INSERT
        decision = _confirm_now(tenant=tenant, application=application, received=received)
        return Submission(NEW if created else UPDATED, decision.application, decision)
    audit_record(tenant=tenant, actor=None, target=application, **received)
    send_after_commit(tenant=tenant, kind="confirm", application_id=application.pk)
    return Submission(NEW if created else UPDATED, application)


def _invitation_accept(*, tenant, invitation: Invitation) -> None:
    sources, target = INVITATION_TRANSITIONS["accept"]
    now = timezone.now()
    accepted = Invitation.objects.filter(
        tenant=tenant, pk=invitation.pk, status__in=sources, expires_at__gt=now
    ).update(status=target, accepted_at=now)
    if not accepted:
        raise ApplicationError("This invitation is no longer valid.")
    audit_record(
        tenant=tenant,
        actor=None,
        verb=verbs.INVITATION_ACCEPTED,
        target=invitation,
        data={"from": invitation.status, "to": target},
    )


def _confirm_now(*, tenant, application: Application, received: dict) -> Decision:
    """The invited address confirmed by its link: confirm and decide, on the row this
    transaction holds (created or locked by `application_submit`)."""
    sources, target = TRANSITIONS["confirm"]
    if application.status not in sources:  # pragma: no cover - submit only reopens these
        raise ApplicationError("This application has already been confirmed.")
    application.status = target
    application.confirmed_at = timezone.now()
    application.confirm_token_hash = None
    pending_changed(tenant_id=tenant.pk)
    return application_decide_locked(
        tenant=tenant,
        application=application,
        changed=("status", "confirmed_at", "confirm_token_hash"),
        audit=(
            AuditEntry(
                tenant_id=tenant.pk,
                target_type=application._meta.label_lower,
                target_id=application.pk,
                target_label=str(application),
                **received,
            ),
            confirmation_entry(application, by="invitation"),
        ),
    )


# What a confirmation link found.
CONFIRMED = "confirmed"
ALREADY_CONFIRMED = "already_confirmed"
EXPIRED = "expired"
INVALID = "invalid"


@dataclass(frozen=True)
class Confirmation:
    state: str  # CONFIRMED, ALREADY_CONFIRMED, EXPIRED or INVALID
    application: Application | None = None
    decision: Decision | None = None


@transaction.atomic
def application_confirm(*, tenant, token: str) -> Confirmation:
    """The prospect clicked the link: confirm once, then decide (DOMAIN §3).

    The row is locked first, so a replayed or double-clicked link waits for the first
    click's transaction and then finds the application confirmed: nothing changes the
    second time. The confirmation and the decision are written in one UPDATE.
    """
    try:
        digest = token_read(token, salt=CONFIRM_SALT, ttl=CONFIRM_TTL)
    except TokenExpired:
        return Confirmation(EXPIRED)
    except TokenInvalid:
        return Confirmation(INVALID)
    sources, target = TRANSITIONS["confirm"]
    now = timezone.now()
    application = (
        Application.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, confirm_token_hash=digest)
        .select_related("partner_type")
        .first()
    )
    if application is None:
        return Confirmation(INVALID)
    if application.confirmed_at is not None:
        return Confirmation(ALREADY_CONFIRMED, application)
    expires = application.confirm_expires_at
    if application.status not in sources or expires is None or expires <= now:
        return Confirmation(EXPIRED, application)
    application.status = target
    application.confirmed_at = now
    pending_changed(tenant_id=tenant.pk)
    decision = application_decide_locked(
        tenant=tenant,
        application=application,
        changed=("status", "confirmed_at"),
        audit=(confirmation_entry(application, by="email"),),
    )
    return Confirmation(CONFIRMED, decision.application, decision)


def application_confirmation_resend(*, tenant, email: str) -> None:
    """A new confirmation link for an unconfirmed application of `email`, if there is one.

    The caller shows the same page either way.
    """
    application = Application.objects.filter(
        tenant=tenant, email=email.strip().lower(), status=S.UNCONFIRMED
    ).first()
    if application is not None:
        send_after_commit(tenant=tenant, kind="confirm", application_id=application.pk)
