"""The milestone tracks editor's services (services/tracks_edit.py and its siblings) on a track
with partners mid-track: edits reach them from the next sweep, an alert already raised is never
raised again, and tightening a rule never back-fires (only "raise now" raises, once)."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.milestones.models import (
    AlertCheckpoint,
    AlertRule,
    AlertStatus,
    Milestone,
    PartnerMilestone,
    PartnerTrack,
    Track,
)
from apps.milestones.services import (
    MilestoneError,
    milestone_add_standard,
    milestone_completion_update,
    milestone_event_record,
    milestone_remove,
    milestone_update,
    rule_add,
    rule_retire,
    rule_update,
    track_activation_set,
    track_copy,
    track_settings_update,
    track_start,
    track_stop,
)
from apps.milestones.services.tracks_rules import rule_update_past_due
from apps.onboarding.models import Pipeline, Stage
from apps.partners.models import PartnerType
from apps.partners.services import partner_type_create
from apps.tenancy.models import Role
from tests.conftest import in_scope, race
from tests.milestones.conftest import T0, alerts, day, item, start_tracking, sweep

pytestmark = pytest.mark.django_db


def _track(program, name="Reseller / VAR"):
    with scope(tenant=program.tenant):
        return Track.objects.select_related("partner_type").get(
            tenant=program.tenant, partner_type__name=name
        )


def _milestone(program, key, name="Reseller / VAR"):
    with scope(tenant=program.tenant):
        return Milestone.objects.get(tenant=program.tenant, track=_track(program, name), key=key)


def _rule(program, key, day_, name="Reseller / VAR"):
    with scope(tenant=program.tenant):
        return AlertRule.objects.get(
            tenant=program.tenant, milestone=_milestone(program, key, name), day=day_
        )


def _call(program, fn, *, at, actor=None, **kwargs):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return fn(tenant=program.tenant, actor=actor or program.admin, **kwargs)


def _record(program, type_, at, reference="", account=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=(account or program.partner).pk,
            type=type_,
            source="api",
            reference=reference,
        )


def _rule_alerts(program, rule):
    return [a for a in alerts(program) if a.rule_id == rule.pk]


def _changes(program, change):
    with scope(tenant=program.tenant):
        return [
            e
            for e in AuditEvent.objects.filter(
                tenant=program.tenant, verb="milestones.track_changed"
            ).order_by("pk")
            if e.data.get("change") == change
        ]


@pytest.fixture
def both(acme):
    """acme's two partners, both Resellers, tracked from T0."""
    start_tracking(acme)
    start_tracking(acme, acme.other_partner)
    return acme


# --- Rules -----------------------------------------------------------------------------------


def test_a_rule_moved_later_shifts_checkpoints_and_raises_nothing_early(acme, tracked):
    rule = _rule(acme, "welcome-call", 7)
    _call(
        acme,
        rule_update,
        at=day(3),
        track_id=rule.milestone.track_id,
        rule_id=rule.pk,
        day=10,
        label=rule.label,
    )
    with scope(tenant=acme.tenant):
        assert AlertCheckpoint.objects.get(rule=rule, account=acme.partner).due_at == day(10)
    sweep(day(9))
    assert _rule_alerts(acme, rule) == []
    sweep(day(10))
    assert len(_rule_alerts(acme, rule)) == 1
    [change] = _changes(acme, "rule")
    assert change.actor == acme.admin
    assert change.data["from"]["day"] == 7 and change.data["to"]["day"] == 10


def test_tightening_past_due_is_waived_by_default(both):
    rule = _rule(both, "sales-certification", 30)
    track_id = rule.milestone.track_id
    with time_machine.travel(day(20), tick=False), scope(tenant=both.tenant):
        assert (
            rule_update_past_due(tenant=both.tenant, track_id=track_id, rule_id=rule.pk, day=15)
            == 2
        )
    _call(
        both, rule_update, at=day(20), track_id=track_id, rule_id=rule.pk, day=15, label=rule.label
    )
    sweep(day(21))
    sweep(day(40))
    assert _rule_alerts(both, rule) == []
    with scope(tenant=both.tenant):
        assert set(AlertCheckpoint.objects.filter(rule=rule).values_list("outcome", flat=True)) == {
            "waived"
        }


