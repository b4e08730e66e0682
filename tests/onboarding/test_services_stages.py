"""services/stages.py: automatic moves with cascade, stages without actions, idempotence,
and the stage and enrollment transition tables."""

import pytest
from django.utils import timezone
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.onboarding.models import Enrollment, EnrollmentStatus, StageProgress, StageStatus
from apps.onboarding.services import (
    InvalidTransition,
    action_invalidate,
    action_skip,
    enrollment_advance,
    stage_move_next,
)
from apps.onboarding.services.stages import (
    ENROLLMENT_TRANSITIONS,
    STAGE_TRANSITIONS,
    enrollment_complete,
    enrollment_supersede,
    stage_progress_transition,
)

pytestmark = pytest.mark.django_db


def _enrollment(journey):
    return journey.reloaded()


def _complete(acme, journey, title, validate=True):
    journey.complete(acme, title, validate=validate)


def _advance(acme, journey):
    with scope(tenant=acme.tenant):
        return enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)


def test_enrollment_starts_at_the_first_stage_with_every_action_pending(acme, journey):
    enrollment = _enrollment(journey)
    assert enrollment.current_stage == journey.stages[0]
    with scope(tenant=acme.tenant):
        assert enrollment.actions.count() == 4
        assert set(enrollment.actions.values_list("status", flat=True)) == {"pending"}


def test_last_open_action_completing_moves_the_partner_after_commit(
    acme, journey, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _complete(acme, journey, "Legal details")
    assert _enrollment(journey).current_stage == journey.stages[0]  # Tax form still open
    with django_capture_on_commit_callbacks(execute=False):
        _complete(acme, journey, "Tax form")
    assert callbacks  # advance tasks are queued only after commit
    assert _advance(acme, journey) == 1
    enrollment = _enrollment(journey)
    assert enrollment.current_stage == journey.stages[1]
    with scope(tenant=acme.tenant):
        first = StageProgress.objects.get(enrollment=enrollment, stage=journey.stages[0])
        assert first.status == StageStatus.COMPLETED
        assert first.completed_at is not None and first.completed_by is None
        moved = AuditEvent.objects.filter(verb="stage.moved").latest("id")
    assert moved.data["how"] == "automatic"


def test_waiting_for_approval_does_not_finish_a_stage(acme, journey):
    _complete(acme, journey, "Legal details", validate=False)
    _complete(acme, journey, "Tax form")
    assert _advance(acme, journey) == 0
    assert _enrollment(journey).current_stage == journey.stages[0]


def test_advance_is_idempotent(acme, journey):
    _complete(acme, journey, "Legal details")
    _complete(acme, journey, "Tax form")
    assert _advance(acme, journey) == 1
    assert _advance(acme, journey) == 0  # a duplicate task delivery moves nothing
    assert _enrollment(journey).current_stage == journey.stages[1]
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="stage.moved").count() == 1


def test_cascade_stops_at_a_stage_without_actions(acme, journey):
    # Contract's only action is skipped ahead of time: finishing stage 1 passes through
    # stage 2 and stops at the "Kick-off call" stage, which has no actions.
    with scope(tenant=acme.tenant):
        action_skip(
            tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Signed NDA").pk
        )
    _complete(acme, journey, "Legal details")
    _complete(acme, journey, "Tax form")
    assert _advance(acme, journey) == 2
    assert _enrollment(journey).current_stage == journey.stages[2]
    assert _advance(acme, journey) == 0


def test_cam_moves_a_partner_through_a_stage_without_actions(acme, journey):
    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form", "Signed NDA"):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    _advance(acme, journey)
    kickoff = journey.stages[2]
    assert _enrollment(journey).current_stage == kickoff
    with scope(tenant=acme.tenant):
        stage_move_next(
            tenant=acme.tenant,
            actor=acme.cam,
            enrollment_id=journey.enrollment.pk,
            expected_stage_id=kickoff.pk,
        )
        # A double click (same expected stage) is refused instead of moving twice.
        with pytest.raises(InvalidTransition, match="already moved"):
            stage_move_next(
                tenant=acme.tenant,
                actor=acme.cam,
                enrollment_id=journey.enrollment.pk,
                expected_stage_id=kickoff.pk,
            )
        progress = StageProgress.objects.get(enrollment=journey.enrollment, stage=kickoff)
    assert progress.completed_by == acme.cam
    assert _enrollment(journey).current_stage == journey.stages[3]


def test_move_is_refused_while_actions_are_open(acme, journey):
    with scope(tenant=acme.tenant), pytest.raises(InvalidTransition, match="still has actions"):
        stage_move_next(
            tenant=acme.tenant,
            actor=acme.cam,
            enrollment_id=journey.enrollment.pk,
            expected_stage_id=journey.stages[0].pk,
        )
    assert _enrollment(journey).current_stage == journey.stages[0]


