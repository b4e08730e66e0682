"""services/notices.py: who hears about onboarding changes."""

import pytest
from django_scopes import scope

from apps.notifications.models import EmailStatus, Notification
from apps.onboarding.services import (
    action_complete,
    action_invalidate,
    action_request_changes,
    action_skip,
    action_validate,
    enrollment_advance,
)

pytestmark = pytest.mark.django_db


def _kinds(program, user):
    with scope(tenant=program.tenant):
        return list(
            Notification.objects.filter(recipient=user)
            .order_by("id")
            .values_list("kind", flat=True)
        )


def test_partner_users_hear_about_redo_requests_and_stage_moves(acme, journey):
    legal = journey.progress("Legal details")
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=legal.pk,
            submission={"legal_name": "x"},
        )
        action_request_changes(
            tenant=acme.tenant,
            actor=acme.cam,
            progress_id=legal.pk,
            comment="Full legal name, please",
        )
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=legal.pk,
            submission={"legal_name": "x"},
        )
        action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk)
        action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Tax form").pk)
        enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)
        action_invalidate(tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk)
    for user in (acme.partner_user, acme.partner_admin):
        kinds = _kinds(acme, user)
        assert "action_changes_requested" in kinds
        assert "action_invalidated" in kinds
        assert "stage_moved" in kinds
    with scope(tenant=acme.tenant):
        note = Notification.objects.filter(
            recipient=acme.partner_user, kind="action_changes_requested"
        ).get()
    assert "Full legal name, please" in note.body
    assert note.email_status == EmailStatus.PENDING  # emailed after commit
    # The other partner account hears nothing.
    assert _kinds(acme, acme.other_partner_user) == []