def test_tightening_with_raise_now_raises_once_per_partner(both):
    rule = _rule(both, "sales-certification", 30)
    _call(
        both,
        rule_update,
        at=day(20),
        track_id=rule.milestone.track_id,
        rule_id=rule.pk,
        day=15,
        label=rule.label,
        raise_past=True,
    )
    sweep(day(20) + timedelta(minutes=5))
    raised = _rule_alerts(both, rule)
    assert sorted(a.account_id for a in raised) == sorted([both.partner.pk, both.other_partner.pk])
    sweep(day(21))
    sweep(day(31))
    assert len(_rule_alerts(both, rule)) == 2


def test_an_alert_already_raised_is_never_raised_again_after_edits(acme, tracked):
    rule = _rule(acme, "welcome-call", 7)
    track_id = rule.milestone.track_id
    sweep(day(8))
    [raised] = _rule_alerts(acme, rule)
    _call(
        acme, rule_update, at=day(8), track_id=track_id, rule_id=rule.pk, day=12, label=rule.label
    )
    _call(
        acme,
        rule_update,
        at=day(9),
        track_id=track_id,
        rule_id=rule.pk,
        day=3,
        label=rule.label,
        raise_past=True,
    )
    sweep(day(13))
    assert [a.pk for a in _rule_alerts(acme, rule)] == [raised.pk]


def test_an_alert_due_before_the_move_is_not_lost(acme, tracked):
    """Due under the old day but not swept yet: tightening it further does not waive it."""
    rule = _rule(acme, "welcome-call", 7)
    _call(
        acme,
        rule_update,
        at=day(7) + timedelta(minutes=1),
        track_id=rule.milestone.track_id,
        rule_id=rule.pk,
        day=6,
        label=rule.label,
    )
    sweep(day(7) + timedelta(minutes=2))
    assert len(_rule_alerts(acme, rule)) == 1


def test_a_rule_added_past_due_is_waived_or_raised_now(both):
    milestone = _milestone(both, "first-deal")
    rule = _call(
        both,
        rule_add,
        at=day(40),
        track_id=milestone.track_id,
        milestone_id=milestone.pk,
        day=30,
        label="No deal at day 30",
    )
    sweep(day(41))
    assert _rule_alerts(both, rule) == []
    later = _call(
        both,
        rule_add,
        at=day(40),
        track_id=milestone.track_id,
        milestone_id=milestone.pk,
        day=35,
        label="No deal at day 35",
        raise_past=True,
    )
    sweep(day(41))
    sweep(day(42))
    assert len(_rule_alerts(both, later)) == 2


def test_a_rule_added_with_its_own_events_counts_events_already_there(acme, tracked):
    _record(acme, "certification.attempted", day(5), reference="technical")
    milestone = _milestone(acme, "technical-certification")
    rule = _call(
        acme,
        rule_add,
        at=day(6),
        track_id=milestone.track_id,
        milestone_id=milestone.pk,
        day=20,
        label="No technical attempt at day 20",
        event_types=["certification.attempted"],
        event_reference="technical",
    )
    sweep(day(21))
    assert _rule_alerts(acme, rule) == []


def test_retiring_a_rule_resolves_its_alerts_and_raises_nothing_more(both):
    rule = _rule(both, "welcome-call", 7)
    sweep(day(8))
    assert len(_rule_alerts(both, rule)) == 2
    _call(both, rule_retire, at=day(9), track_id=rule.milestone.track_id, rule_id=rule.pk)
    assert {a.status for a in _rule_alerts(both, rule)} == {AlertStatus.RESOLVED}
    with scope(tenant=both.tenant):
        resolved = AuditEvent.objects.filter(verb="alert.resolved", data__reason="rule_retired")
        assert resolved.count() == 2
    # Taking it back later (same day and label) alerts again only partners still ahead of it.
    sales = _rule(both, "sales-certification", 45)
    _call(both, rule_retire, at=day(10), track_id=sales.milestone.track_id, rule_id=sales.pk)
    _call(
        both,
        rule_add,
        at=day(11),
        track_id=sales.milestone.track_id,
        milestone_id=sales.milestone_id,
        day=45,
        label=sales.label,
    )
    sweep(day(46))
    assert len(_rule_alerts(both, sales)) == 2


