"""apps/applications/services/transitions.py: both transition tables, walked pair by pair.

For every (event, status): an allowed event reaches the table's target; any other raises
(the public confirmation link answers a page instead) and changes nothing.
"""

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.applications.models import Application, ApplicationStatus, Invitation, InvitationStatus
from apps.applications.services import (
    ApplicationError,
    InvalidTransition,
    application_add_to_account,
    application_approve,
    application_reject,
    application_team_decline,
    invitation_resend,
    invitation_revoke,
)
from apps.applications.services.intake import CONFIRMED
from apps.applications.services.transitions import (
    INVITATION_TRANSITIONS,
    TRANSITIONS,
    application_events,
    invitation_events,
    statuses_allowing,
)
from apps.audit.models import AuditEvent
from tests.applications.conftest import apply_and_confirm, confirm, issue_token, submit
from tests.applications.factories import InvitationFactory

pytestmark = pytest.mark.django_db

APPLICATION_FIELDS = (
    "status",
    "decided_at",
    "decided_by_id",
    "partner_account_id",
    "confirmed_at",
    "decision_reason",
)


def _decide(program, application, event):
    tenant, pk = program.tenant, application.pk
    with scope(tenant=tenant):
        if event == "approve":
            return application_approve(tenant=tenant, actor=program.cam, application_id=pk)
        if event == "add":
            return application_add_to_account(
                tenant=tenant, actor=program.cam, application_id=pk, account_id=program.partner.pk
            )
        if event == "reject":
            return application_reject(tenant=tenant, actor=program.cam, application_id=pk)
        if event == "decline":
            return application_team_decline(
                tenant=tenant, actor=program.partner_admin, application_id=pk
            )
    raise AssertionError(event)


def _state(application):
    with scopes_disabled():
        row = Application.objects.values(*APPLICATION_FIELDS).get(pk=application.pk)
        events = AuditEvent.objects.filter(
            target_type="applications.application", target_id=str(application.pk)
        ).count()
    return row, events


def test_every_application_event_is_walked():
    assert set(TRANSITIONS) == {"confirm", "approve", "add", "reject", "decline"}


def test_bulk_decisions_apply_only_where_approve_and_reject_both_may():
    assert statuses_allowing("approve", "reject") == {ApplicationStatus.PENDING}


@pytest.mark.parametrize("event", sorted(TRANSITIONS))
@pytest.mark.parametrize("status", ApplicationStatus.values)
def test_application_event_from_each_status_follows_the_table(acme, status, event):
    application = submit(acme, "peter@initech.example").application
    token = issue_token(acme, application)  # a link sent while it was unconfirmed
    now = timezone.now()
    S = ApplicationStatus
    # A row as the product leaves it in `status` (the check constraints hold it to that).
    with scopes_disabled():
        Application.objects.filter(pk=application.pk).update(
            status=status,
            matched_account=acme.partner,
            confirmed_at=None if status == S.UNCONFIRMED else now,
            decided_at=None if status in (S.UNCONFIRMED, S.PENDING) else now,
            partner_account=acme.partner if status in (S.APPROVED, S.ADDED) else None,
        )
        application.refresh_from_db()
    sources, target = TRANSITIONS[event]
    allowed = status in sources
    assert (event in application_events(application)) == allowed
    before = _state(application)
    if event == "confirm":
        # The public link never raises: it confirms once, or answers that it cannot.
        result = confirm(acme, token)
        assert (result.state == CONFIRMED) == allowed
    elif allowed:
        _decide(acme, application, event)
    else:
        with pytest.raises(InvalidTransition):
            _decide(acme, application, event)
    if allowed:
        assert _state(application)[0]["status"] == target
    else:
        assert _state(application) == before


@pytest.mark.parametrize("event", ["approve", "add", "reject", "decline"])
def test_a_refusal_says_what_was_tried_and_who_decided(acme, event):
    application = apply_and_confirm(acme, "peter@initech.example").application
    with scope(tenant=acme.tenant):
        application_approve(tenant=acme.tenant, actor=acme.cam, application_id=application.pk)
    with scopes_disabled():  # so that the partner admin may see it (to decline)
        Application.objects.filter(pk=application.pk).update(matched_account=acme.partner)
    with pytest.raises(InvalidTransition) as refused:
        _decide(acme, application, event)
    assert str(refused.value).startswith(
        f"You can’t {event} this application: it was already approved as a new partner by "
        f"{acme.cam.get_full_name() or acme.cam.email} on "
    )
    assert str(refused.value).endswith(" UTC. Decisions are final.")


def test_every_invitation_event_is_walked():
    assert set(INVITATION_TRANSITIONS) == {"accept", "resend", "revoke"}


def _invitation_state(invitation):
    with scopes_disabled():
        row = Invitation.objects.values("status", "expires_at", "revoked_at").get(pk=invitation.pk)
        return row, Application.objects.filter(invitation=invitation).count()


@pytest.mark.parametrize("event", sorted(INVITATION_TRANSITIONS))
@pytest.mark.parametrize("status", InvitationStatus.values)
def test_invitation_event_from_each_status_follows_the_table(acme, status, event):
    invitation = InvitationFactory(tenant=acme.tenant, actor=acme.cam)
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(status=status)
        invitation.refresh_from_db()
    sources, target = INVITATION_TRANSITIONS[event]
    allowed = status in sources
    assert (event in invitation_events(invitation)) == allowed
    before = _invitation_state(invitation)

    def run():
        tenant, pk = acme.tenant, invitation.pk
        if event == "accept":
            return submit(acme, invitation.email, invitation=invitation, email_verified=True)
        with scope(tenant=tenant):
            service = {"resend": invitation_resend, "revoke": invitation_revoke}[event]
            return service(tenant=tenant, actor=acme.cam, invitation_id=pk)

    if allowed:
        run()
        assert _invitation_state(invitation)[0]["status"] == target
    else:
        with pytest.raises(ApplicationError):
            run()
        assert _invitation_state(invitation) == before
