"""What every applications service shares: errors, the transition table, row locking."""

from django.db import transaction

from apps.applications.models import Application, ApplicationStatus, InvitationStatus

S = ApplicationStatus


class ApplicationError(Exception):
    """A rule was broken; the message is shown to the user."""


class InvalidTransition(ApplicationError):
    """The application (or invitation) is not in a status that allows this; says why."""


# The only allowed changes of Application.status: event -> (from statuses, to status).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "confirm": (frozenset({S.UNCONFIRMED}), S.PENDING),
    "approve": (frozenset({S.PENDING}), S.APPROVED),
    "add": (frozenset({S.PENDING}), S.ADDED),
    "reject": (frozenset({S.PENDING}), S.REJECTED),
    "decline": (frozenset({S.PENDING}), S.DECLINED),
}

INV = InvitationStatus
# Invitation.status: event -> (from statuses, to status). Expiry is a date, not a status.
INVITATION_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({INV.PENDING}), INV.ACCEPTED),
    "resend": (frozenset({INV.PENDING}), INV.PENDING),
    "revoke": (frozenset({INV.PENDING}), INV.REVOKED),
}

_VERBS = {
    "approve": "approve",
    "add": "add",
    "reject": "reject",
    "decline": "decline",
}


def lock_application(*, tenant, application_id: int) -> Application:
    """The application row, locked until the transaction ends (FOR UPDATE OF the row only)."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=application_id)
        .first()
    )
    if application is None:
        raise ApplicationError("That application does not exist.")
    return application


def refusal(application: Application, event: str) -> InvalidTransition:
    """A clear message: who decided what, when — or why it cannot be decided yet."""
    status = application.status
    if status == S.UNCONFIRMED:
        return InvalidTransition(
            f"{application.email} has not confirmed their email address yet; the application "
            "can be decided once they do."
        )
    who = "automatically"
    if application.decided_by_id:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=application.decided_by_id).first()
        who = f"by {user.get_full_name() or user.email}" if user else "by someone else"
    when = ""
    if application.decided_at:
        when = f" on {application.decided_at:%-d %b %Y at %H:%M} UTC"
    done = {
        S.APPROVED: "approved as a new partner",
        S.ADDED: "added to a partner account",
        S.REJECTED: "rejected",
        S.DECLINED: "declined",
    }.get(status, status)
    return InvalidTransition(
        f"You can’t {_VERBS.get(event, event)} this application: it was already {done} "
        f"{who}{when}. Decisions are final."
    )


def require(application: Application, event: str) -> str:
    """Check the transition table; returns the target status."""
    sources, target = TRANSITIONS[event]
    if application.status not in sources:
        raise refusal(application, event)
    return target


def send_after_commit(*, tenant, kind: str, application_id=None, email: str = "") -> None:
    """Queue an email to an applicant (not a user yet) once the transaction commits."""
    from apps.applications.tasks import application_email_send

    tenant_id = tenant.pk
    transaction.on_commit(
        lambda: application_email_send.delay(tenant_id, kind, application_id, email)
    )


def pending_changed(*, tenant_id: int) -> None:
    """The number of pending applications may change: clear the nav badge's cached count now
    and again at commit (a page rendered in between may have cached the old number)."""
    from django.core.cache import cache

    from apps.applications.selectors import pending_count_key

    key = pending_count_key(tenant_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
