"""Two people acting on one action at the same moment, on the real database."""

import pytest
from django.utils import timezone
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.onboarding.models import ActionProgress, ActionStatus, Enrollment
from apps.onboarding.services import (
    InvalidTransition,
    action_complete,
    action_invalidate,
    action_request_changes,
    action_validate,
    enrollment_advance,
    stage_move_next,
)
from tests.conftest import in_scope, race

pytestmark = pytest.mark.django_db(transaction=True)


def _set(progress, **fields):
    with scope(tenant=progress.tenant):
        ActionProgress.objects.filter(pk=progress.pk).update(**fields)


def _audits(tenant, progress):
    with scope(tenant=tenant):
        return list(AuditEvent.objects.filter(target_id=str(progress.pk)).order_by("id"))


@pytest.mark.parametrize("round_", range(3))
def test_two_cams_validating_at_once_make_one_transition(acme, journey, round_):
    progress = journey.progress("Legal details")
    _set(progress, status=ActionStatus.WAITING_FOR_APPROVAL)
    before = len(_audits(acme.tenant, progress))
    results = race(
        in_scope(acme.tenant, action_validate, actor=acme.cam, progress_id=progress.pk),
        in_scope(acme.tenant, action_validate, actor=acme.admin, progress_id=progress.pk),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition), results
    audits = _audits(acme.tenant, progress)
    assert len(audits) == before + 1
    assert audits[-1].verb == "action.validated"
    assert journey.progress("Legal details").status == ActionStatus.COMPLETED


def test_validate_racing_request_changes_one_wins(acme, journey):
    progress = journey.progress("Legal details")
    _set(progress, status=ActionStatus.WAITING_FOR_APPROVAL)
    results = race(
        in_scope(acme.tenant, action_validate, actor=acme.cam, progress_id=progress.pk),
        in_scope(
            acme.tenant,
            action_request_changes,
            actor=acme.admin,
            progress_id=progress.pk,
            comment="Fix the address",
        ),
    )
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1
    final = journey.progress("Legal details").status
    winner = _audits(acme.tenant, progress)[-1].verb
    assert (final, winner) in {
        (ActionStatus.COMPLETED, "action.validated"),
        (ActionStatus.ACTION_REQUIRED, "action.changes_requested"),
    }


def test_partner_submitting_while_cam_invalidates(acme, journey):
    progress = journey.progress("Legal details")
    _set(
        progress,
        status=ActionStatus.COMPLETED,
        validated_at=timezone.now(),
        completed_at=timezone.now(),
        validated_by=acme.cam,
    )
    before = len(_audits(acme.tenant, progress))
    results = race(
        in_scope(acme.tenant, action_invalidate, actor=acme.cam, progress_id=progress.pk),
        in_scope(
            acme.tenant,
            action_complete,
            actor=acme.partner_user,
            progress_id=progress.pk,
            submission={"legal_name": "New"},
        ),
    )
    invalidated, submitted = results
    assert not isinstance(invalidated, Exception), invalidated
    audits = _audits(acme.tenant, progress)[before:]
    final = journey.progress("Legal details").status
    if isinstance(submitted, InvalidTransition):
        # The submission came first and found the action completed: refused, nothing lost.
        assert final == ActionStatus.ACTION_REQUIRED
        assert [a.verb for a in audits] == ["action.invalidated"]
    else:
        # The invalidation came first: the partner's submission is the redo.
        assert final == ActionStatus.WAITING_FOR_APPROVAL
        assert [a.verb for a in audits] == ["action.invalidated", "action.completed"]


def test_auto_advance_racing_a_cam_move_moves_once(acme, journey):
    from apps.onboarding.services import action_skip

    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form"):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    stage_one = journey.stages[0]
    results = race(
        in_scope(acme.tenant, enrollment_advance, enrollment_id=journey.enrollment.pk),
        in_scope(acme.tenant, enrollment_advance, enrollment_id=journey.enrollment.pk),
        in_scope(
            acme.tenant,
            stage_move_next,
            actor=acme.cam,
            enrollment_id=journey.enrollment.pk,
            expected_stage_id=stage_one.pk,
        ),
    )
    moves = [r for r in results[:2] if isinstance(r, int)]
    cam = results[2]
    total = sum(moves) + (0 if isinstance(cam, Exception) else 1)
    assert total == 1, results
    with scope(tenant=acme.tenant):
        assert Enrollment.objects.get(pk=journey.enrollment.pk).current_stage == journey.stages[1]
        assert AuditEvent.objects.filter(verb="stage.moved").count() == 1
