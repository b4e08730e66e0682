"""services/setup.py, partner_track_switch: a partner whose type changed moves to its new
type's milestone track. Milestones in both tracks are kept; the others are added (counted from
the switch) or dropped, their open alerts resolved first."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_for_partner
from apps.milestones.models import Alert, AlertCheckpoint, PartnerMilestone, PartnerTrack, Track
from apps.milestones.selectors.tracks import track_switch_preview
from apps.milestones.services import MilestoneError, milestone_event_record, partner_track_switch
from apps.partners.models import PartnerAccount, PartnerType
from tests.conftest import in_scope, race
from tests.milestones.conftest import alerts, day, item, start_tracking, sweep

pytestmark = pytest.mark.django_db

RESELLER_ONLY = "technical-certification"  # in the Reseller track, not the Distributor's
DISTRIBUTOR_ONLY = {"distributor-order-workflow", "distributor-first-reseller"}


def _record(program, type_, at, reference=""):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=program.partner.pk,
            type=type_,
            source="api",
            reference=reference,
        )


def _profile_done(program, at):
    """Both signals of "profile complete": the first sign-in and the full profile."""
    _record(program, "portal.access_confirmed", at)
    return _record(program, "profile.completed", at)


def _type(program, name):
    with scope(tenant=program.tenant):
        return PartnerType.objects.get(tenant=program.tenant, name=name)


def _track(program, name):
    with scope(tenant=program.tenant):
        return Track.objects.get(tenant=program.tenant, partner_type__name=name)


def _make(program, type_name, account=None):
    """The partner's type changed (the edit page saved it)."""
    with scope(tenant=program.tenant):
        PartnerAccount.objects.filter(pk=(account or program.partner).pk).update(
            partner_type=_type(program, type_name)
        )


def _switch(program, track, *, at=None, actor=None, account=None):
    with time_machine.travel(at or day(50), tick=False), scope(tenant=program.tenant):
        return partner_track_switch(
            tenant=program.tenant,
            actor=actor or program.cam,
            account_id=(account or program.partner).pk,
            track_id=track.pk,
        )


def _keys(program):
    with scope(tenant=program.tenant):
        return set(
            PartnerMilestone.objects.filter(account=program.partner).values_list(
                "milestone__key", flat=True
            )
        )


@pytest.fixture
def distributor(acme, tracked):
    """acme's partner, tracked as a Reseller from T0, became a Distributor."""
    _make(acme, "Distributor")
    return _track(acme, "Distributor")


# --- Happy path ------------------------------------------------------------------------------


def test_milestones_in_both_tracks_are_kept_the_others_added_or_dropped(acme, distributor):
    _profile_done(acme, day(2))
    before = item(acme, "profile-complete")
    assert before.completed_at == day(2)
    assert RESELLER_ONLY in _keys(acme)

    partner_track = _switch(acme, distributor)

    assert partner_track.track_id == distributor.pk
    keys = _keys(acme)
    assert RESELLER_ONLY not in keys
    assert keys >= DISTRIBUTOR_ONLY
    assert len(keys) == 10
    kept = item(acme, "profile-complete")
    assert kept.pk == before.pk
    # Kept by key: it now points at the new track's own milestone of that key.
    assert kept.milestone.track_id == distributor.pk
    assert kept.milestone_id != before.milestone_id
    assert (kept.completed_at, kept.starts_at, kept.due_at) == (
        before.completed_at,
        before.starts_at,
        before.due_at,
    )
    # New milestones are counted from the switch, not from the enrollment long ago.
    added = item(acme, "distributor-order-workflow")
    assert added.starts_at == day(50) + timedelta(days=3)
    assert added.due_at == day(50) + timedelta(days=45)
    assert added.completed_at is None
    with scope(tenant=acme.tenant):
        row = PartnerTrack.objects.get(pk=partner_track.pk)
        assert row.enrolled_at == day(0)
        assert row.activation_due_at == day(50) + timedelta(days=45)


def test_the_switch_is_audited_on_the_partners_timeline(acme, distributor):
    _switch(acme, distributor)
    with scope(tenant=acme.tenant):
        timeline = audit_events_for_partner(tenant=acme.tenant, partner_id=acme.partner.pk)
        switched = next(e for e in timeline if e.verb == "milestones.track_switched")
    assert switched.actor == acme.cam
    assert switched.data == {
        "from": "Reseller / VAR",
        "to": "Distributor",
        "kept": 8,
        "added": 2,
        "dropped": 1,
        "alerts_resolved": 0,
    }


def test_open_alerts_of_dropped_milestones_are_resolved_the_others_stay(acme, distributor):
    sweep(day(50))
    open_before = {a.rule.label for a in alerts(acme, resolved_at__isnull=True)}
    assert "No technical certification attempt at day 45" in open_before
    assert "Welcome call not logged at day 7" in open_before

    _switch(acme, distributor, at=day(50) + timedelta(hours=1))

    open_after = {a.rule.label for a in alerts(acme, resolved_at__isnull=True)}
    assert open_after == open_before - {"No technical certification attempt at day 45"}
    with scope(tenant=acme.tenant):
        resolved = list(
            AuditEvent.objects.filter(verb="alert.resolved", partner_id=acme.partner.pk)
        )
        assert len(resolved) == 1
        assert resolved[0].actor == acme.cam
        assert resolved[0].data == {"from": "open", "to": "resolved", "reason": "track_switched"}
        assert AuditEvent.objects.get(verb="milestones.track_switched").data["alerts_resolved"] == 1
        # Nothing is left to fire for the dropped milestone.
        assert not AlertCheckpoint.objects.filter(
            account=acme.partner, partner_milestone__milestone__key=RESELLER_ONLY
        ).exists()
    # Later sweeps raise nothing about it.
    sweep(day(61))
    labels = {a.rule.label for a in alerts(acme)}
    assert "Technical certification not passed at day 60" not in labels