def test_two_admins_moving_the_same_rule_apply_it_once(transactional_acme):
    acme = transactional_acme
    rule = _rule(acme, "sales-certification", 30)
    from apps.home.services import staff_member_add

    with scope(tenant=acme.tenant):
        other = staff_member_add(
            tenant=acme.tenant, actor=acme.admin, email="ad2@acme.test", role=Role.PROGRAM_ADMIN
        ).user
    with time_machine.travel(day(10), tick=False):
        results = race(
            *[
                in_scope(
                    acme.tenant,
                    rule_update,
                    actor=actor,
                    track_id=rule.milestone.track_id,
                    rule_id=rule.pk,
                    day=20,
                    label=rule.label,
                )
                for actor in (acme.admin, other)
            ]
        )
    assert not any(isinstance(r, Exception) for r in results)
    assert len(_changes(acme, "rule")) == 1
    with scope(tenant=acme.tenant):
        assert AlertCheckpoint.objects.get(rule=rule).due_at == day(20)


@pytest.fixture
def transactional_acme(transactional_db, request):
    from tests.conftest import _make_program

    program = _make_program("acme", milestone_template=True)
    start_tracking(program)
    return program


# --- Milestones ------------------------------------------------------------------------------


def test_window_moved_shifts_partners_target_dates(acme, tracked):
    m = _milestone(acme, "welcome-call")
    _call(
        acme,
        milestone_update,
        at=day(2),
        track_id=m.track_id,
        milestone_id=m.pk,
        name="Kick-off call",
        phase=1,
        window_from_day=2,
        window_to_day=8,
        responsible=m.responsible,
    )
    row = item(acme, "welcome-call")
    assert (row.starts_at, row.due_at) == (day(2), day(8))
    assert row.milestone.name == "Kick-off call"


def test_removing_a_milestone_resolves_its_alerts_audited_then_readding_it_raises_no_storm(
    acme, tracked
):
    m = _milestone(acme, "technical-certification")
    sweep(day(46))
    assert len([a for a in alerts(acme) if a.rule.milestone_id == m.pk]) == 1
    _call(acme, milestone_remove, at=day(50), track_id=m.track_id, milestone_id=m.pk)
    with scope(tenant=acme.tenant):
        assert not Milestone.objects.filter(pk=m.pk).exists()
        assert not PartnerMilestone.objects.filter(milestone_id=m.pk).exists()
        assert (
            AuditEvent.objects.filter(
                verb="alert.resolved", data__reason="milestone_removed"
            ).count()
            == 1
        )
    [removed] = _changes(acme, "milestone_removed")
    assert removed.data["alerts_resolved"] == 1
    # Optional per type: put back at day 70, both its rules (45, 60) are long past: waived.
    _call(
        acme, milestone_add_standard, at=day(70), track_id=m.track_id, key="technical-certification"
    )
    sweep(day(71))
    assert [a for a in alerts(acme) if a.rule.milestone.key == "technical-certification"] == []


def test_a_milestone_added_is_completed_by_events_already_there(acme, tracked):
    m = _milestone(acme, "technical-certification")
    _call(acme, milestone_remove, at=day(1), track_id=m.track_id, milestone_id=m.pk)
    _record(acme, "certification.passed", day(20), reference="technical")
    _call(
        acme, milestone_add_standard, at=day(30), track_id=m.track_id, key="technical-certification"
    )
    assert item(acme, "technical-certification").completed_at == day(20)
    sweep(day(61))
    assert [a for a in alerts(acme) if a.rule.milestone.key == "technical-certification"] == []


