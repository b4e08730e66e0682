"""The transition tables of Application.status and Invitation.status, the check services make
against them (with a refusal that says who decided what), and the events a page may offer.

One shape: `{event: (allowed source statuses, target status)}`. Views and templates compute
their buttons from `application_events` / `invitation_events`, never from status literals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.applications.models import (
    Application,
    ApplicationStatus,
    DecidedVia,
    Invitation,
    InvitationStatus,
)
from apps.applications.services.errors import ApplicationError, InvalidTransition

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

S = ApplicationStatus

Table = dict[str, tuple[frozenset[str], str]]

# The only allowed changes of Application.status: event -> (from statuses, to status).
TRANSITIONS: Table = {
    "confirm": (frozenset({S.UNCONFIRMED}), S.PENDING),
    "approve": (frozenset({S.PENDING}), S.APPROVED),
    "add": (frozenset({S.PENDING}), S.ADDED),
    "reject": (frozenset({S.PENDING}), S.REJECTED),
    "decline": (frozenset({S.PENDING}), S.DECLINED),
}

INV = InvitationStatus
# Invitation.status: event -> (from statuses, to status). Expiry is a date, not a status.
INVITATION_TRANSITIONS: Table = {
    "accept": (frozenset({INV.PENDING}), INV.ACCEPTED),
    "resend": (frozenset({INV.PENDING}), INV.PENDING),
    "revoke": (frozenset({INV.PENDING}), INV.REVOKED),
}


def events_allowed(table: Table, status: str) -> frozenset[str]:
    """The events of `table` that a row in `status` allows."""
    return frozenset(event for event, (sources, _target) in table.items() if status in sources)


def application_events(application: Application) -> frozenset[str]:
    """What may happen to the application now ("approve", "add", "reject", …)."""
    return events_allowed(TRANSITIONS, application.status)


def invitation_events(invitation: Invitation) -> frozenset[str]:
    """What may happen to the invitation now ("resend", "revoke", …)."""
    return events_allowed(INVITATION_TRANSITIONS, invitation.status)


def statuses_allowing(*events: str) -> frozenset[str]:
    """The application statuses from which every one of `events` is allowed."""
    return frozenset.intersection(*(TRANSITIONS[event][0] for event in events))


def lock_application(*, tenant: Tenant, application_id: int) -> Application:
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
    if application.decided_via == DecidedVia.API:
        who = "through the API"
    elif application.decided_by_id:
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
        f"You can’t {event} this application: it was already {done} "
        f"{who}{when}. Decisions are final."
    )


def require(application: Application, event: str) -> str:
    """Check the transition table; returns the target status."""
    sources, target = TRANSITIONS[event]
    if application.status not in sources:
        raise refusal(application, event)
    return target
