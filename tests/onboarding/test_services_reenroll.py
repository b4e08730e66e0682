"""services/enrollment.py, partner_reenroll: moving a partner to another pipeline (its type
changed). The enrollment it leaves stays, read-only, with its progress; a new one starts."""

import pytest
from django.utils import timezone
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_for_partner
from apps.audit.vocabulary import audit_wording
from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import (
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
)
from apps.onboarding.selectors import (
    enrollment_for_partner,
    enrollment_history_for_partner,
    progress_for_partner_user,
    waiting_for_cam_since,
)
from apps.onboarding.selectors_pipelines import partner_account_list_not_enrolled
from apps.onboarding.services import (
    InvalidTransition,
    OnboardingError,
    action_complete,
    action_validate,
    enrollment_advance,
    partner_reenroll,
    stage_move_next,
)
from apps.partners.models import PartnerAccount, PartnerEvent, PartnerStatus, PartnerType
from tests.conftest import in_scope, race
from tests.onboarding.factories import DEFAULT_SPEC, PI, UP, build_pipeline, stage_specs

pytestmark = pytest.mark.django_db

DISTRIBUTOR_SPEC = [
    ("Distributor setup", [("Distribution agreement", UP, False), ("Warehouses", PI, False)]),
    ("Logistics", [("Order workflow", PI, False)]),
]


def _distributor_pipeline(program, name="Distributor onboarding"):
    with scope(tenant=program.tenant):
        distributor = PartnerType.objects.get(tenant=program.tenant, name="Distributor")
        return pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name=name,
            partner_types=[distributor],
            stages=stage_specs(DISTRIBUTOR_SPEC),
        )


@pytest.fixture
def distributor(acme):
    return _distributor_pipeline(acme)


def _reenroll(program, pipeline, *, actor=None, account=None):
    with scope(tenant=program.tenant):
        return partner_reenroll(
            tenant=program.tenant,
            actor=actor or program.admin,
            account_id=(account or program.partner).pk,
            pipeline_id=pipeline.pk,
        )


def _enrollments(program, account=None):
    with scope(tenant=program.tenant):
        return list(
            Enrollment.objects.filter(partner_account=account or program.partner).order_by("id")
        )


# --- Happy path ------------------------------------------------------------------------------


def test_moving_keeps_the_old_enrollment_as_history_and_starts_the_new_pipeline(
    acme, journey, distributor
):
    journey.complete(acme, "Legal details")
    journey.complete(acme, "Tax form")
    new = _reenroll(acme, distributor.pipeline)

    old, current = _enrollments(acme)
    assert old.pk == journey.enrollment.pk and current.pk == new.pk
    assert old.status == EnrollmentStatus.SUPERSEDED and old.superseded_at is not None
    assert old.get_status_display() == "Moved to another pipeline"
    # Where the partner was, and everything it did, is kept.
    assert old.current_stage_id == journey.stages[0].pk
    with scope(tenant=acme.tenant):
        statuses = dict(
            ActionProgress.objects.filter(enrollment=old).values_list("action__title", "status")
        )
        assert statuses["Legal details"] == ActionStatus.COMPLETED
        assert statuses["Tax form"] == ActionStatus.COMPLETED
        # The new enrollment: first stage current, every action pending.
        assert current.status == EnrollmentStatus.IN_PROGRESS
        assert current.pipeline == distributor.pipeline
        assert current.current_stage == distributor.stages[0]
        assert set(current.actions.values_list("status", flat=True)) == {"pending"}
        assert current.actions.count() == 3
        # Selectors: the current one, and the history with its counts.
        assert enrollment_for_partner(tenant=acme.tenant, partner_account_id=acme.partner.pk) == (
            current
        )
        (past,) = enrollment_history_for_partner(
            tenant=acme.tenant, partner_account_id=acme.partner.pk
        )
        assert past == old
        assert (past.actions_done, past.actions_total) == (2, 4)