def test_the_last_activation_milestone_cannot_be_removed(acme):
    track = _track(acme, "Managed Service Provider")
    m = _milestone(acme, "technical-certification", "Managed Service Provider")
    with pytest.raises(MilestoneError, match="only milestone that counts for activation"):
        _call(acme, milestone_remove, at=day(1), track_id=track.pk, milestone_id=m.pk)
    assert _milestone(acme, "technical-certification", "Managed Service Provider").pk == m.pk


def test_activation_set_change_activates_partners_who_qualify(acme, tracked):
    _record(acme, "call.logged", day(2), reference="welcome")
    track = _track(acme)
    welcome = _milestone(acme, "welcome-call")
    _call(acme, track_activation_set, at=day(3), track_id=track.pk, milestone_ids=[welcome.pk])
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=acme.partner).activated_at == day(2)
    with pytest.raises(MilestoneError, match="At least one"):
        _call(acme, track_activation_set, at=day(3), track_id=track.pk, milestone_ids=[])


def test_completion_change_completes_partners_who_have_the_signal(acme, tracked):
    with scope(tenant=acme.tenant):
        pipeline = Pipeline.objects.create(tenant=acme.tenant, name="Orientation")
        stage = Stage.objects.create(tenant=acme.tenant, pipeline=pipeline, name="Basics")
    m = _milestone(acme, "orientation")
    _record(acme, "module.completed", day(4), reference="intro")
    _call(
        acme,
        milestone_completion_update,
        at=day(5),
        track_id=m.track_id,
        milestone_id=m.pk,
        event_types=list(m.event_types),
        stage_id=stage.pk,
        items=["intro"],
    )
    assert item(acme, "orientation").completed_at == day(4)
    [change] = _changes(acme, "completion")
    assert change.data["to"]["stage"] == stage.pk


def test_activation_window_change_moves_deadlines(acme, tracked):
    track = _track(acme)
    _call(
        acme,
        track_settings_update,
        at=day(5),
        track_id=track.pk,
        activation_window_days=30,
        priority_sequence=["A", "B"],
        critical_first_milestone="First deal",
    )
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=acme.partner).activation_due_at == day(30)


# --- Bad input and refusals ------------------------------------------------------------------


def _snapshot(program):
    with scope(tenant=program.tenant):
        return (
            list(Milestone.objects.filter(tenant=program.tenant).order_by("pk").values()),
            list(AlertRule.objects.filter(tenant=program.tenant).order_by("pk").values()),
            list(AlertCheckpoint.objects.filter(tenant=program.tenant).order_by("pk").values()),
            AuditEvent.objects.filter(tenant=program.tenant).count(),
        )


def test_bad_input_is_refused_and_changes_nothing(acme, globex, tracked):
    m = _milestone(acme, "welcome-call")
    rule = _rule(acme, "welcome-call", 7)
    before = _snapshot(acme)
    with scope(tenant=globex.tenant):
        pipeline = Pipeline.objects.create(tenant=globex.tenant, name="Theirs")
        foreign = Stage.objects.create(tenant=globex.tenant, pipeline=pipeline, name="X")
    orientation = _milestone(acme, "orientation")
    bad = [
        (
            milestone_update,
            {
                "milestone_id": m.pk,
                "name": m.name,
                "phase": 1,
                "window_from_day": 9,
                "window_to_day": 3,
                "responsible": "",
            },
        ),
        (rule_update, {"rule_id": rule.pk, "day": 0, "label": rule.label}),
        (
            milestone_completion_update,
            {
                "milestone_id": orientation.pk,
                "event_types": list(orientation.event_types),
                "stage_id": foreign.pk,
            },
        ),
        (milestone_completion_update, {"milestone_id": m.pk, "event_types": ["Not A Type"]}),
        (
            track_settings_update,
            {
                "activation_window_days": 400,
                "priority_sequence": [],
                "critical_first_milestone": "",
            },
        ),
    ]
    for fn, kwargs in bad:
        with pytest.raises(MilestoneError):
            _call(acme, fn, at=day(2), track_id=m.track_id, **kwargs)
    assert _snapshot(acme) == before