def test_the_preview_counts_what_the_switch_does(acme, distributor):
    _profile_done(acme, day(2))
    sweep(day(50))
    with scope(tenant=acme.tenant):
        partner_track = PartnerTrack.objects.get(account=acme.partner)
        preview = track_switch_preview(
            tenant=acme.tenant, partner_track=partner_track, track=distributor
        )
    assert preview == {
        "kept": 8,
        "kept_done": 1,
        "added": 2,
        "dropped": 1,
        "dropped_done": 0,
        "open_alerts": 1,
    }


def test_alerts_raised_on_kept_milestones_are_not_raised_again_on_the_new_track(acme, distributor):
    sweep(day(50))
    raised = {a.rule.label for a in alerts(acme)}
    assert "Welcome call not logged at day 7" in raised
    _switch(acme, distributor, at=day(50) + timedelta(hours=1))
    sweep(day(120))
    labels = [a.rule.label for a in alerts(acme)]
    assert labels.count("Welcome call not logged at day 7") == 1
    assert labels.count("Profile incomplete at day 5") == 1
    assert len(labels) == len(set(labels))
    # The kept milestone's checkpoints are the new track's rules.
    welcome = item(acme, "welcome-call")
    with scope(tenant=acme.tenant):
        rules = set(
            AlertCheckpoint.objects.filter(partner_milestone=welcome).values_list(
                "rule__milestone_id", flat=True
            )
        )
    assert rules == {welcome.milestone_id}


def test_rules_of_kept_milestones_not_yet_due_fire_once_on_their_own_day(acme, distributor):
    _switch(acme, distributor, at=day(3))
    sweep(day(4))
    assert alerts(acme) == []
    sweep(day(5))
    assert [a.rule.label for a in alerts(acme)] == ["Profile incomplete at day 5"]
    sweep(day(6))
    assert len(alerts(acme)) == 1


def test_events_recorded_before_complete_the_new_milestones_and_activate(acme, distributor):
    _record(acme, "order_workflow.confirmed", day(10))
    _record(acme, "reseller.enrolled", day(12))
    _switch(acme, distributor)
    assert item(acme, "distributor-order-workflow").completed_at == day(10)
    assert item(acme, "distributor-first-reseller").completed_at == day(12)
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=acme.partner).activated_at == day(12)


def test_an_activated_partner_keeps_its_activation(acme, tracked):
    _record(acme, "certification.passed", day(10), reference="sales")
    _record(acme, "deal.registered", day(20))
    with scope(tenant=acme.tenant):
        due = PartnerTrack.objects.get(account=acme.partner).activation_due_at
        assert PartnerTrack.objects.get(account=acme.partner).activated_at == day(20)
    _make(acme, "Distributor")
    _switch(acme, _track(acme, "Distributor"))
    with scope(tenant=acme.tenant):
        row = PartnerTrack.objects.get(account=acme.partner)
    assert row.activated_at == day(20)
    assert row.activation_due_at == due


# --- Refused ---------------------------------------------------------------------------------


def _unchanged(program):
    with scope(tenant=program.tenant):
        assert PartnerTrack.objects.get(account=program.partner).track.partner_type.name == (
            "Reseller / VAR"
        )
        assert not AuditEvent.objects.filter(verb="milestones.track_switched").exists()
    assert RESELLER_ONLY in _keys(program)


def test_the_track_it_is_on_is_refused(acme, tracked):
    with pytest.raises(MilestoneError, match="already on the Reseller / VAR track"):
        _switch(acme, _track(acme, "Reseller / VAR"))
    _unchanged(acme)


def test_a_track_of_another_type_than_the_partners_is_refused(acme, distributor):
    with pytest.raises(MilestoneError, match="That track is for Managed Service Provider"):
        _switch(acme, _track(acme, "Managed Service Provider"))
    _unchanged(acme)


def test_another_programs_track_id_is_refused(acme, globex, distributor):
    with pytest.raises(MilestoneError, match="Unknown milestone track"):
        _switch(acme, _track(globex, "Distributor"))
    _unchanged(acme)


def test_another_programs_partner_is_refused(acme, globex, distributor):
    start_tracking(globex)
    with pytest.raises(MilestoneError, match="Unknown partner"):
        _switch(acme, distributor, account=globex.partner)
    _unchanged(acme)


@pytest.mark.parametrize("who", ["partner_admin", "partner_user", "admin_of_globex"])
def test_only_the_programs_staff_can_switch(acme, globex, distributor, who):
    actor = globex.admin if who == "admin_of_globex" else getattr(acme, who)
    with pytest.raises(MilestoneError, match="Only the program’s staff"):
        _switch(acme, distributor, actor=actor)
    _unchanged(acme)


def test_a_partner_without_tracking_is_refused(acme, tracked):
    _make(acme, "Distributor", account=acme.other_partner)
    with pytest.raises(MilestoneError, match="no milestone tracking yet"):
        _switch(acme, _track(acme, "Distributor"), account=acme.other_partner)


# --- Two people confirming at once -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_switches_at_once_switch_once(acme):
    start_tracking(acme)
    _make(acme, "Distributor")
    track = _track(acme, "Distributor")
    call = {"account_id": acme.partner.pk, "track_id": track.pk}
    results = race(
        in_scope(acme.tenant, partner_track_switch, actor=acme.admin, **call),
        in_scope(acme.tenant, partner_track_switch, actor=acme.cam, **call),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], MilestoneError), results
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="milestones.track_switched").count() == 1
        assert PartnerMilestone.objects.filter(account=acme.partner).count() == 10
        assert not Alert.objects.filter(account=acme.partner).exists()