def test_finishing_the_last_stage_completes_onboarding(acme, journey):
    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form", "Signed NDA"):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    _advance(acme, journey)
    with scope(tenant=acme.tenant):
        stage_move_next(
            tenant=acme.tenant,
            actor=acme.cam,
            enrollment_id=journey.enrollment.pk,
            expected_stage_id=journey.stages[2].pk,
        )
    _complete(acme, journey, "Sales questionnaire")
    _advance(acme, journey)
    enrollment = _enrollment(journey)
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert enrollment.completed_at is not None
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="onboarding.completed").count() == 1
        titles = list(acme.partner_user.notifications.values_list("kind", flat=True))
    assert "onboarding_completed" in titles


def test_invalidating_a_past_stage_action_does_not_move_the_partner_back(acme, journey):
    _complete(acme, journey, "Legal details")
    _complete(acme, journey, "Tax form")
    _advance(acme, journey)
    legal = journey.progress("Legal details")
    with scope(tenant=acme.tenant):
        action_invalidate(tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk, comment="Typo")
    assert _enrollment(journey).current_stage == journey.stages[1]
    # The partner can still redo it although its stage is past.
    _complete(acme, journey, "Legal details", validate=False)
    assert journey.progress("Legal details").status == "waiting_for_approval"


def test_completions_and_moves_are_recorded_in_the_partner_event_log(acme, journey):
    from apps.partners.models import PartnerEvent

    _complete(acme, journey, "Legal details")
    _complete(acme, journey, "Tax form")
    _advance(acme, journey)
    with scope(tenant=acme.tenant):
        types = list(
            PartnerEvent.objects.filter(account=acme.partner)
            .order_by("id")
            .values_list("type", flat=True)
        )
    assert types == [
        "onboarding.enrolled",
        "onboarding.action_completed",
        "onboarding.action_completed",
        "onboarding.stage_completed",
    ]


def test_stage_transition_table(acme, journey):
    """Every (event, status) pair of STAGE_TRANSITIONS: allowed ones reach the target,
    the others are refused and change nothing."""
    stage = journey.stages[1]
    with scope(tenant=acme.tenant):
        row = StageProgress.objects.filter(enrollment=journey.enrollment, stage=stage)
        for event, (sources, target) in STAGE_TRANSITIONS.items():
            for status in StageStatus.values:
                pair = (event, status)
                row.update(status=status, completed_at=None, completed_by=None)
                audits = AuditEvent.objects.count()

                def run(event=event):
                    stage_progress_transition(
                        tenant=acme.tenant,
                        enrollment=journey.enrollment,
                        stage=stage,
                        event=event,
                        actor=acme.cam,
                        now=timezone.now(),
                    )

                if status in sources:
                    run()
                    after = row.get()
                    assert after.status == target, pair
                    assert (after.completed_at is not None) == (event == "complete"), pair
                else:
                    with pytest.raises(InvalidTransition):
                        run()
                    after = row.get()
                    assert after.status == status, pair
                    assert after.completed_at is None and after.completed_by is None, pair
                assert AuditEvent.objects.count() == audits, pair


ENROLLMENT_EVENTS = {"complete": enrollment_complete, "supersede": enrollment_supersede}


def test_enrollment_transition_table(acme, journey):
    """Every (event, status) pair of ENROLLMENT_TRANSITIONS, as above."""
    with scope(tenant=acme.tenant):
        rows = Enrollment.objects.filter(pk=journey.enrollment.pk)
        for event, (sources, target) in ENROLLMENT_TRANSITIONS.items():
            for status in EnrollmentStatus.values:
                pair = (event, status)
                rows.update(status=status, current_stage=journey.stages[0], completed_at=None)
                enrollment = rows.get()
                audits = AuditEvent.objects.count()

                def run(event=event, enrollment=enrollment):
                    ENROLLMENT_EVENTS[event](
                        tenant=acme.tenant,
                        enrollment=enrollment,
                        actor=acme.cam,
                        now=timezone.now(),
                    )

                if status in sources:
                    run()
                    assert rows.get().status == target, pair
                    assert AuditEvent.objects.count() == audits + 1, pair
                else:
                    with pytest.raises(InvalidTransition):
                        run()
                    after = rows.get()
                    assert after.status == status, pair
                    assert after.current_stage_id == journey.stages[0].pk, pair
                    assert after.completed_at is None, pair
                    assert AuditEvent.objects.count() == audits, pair