def test_a_channel_manager_is_refused(acme, tracked):
    rule = _rule(acme, "welcome-call", 7)
    before = _snapshot(acme)
    with pytest.raises(MilestoneError, match="admins"):
        _call(
            acme,
            rule_update,
            at=day(2),
            actor=acme.cam,
            track_id=rule.milestone.track_id,
            rule_id=rule.pk,
            day=9,
            label=rule.label,
        )
    assert _snapshot(acme) == before


def test_another_programs_track_is_unknown(acme, globex):
    theirs = _track(globex)
    with pytest.raises(MilestoneError, match="Unknown milestone track"):
        _call(
            acme,
            track_settings_update,
            at=day(1),
            track_id=theirs.pk,
            activation_window_days=10,
            priority_sequence=[],
            critical_first_milestone="",
        )


# --- Starting and stopping tracking ----------------------------------------------------------


def test_a_new_partner_type_starts_on_a_copy_of_the_closest_track(acme):
    with scope(tenant=acme.tenant):
        cloud = partner_type_create(tenant=acme.tenant, actor=acme.admin, name="Cloud Reseller")
        track = Track.objects.get(tenant=acme.tenant, partner_type=cloud)
        reseller = _track(acme)
        keys = set(Milestone.objects.filter(track=track).values_list("key", flat=True))
        assert keys == set(Milestone.objects.filter(track=reseller).values_list("key", flat=True))
        assert (
            AlertRule.objects.filter(milestone__track=track).count()
            == AlertRule.objects.filter(milestone__track=reseller, active=True).count()
        )
        created = AuditEvent.objects.get(verb="milestones.track_created")
        assert created.data["why"] == "partner_type_created"
        assert "Reseller / VAR" in created.data["to"]["copied_from"]


def test_track_copy_clones_milestones_and_active_rules_only(acme):
    rule = _rule(acme, "welcome-call", 7)
    _call(acme, rule_retire, at=day(1), track_id=rule.milestone.track_id, rule_id=rule.pk)
    with scope(tenant=acme.tenant):
        new_type = PartnerType.objects.create(tenant=acme.tenant, name="Boutique", position=99)
    track = _call(acme, track_copy, at=day(1), partner_type=new_type, source_track=_track(acme))
    with scope(tenant=acme.tenant):
        assert not AlertRule.objects.filter(milestone__track=track, label=rule.label).exists()
        assert Milestone.objects.filter(track=track).count() == 9


def test_stop_tracking_is_refused_while_partners_are_on_the_track(acme, tracked):
    track = _track(acme)
    with pytest.raises(MilestoneError, match="1 partner"):
        _call(acme, track_stop, at=day(1), track_id=track.pk)
    distributor = _track(acme, "Distributor")
    partner_type = _call(acme, track_stop, at=day(1), track_id=distributor.pk)
    with scope(tenant=acme.tenant):
        assert not Track.objects.filter(partner_type=partner_type).exists()
        assert AuditEvent.objects.filter(verb="milestones.track_removed").count() == 1
    again = _call(
        acme, track_start, at=day(1), partner_type_id=partner_type.pk, source="template:Distributor"
    )
    with scope(tenant=acme.tenant):
        assert Milestone.objects.filter(track=again).count() == 10


def test_a_partner_enrolled_after_an_edit_gets_the_edited_track(acme):
    rule = _rule(acme, "welcome-call", 7)
    _call(
        acme,
        rule_update,
        at=T0,
        track_id=rule.milestone.track_id,
        rule_id=rule.pk,
        day=9,
        label=rule.label,
    )
    start_tracking(acme, at=day(1))
    with scope(tenant=acme.tenant):
        assert AlertCheckpoint.objects.get(rule=rule).due_at == day(10)
