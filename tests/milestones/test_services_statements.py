"""The set-based statements (apps/milestones/services/statements.py): per-partner milestones
and checkpoints dated from the enrollment; activation, dark partners and the Partner
Explorer's filters on them."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.milestones.models import AlertCheckpoint, PartnerMilestone, PartnerTrack
from apps.milestones.services import MilestoneError, milestone_event_record, partner_track_start
from apps.partners.models import PartnerAccount
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


# --- Activation and dark partners ---------------------------------------------------------


def _event(program, type_, at, reference="", account=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=(account or program.partner).pk,
            type=type_,
            source="api",
            reference=reference,
        )


def _account(program, account=None):
    with scope(tenant=program.tenant):
        return PartnerAccount.objects.get(pk=(account or program.partner).pk)


def test_a_partner_is_activated_when_its_activation_milestones_are_complete(acme, tracked):
    # Reseller / VAR: the sales certification and the first deal.
    assert _event(acme, "certification.passed", day(20), "sales").activated is False
    assert _account(acme).activated_at is None
    assert _event(acme, "deal.registered", day(30)).activated is True
    assert _account(acme).activated_at == day(30)
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=acme.partner).activated_at == day(30)
        audit = AuditEvent.objects.get(verb="partner.activated", partner_id=acme.partner.pk)
    assert audit.actor is None and audit.actor_label == "system"
    assert audit.target_type == "partners.partneraccount"
    assert audit.target_id == str(acme.partner.pk)
    assert audit.data == {
        "from": {"activated_at": None, "dark_since": None},
        "to": {"activated_at": day(30).isoformat(), "dark_since": None},
    }
    # Past the window it never goes dark.
    sweep(day(70))
    assert _account(acme).dark_since is None


def test_past_the_window_without_activation_a_partner_goes_dark_once(acme, tracked):
    sweep(day(60) - timedelta(seconds=1))
    assert _account(acme).dark_since is None
    assert sweep(day(60)).partners_dark == 1
    assert _account(acme).dark_since == day(60)
    assert sweep(day(61)).partners_dark == 0
    # Activating later clears the flag.
    _event(acme, "certification.passed", day(62), "sales")
    _event(acme, "deal.registered", day(63))
    account = _account(acme)
    assert account.activated_at == day(63) and account.dark_since is None
    with scope(tenant=acme.tenant):
        audits = {
            a.verb: a.data
            for a in AuditEvent.objects.filter(
                verb__in=["partner.went_dark", "partner.activated"], partner_id=acme.partner.pk
            )
        }
    assert audits == {
        "partner.went_dark": {
            "from": {"activated_at": None, "dark_since": None},
            "to": {"activated_at": None, "dark_since": day(60).isoformat()},
        },
        "partner.activated": {
            "from": {"activated_at": None, "dark_since": day(60).isoformat()},
            "to": {"activated_at": day(63).isoformat(), "dark_since": None},
        },
    }


def test_explorer_filters_activated_and_dark_partners(acme, client_for):
    start_tracking(acme)
    start_tracking(acme, acme.other_partner)
    _event(acme, "certification.passed", day(10), "sales")
    _event(acme, "deal.registered", day(11))
    sweep(day(61))
    client = client_for(acme, acme.cam)

    def names(activation):
        response = client.get("/console/partners/", {"activation": activation})
        assert response.status_code == 200
        return [p.name for p in response.context["page"].object_list]

    assert names("activated") == [acme.partner.name]
    assert names("dark") == [acme.other_partner.name]
    assert names("not_activated") == [acme.other_partner.name]
    assert set(names("")) == {acme.partner.name, acme.other_partner.name}
    assert len(names("bogus")) == 2  # a forged value drops the filter
    page = client.get("/console/partners/", {"activation": "dark"}).content.decode()
    assert ">Dark</span>" in page