def test_the_move_is_audited_with_from_and_to_on_the_partners_timeline(acme, journey, distributor):
    journey.complete(acme, "Legal details")
    _reenroll(acme, distributor.pipeline)
    with scope(tenant=acme.tenant):
        timeline = list(audit_events_for_partner(tenant=acme.tenant, partner_id=acme.partner.pk))
        moved = next(e for e in timeline if e.verb == "onboarding.moved")
        assert moved.actor == acme.admin
        assert moved.data["from"] == "Reseller onboarding"
        assert moved.data["to"] == "Distributor onboarding"
        assert moved.data["status"] == {"from": "in_progress", "to": "superseded"}
        assert moved.data["stage"] == "Company details"
        assert (moved.data["actions_done"], moved.data["actions_total"]) == (1, 4)
        assert str(audit_wording(moved)) == (
            "Moved from the pipeline <strong>Reseller onboarding</strong> to "
            "<strong>Distributor onboarding</strong>"
        )
        assert any(
            e.verb == "onboarding.enrolled" and e.data["pipeline"] == "Distributor onboarding"
            for e in timeline
        )
        events = list(
            PartnerEvent.objects.filter(account=acme.partner).values_list("type", "reference")
        )
        assert ("onboarding.left", f"pipeline:{journey.pipeline.pk}") in events
        assert ("onboarding.enrolled", f"pipeline:{distributor.pipeline.pk}") in events


def test_a_completed_partner_can_be_moved_too(acme, journey, distributor):
    with scope(tenant=acme.tenant):
        Enrollment.objects.filter(pk=journey.enrollment.pk).update(
            status=EnrollmentStatus.COMPLETED, completed_at=timezone.now(), current_stage=None
        )
    _reenroll(acme, distributor.pipeline)
    old, current = _enrollments(acme)
    assert old.status == EnrollmentStatus.SUPERSEDED
    assert old.completed_at is not None  # its completion stays in the history
    assert current.status == EnrollmentStatus.IN_PROGRESS


def test_a_partner_not_enrolled_is_simply_enrolled(acme, distributor):
    enrollment = _reenroll(acme, distributor.pipeline)
    assert _enrollments(acme) == [enrollment]
    with scope(tenant=acme.tenant):
        assert not AuditEvent.objects.filter(verb="onboarding.moved").exists()


def test_a_suspended_partner_can_be_moved(acme, journey, distributor):
    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(status=PartnerStatus.SUSPENDED)
    _reenroll(acme, distributor.pipeline, actor=acme.cam)
    assert [e.status for e in _enrollments(acme)] == ["superseded", "in_progress"]


def test_moving_back_starts_afresh_and_keeps_both_histories(acme, journey, distributor):
    _reenroll(acme, distributor.pipeline)
    _reenroll(acme, journey.pipeline)
    rows = _enrollments(acme)
    assert [(e.pipeline_id, e.status) for e in rows] == [
        (journey.pipeline.pk, "superseded"),
        (distributor.pipeline.pk, "superseded"),
        (journey.pipeline.pk, "in_progress"),
    ]
    with scope(tenant=acme.tenant):
        assert [
            e.pk
            for e in enrollment_history_for_partner(
                tenant=acme.tenant, partner_account_id=acme.partner.pk
            )
        ] == [rows[1].pk, rows[0].pk]


# --- The old enrollment is read-only -----------------------------------------------------------


def test_the_old_enrollments_actions_can_no_longer_change(acme, journey, distributor):
    journey.complete(acme, "Legal details", validate=False)  # waiting for approval
    waiting = journey.progress("Legal details")
    pending = journey.progress("Tax form")
    _reenroll(acme, distributor.pipeline)
    with scope(tenant=acme.tenant):
        with pytest.raises(InvalidTransition, match="pipeline the partner has left"):
            action_complete(tenant=acme.tenant, actor=acme.partner_user, progress_id=pending.pk)
        with pytest.raises(InvalidTransition, match="pipeline the partner has left"):
            action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=waiting.pk)
        with pytest.raises(InvalidTransition):
            stage_move_next(
                tenant=acme.tenant,
                actor=acme.cam,
                enrollment_id=journey.enrollment.pk,
                expected_stage_id=journey.stages[0].pk,
            )
        assert enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk) == 0
        # Neither the portal nor the console offer them any more; no digest lists them.
        for row in (waiting, pending):
            assert (
                progress_for_partner_user(
                    tenant=acme.tenant, partner_account_id=acme.partner.pk, progress_id=row.pk
                )
                is None
            )
        assert waiting_for_cam_since(tenant=acme.tenant, cam=acme.cam, since=None) == []
    assert journey.progress("Legal details").status == ActionStatus.WAITING_FOR_APPROVAL
    assert journey.progress("Tax form").status == ActionStatus.PENDING


