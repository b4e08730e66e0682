"""Per-partner milestones and checkpoints are dated from the enrollment."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import AlertCheckpoint, PartnerMilestone, PartnerTrack
from apps.milestones.services import MilestoneError, partner_track_start
from tests.milestones.conftest import T0, day, start_tracking, sweep
from tests.onboarding.conftest import DEFAULT_SPEC, build_pipeline

pytestmark = pytest.mark.django_db


def test_due_dates_count_from_enrollment(acme, tracked):
    with scope(tenant=acme.tenant):
        items = {
            i.milestone.key: i
            for i in PartnerMilestone.objects.filter(account=acme.partner).select_related(
                "milestone"
            )
        }
        checkpoints = list(
            AlertCheckpoint.objects.filter(account=acme.partner).select_related("rule")
        )
    assert tracked.enrolled_at == T0
    assert tracked.activation_due_at == T0 + timedelta(days=60)  # Reseller / VAR
    assert len(items) == 9
    assert items["welcome-call"].starts_at == day(1)
    assert items["welcome-call"].due_at == day(5)
    assert items["business-plan"].due_at == day(90)
    assert {c.rule.day for c in checkpoints} == {5, 7, 14, 30, 45, 60, 70, 75, 85}
    for c in checkpoints:
        assert c.due_at == day(c.rule.day)


def test_tracking_starts_once(acme, tracked):
    with pytest.raises(MilestoneError), scope(tenant=acme.tenant):
        partner_track_start(tenant=acme.tenant, actor=acme.cam, account=acme.partner)


def test_partners_only_see_their_own_tracking(acme):
    with pytest.raises(MilestoneError), scope(tenant=acme.tenant):
        partner_track_start(tenant=acme.tenant, actor=acme.partner_admin, account=acme.partner)


def test_enrollment_in_onboarding_starts_milestone_tracking_from_its_start(acme):
    build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    from apps.onboarding.services import partner_enroll

    with time_machine.travel(T0, tick=False), scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    first = sweep(day(1))
    assert first.tracks_started == 1
    with scope(tenant=acme.tenant):
        track = PartnerTrack.objects.get(account=acme.partner)
        assert track.enrolled_at == enrollment.started_at == T0
        assert PartnerMilestone.objects.filter(account=acme.partner).count() == 9
        # The onboarding.enrolled event is not a milestone completion.
        assert not PartnerMilestone.objects.filter(completed_at__isnull=False).exists()
    assert sweep(day(2)).tracks_started == 0
    with scope(tenant=acme.tenant):
        assert PartnerMilestone.objects.filter(account=acme.partner).count() == 9


def test_events_recorded_before_tracking_count(acme):
    from apps.milestones.services import milestone_event_record

    with time_machine.travel(T0, tick=False), scope(tenant=acme.tenant):
        milestone_event_record(
            tenant=acme.tenant,
            account_id=acme.partner.pk,
            type="certification.passed",
            source="api",
            reference="sales",
        )
    start_tracking(acme, at=day(1))
    with scope(tenant=acme.tenant):
        item = PartnerMilestone.objects.get(
            account=acme.partner, milestone__key="sales-certification"
        )
    assert item.completed_at == T0