def test_a_moved_partner_is_not_offered_for_enrolling(acme, journey, distributor):
    _reenroll(acme, distributor.pipeline)
    with scope(tenant=acme.tenant):
        assert acme.partner not in partner_account_list_not_enrolled(tenant=acme.tenant)


def test_auto_advance_works_in_the_new_enrollment(
    acme, journey, distributor, django_capture_on_commit_callbacks
):
    new = _reenroll(acme, distributor.pipeline)
    with scope(tenant=acme.tenant):
        rows = {
            p.action.title: p
            for p in ActionProgress.objects.filter(enrollment=new).select_related("action")
        }
        for title in ("Distribution agreement", "Warehouses"):
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_user,
                progress_id=rows[title].pk,
                submission={"legal_name": "X"},
            )
        assert enrollment_advance(tenant=acme.tenant, enrollment_id=new.pk) == 1
        assert Enrollment.objects.get(pk=new.pk).current_stage == distributor.stages[1]
        # The old enrollment did not move.
        assert Enrollment.objects.get(pk=journey.enrollment.pk).current_stage == (journey.stages[0])


# --- Refused -------------------------------------------------------------------------------


def _unchanged(acme, journey):
    rows = _enrollments(acme)
    assert [(e.pk, e.status) for e in rows] == [(journey.enrollment.pk, "in_progress")]
    with scope(tenant=acme.tenant):
        assert not AuditEvent.objects.filter(verb="onboarding.moved").exists()


def test_the_pipeline_it_is_already_in_is_refused(acme, journey):
    with pytest.raises(OnboardingError, match="already in the pipeline"):
        _reenroll(acme, journey.pipeline)
    _unchanged(acme, journey)


def test_an_archived_pipeline_is_refused(acme, journey, distributor):
    with scope(tenant=acme.tenant):
        type(distributor.pipeline).objects.filter(pk=distributor.pipeline.pk).update(
            archived_at=timezone.now()
        )
    with pytest.raises(OnboardingError, match="“Distributor onboarding” is archived"):
        _reenroll(acme, distributor.pipeline)
    _unchanged(acme, journey)


def test_another_programs_pipeline_id_is_refused(acme, globex, journey):
    theirs = _distributor_pipeline(globex)
    with pytest.raises(OnboardingError, match="Unknown pipeline"):
        _reenroll(acme, theirs.pipeline)
    _unchanged(acme, journey)


def test_another_programs_partner_is_refused(acme, globex, journey, distributor):
    with pytest.raises(OnboardingError, match="Unknown partner"):
        _reenroll(acme, distributor.pipeline, account=globex.partner)
    _unchanged(acme, journey)


@pytest.mark.parametrize("who", ["partner_admin", "partner_user", "admin_of_globex"])
def test_only_the_programs_staff_can_move_a_partner(acme, globex, journey, distributor, who):
    actor = globex.admin if who == "admin_of_globex" else getattr(acme, who)
    with pytest.raises(InvalidTransition):
        _reenroll(acme, distributor.pipeline, actor=actor)
    _unchanged(acme, journey)


def test_the_database_holds_one_current_enrollment_per_partner(acme, journey, distributor):
    from django.db import IntegrityError, transaction

    with scope(tenant=acme.tenant), pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(
            tenant=acme.tenant, partner_account=acme.partner, pipeline=distributor.pipeline
        )


# --- Two people confirming at once ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(2))
def test_two_admins_confirming_at_once_make_one_new_enrollment(acme, round_):
    build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    distributor = _distributor_pipeline(acme)
    from tests.onboarding.factories import EnrollmentFactory

    EnrollmentFactory(actor=acme.cam, account=acme.partner)
    call = {"account_id": acme.partner.pk, "pipeline_id": distributor.pipeline.pk}
    results = race(
        in_scope(acme.tenant, partner_reenroll, actor=acme.admin, **call),
        in_scope(acme.tenant, partner_reenroll, actor=acme.cam, **call),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], OnboardingError), results
    assert "already in the pipeline" in str(errors[0])
    rows = _enrollments(acme)
    assert [e.status for e in rows] == ["superseded", "in_progress"]
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="onboarding.moved").count() == 1
