"""Seed 004's milestone table and partner-type table, under time-machine (issue 12).

Every alert trigger of every track fires on its day (not the day before), exactly once, and
never when the signal the seed measures is genuinely there: the profile's completion with the
first sign-in, the orientation percentage, co-marketing downloads only, deals stalled in
submission, the 90-day review scheduled. The sweep stays set-based at 10 or 500 partners.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.milestones.models import (
    AlertCheckpoint,
    AlertKind,
    AlertRule,
    AlertStatus,
    CheckpointOutcome,
    Milestone,
    PartnerTrack,
    RuleCondition,
    Track,
)
from apps.milestones.services import milestone_event_record, milestone_sweep_all_tenants
from apps.milestones.services.events import EventResult
from apps.partners.models import PartnerAccount, PartnerEvent, PartnerType
from apps.partners.services import partner_account_create
from tests.milestones.conftest import (
    T0,
    alerts,
    day,
    item,
    orientation_stage,
    start_tracking,
    sweep,
)

pytestmark = pytest.mark.django_db

# --- Seed 004, as its tables give it ----------------------------------------------------------

# key: (target window, CAM alert trigger days)
SEED_MILESTONES: dict[str, tuple[tuple[int, int], tuple[int, ...]]] = {
    "profile-complete": ((1, 3), (5,)),  # Profile incomplete at Day 5
    "welcome-call": ((1, 5), (7,)),  # Call not logged at Day 7
    "orientation": ((3, 14), (14,)),  # Less than 50% completion at Day 14
    "sales-certification": ((7, 45), (30, 45)),  # No attempt at 30; not passed at 45
    "technical-certification": ((14, 60), (45, 60)),  # No attempt at 45; not passed at 60
    "first-deal": ((21, 75), (45, 75)),  # No deal at 45; deal stalled in submission at 75
    "first-marketing": ((30, 75), (60,)),  # No marketing activity at Day 60
    "ninety-day-review": ((75, 90), (70, 75)),  # Not scheduled at 70; package at 75 (§5)
    "business-plan": ((80, 90), (85,)),  # Plan not initiated at Day 85
}
# partner type: (activation window: the seed range's upper bound, activation milestones,
# standard milestones that do not apply)
SEED_TRACKS: dict[str, tuple[int, set[str], set[str]]] = {
    "Reseller / VAR": (60, {"sales-certification", "first-deal"}, set()),
    "Managed Service Provider": (90, {"technical-certification"}, set()),
    "Systems Integrator": (90, {"technical-certification", "si-solution-design"}, set()),
    "Distributor": (
        45,
        {"distributor-order-workflow", "distributor-first-reseller"},
        {"technical-certification"},
    ),
    "Referral / Agent": (
        30,
        {"referral-process", "referral-first-lead"},
        {"technical-certification"},
    ),
    "Technology / Alliance": (75, {"alliance-solution-brief", "first-marketing"}, set()),
}
TYPES = list(SEED_TRACKS)


# --- Helpers ----------------------------------------------------------------------------------


def _partner(program: Any, type_name: str, name: str = "") -> PartnerAccount:
    with scope(tenant=program.tenant):
        return partner_account_create(
            tenant=program.tenant,
            actor=program.admin,
            name=name or f"New {type_name} partner",
            partner_type=PartnerType.objects.get(tenant=program.tenant, name=type_name),
            cam=program.cam,
        )


def _record(
    program: Any,
    type_: str,
    at: datetime,
    reference: str = "",
    *,
    account: PartnerAccount | None = None,
    data: dict[str, Any] | None = None,
    source: str = "api",
) -> EventResult:
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=(account or program.partner).pk,
            type=type_,
            source=source,
            reference=reference,
            data=data,
        )


def _fired(program: Any, key: str, rule_day: int, account: PartnerAccount | None = None) -> int:
    """How many alerts the rule of `key` at `rule_day` has raised for the partner."""
    return sum(
        1
        for a in alerts(program, account or program.partner)
        if a.rule.milestone.key == key and a.rule.day == rule_day
    )


def _outcome(program: Any, key: str, rule_day: int) -> tuple[str, bool]:
    """The checkpoint of that rule: its outcome, and whether it was satisfied beforehand."""
    with scope(tenant=program.tenant):
        cp = AlertCheckpoint.objects.get(
            account=program.partner,
            partner_milestone__milestone__key=key,
            rule__day=rule_day,
        )
    return cp.outcome, cp.satisfied_at is not None


def _fires_on(program: Any, key: str, rule_day: int, account: PartnerAccount | None = None) -> None:
    """The rule raises nothing the day before, nor a second before; one alert on its day;
    still one when the sweep runs again."""
    sweep(day(rule_day - 1))
    assert _fired(program, key, rule_day, account) == 0, (key, rule_day, "day before")
    sweep(day(rule_day) - timedelta(seconds=1))
    assert _fired(program, key, rule_day, account) == 0, (key, rule_day, "a second before")
    sweep(day(rule_day))
    assert _fired(program, key, rule_day, account) == 1, (key, rule_day, "on its day")
    sweep(day(rule_day) + timedelta(minutes=1))
    sweep(day(rule_day + 1))
    assert _fired(program, key, rule_day, account) == 1, (key, rule_day, "once")


def _never(program: Any, key: str, rule_day: int) -> None:
    sweep(day(rule_day))
    sweep(day(rule_day + 1))
    assert _fired(program, key, rule_day) == 0, (key, rule_day)


# --- The partner-type table: every track ------------------------------------------------------


@pytest.mark.parametrize("type_name", TYPES)
def test_each_track_holds_the_seeds_milestones_activation_set_and_window(acme, type_name):
    window, activation, excluded = SEED_TRACKS[type_name]
    with scope(tenant=acme.tenant):
        track = Track.objects.get(tenant=acme.tenant, partner_type__name=type_name)
        milestones = {m.key: m for m in Milestone.objects.filter(track=track)}
        rules: dict[str, list[int]] = {}
        for rule in AlertRule.objects.filter(milestone__track=track, active=True):
            rules.setdefault(rule.milestone.key, []).append(rule.day)
    assert track.activation_window_days == window
    assert len(track.priority_sequence) == 5 and track.critical_first_milestone
    standard = set(SEED_MILESTONES) - excluded
    assert set(milestones) >= standard
    assert not set(milestones) & excluded  # technical certification only "if required"
    assert {k for k, m in milestones.items() if m.counts_for_activation} == activation
    assert activation <= set(milestones)
    for key in standard:
        (start, end), days = SEED_MILESTONES[key]
        m = milestones[key]
        assert (m.window_from_day, m.window_to_day) == (start, end), (type_name, key)
        assert sorted(rules[key]) == list(days), (type_name, key)
    # A track's extra milestones (its critical first milestone) fall within its window.
    for key in set(milestones) - standard:
        assert milestones[key].window_to_day <= window, (type_name, key)


@pytest.mark.parametrize("type_name", TYPES)
def test_every_trigger_of_the_track_fires_on_its_day_exactly_once(acme, type_name):
    """A partner with no signal at all: each rule fires on its day, once; the stall rule
    never (nothing was registered, so nothing is stalled)."""
    account = _partner(acme, type_name)
    start_tracking(acme, account)
    with scope(tenant=acme.tenant):
        due = sorted(
            AlertRule.objects.filter(
                milestone__track__partner_type__name=type_name, active=True
            ).values_list("day", "milestone__key", "condition")
        )
    assert due
    by_day: dict[int, list[tuple[str, str]]] = {}
    for rule_day, key, condition in due:
        by_day.setdefault(rule_day, []).append((key, condition))
    for rule_day, rules in sorted(by_day.items()):
        expected = {key: int(condition != RuleCondition.STALLED) for key, condition in rules}
        sweep(day(rule_day - 1))
        assert {key: _fired(acme, key, rule_day, account) for key in expected} == dict.fromkeys(
            expected, 0
        ), (rule_day, "day before")
        sweep(day(rule_day) - timedelta(seconds=1))
        assert {key: _fired(acme, key, rule_day, account) for key in expected} == dict.fromkeys(
            expected, 0
        ), (rule_day, "a second before")
        sweep(day(rule_day))
        assert {key: _fired(acme, key, rule_day, account) for key in expected} == expected, (
            rule_day,
            "on its day",
        )
        sweep(day(rule_day) + timedelta(minutes=1))
        sweep(day(rule_day) + timedelta(hours=12))
        assert {key: _fired(acme, key, rule_day, account) for key in expected} == expected, (
            rule_day,
            "once",
        )
    # One alert per rule that fired, and no other.
    raised = alerts(acme, account)
    assert len(raised) == len({(a.rule.milestone.key, a.rule.day) for a in raised})
    assert len(raised) == sum(1 for _d, _k, c in due if c != RuleCondition.STALLED)


@pytest.mark.parametrize("type_name", TYPES)
def test_the_activation_set_activates_within_the_window_and_dark_without_it(acme, type_name):
    window, activation, _excluded = SEED_TRACKS[type_name]
    done = _partner(acme, type_name)
    late = _partner(acme, type_name, name=f"Late {type_name} partner")
    with scope(tenant=acme.tenant):
        completes = {
            m.key: (m.event_types[0], m.event_reference)
            for m in Milestone.objects.filter(
                track__partner_type__name=type_name, key__in=activation
            )
        }
    start_tracking(acme, done)
    start_tracking(acme, late)
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=done).activation_due_at == day(window)
    for n, key in enumerate(sorted(activation)):
        type_, reference = completes[key]
        result = _record(acme, type_, day(10 + n), reference, account=done)
        assert result.activated is (n == len(activation) - 1), key
    # The late partner does all but one of them.
    for n, key in enumerate(sorted(activation)[:-1]):
        type_, reference = completes[key]
        _record(acme, type_, day(10 + n), reference, account=late)
    sweep(day(window) - timedelta(seconds=1))
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=late).dark_at is None
    sweep(day(window))
    with scope(tenant=acme.tenant):
        rows = {pt.account_id: pt for pt in PartnerTrack.objects.filter(account__in=[done, late])}
    assert rows[done.pk].activated_at == day(10 + len(activation) - 1)
    assert rows[done.pk].dark_at is None
    assert rows[late.pk].activated_at is None and rows[late.pk].dark_at == day(window)


# --- Portal access confirmed and partner profile complete (day 5) -----------------------------


def test_profile_complete_and_signed_in_by_day_4_raises_nothing_at_day_5(acme, tracked):
    _record(acme, "portal.access_confirmed", day(1))
    _record(acme, "profile.completed", day(4))
    profile = item(acme, "profile-complete")
    assert profile.completed_at == day(4) and profile.progress == 100
    _never(acme, "profile-complete", 5)
    assert _outcome(acme, "profile-complete", 5) == ("", True)


@pytest.mark.parametrize("only", ["profile.completed", "portal.access_confirmed"])
def test_one_of_the_two_signals_is_not_enough(acme, tracked, only):
    _record(acme, only, day(2))
    profile = item(acme, "profile-complete")
    assert profile.completed_at is None and profile.progress == 50
    _fires_on(acme, "profile-complete", 5)


def test_the_second_signal_after_day_5_completes_it_and_resolves_the_alert(acme, tracked):
    _record(acme, "profile.completed", day(2))
    _fires_on(acme, "profile-complete", 5)
    result = _record(acme, "portal.access_confirmed", day(8))
    assert len(result.resolved_alert_ids) == 1
    [alert] = alerts(acme)
    assert alert.status == AlertStatus.RESOLVED
    assert item(acme, "profile-complete").completed_at == day(8)


# --- Welcome call completed (day 7) ----------------------------------------------------------


def test_a_welcome_call_logged_by_day_6_raises_nothing(acme, tracked):
    _record(acme, "call.logged", day(6), "welcome")
    _never(acme, "welcome-call", 7)


def test_no_welcome_call_alerts_at_day_7_another_call_does_not_count(acme, tracked):
    _record(acme, "call.logged", day(3))  # a call, not the welcome call
    _fires_on(acme, "welcome-call", 7)


# --- Program orientation modules completed (below 50% at day 14) -----------------------------


def _orientation(program: Any, done: int, at: datetime, *, kind: str = "completed") -> list[int]:
    """Five orientation actions; `done` of them completed (or skipped) by `at`."""
    action_ids = orientation_stage(program, actions=5)
    for action_id in action_ids[:done]:
        _record(
            program,
            f"onboarding.action_{kind}",
            at,
            f"action:{action_id}",
            source="onboarding",
        )
    return action_ids


def test_orientation_at_60_percent_at_day_14_raises_nothing(acme, tracked):
    _orientation(acme, 3, day(10))
    orientation = item(acme, "orientation")
    assert orientation.progress == 60 and orientation.completed_at is None
    _never(acme, "orientation", 14)
    assert item(acme, "orientation").completed_at is None  # 60% is not complete
    assert _outcome(acme, "orientation", 14)[0] in ("", CheckpointOutcome.CLEAR)


def test_orientation_at_exactly_50_percent_is_not_below_it(acme, tracked):
    action_ids = orientation_stage(acme, actions=4)
    for action_id in action_ids[:2]:
        _record(
            acme, "onboarding.action_completed", day(5), f"action:{action_id}", source="onboarding"
        )
    assert item(acme, "orientation").progress == 50
    _never(acme, "orientation", 14)


def test_orientation_at_40_percent_at_day_14_alerts(acme, tracked):
    action_ids = _orientation(acme, 2, day(10))
    assert item(acme, "orientation").progress == 40
    _fires_on(acme, "orientation", 14)
    # Reaching 60% later resolves the alert; the milestone stays open until 100%.
    result = _record(
        acme, "onboarding.action_completed", day(16), f"action:{action_ids[2]}", source="onboarding"
    )
    assert len(result.resolved_alert_ids) == 1
    assert item(acme, "orientation").completed_at is None


def test_orientation_at_100_percent_completes_the_milestone(acme, tracked):
    _orientation(acme, 5, day(9))
    orientation = item(acme, "orientation")
    assert orientation.progress == 100 and orientation.completed_at == day(9)
    _never(acme, "orientation", 14)


def test_skipped_actions_and_listed_modules_count_as_done(acme, tracked):
    action_ids = orientation_stage(acme, actions=3)
    with scope(tenant=acme.tenant):
        Milestone.objects.filter(
            tenant=acme.tenant, track__partner_type__name="Reseller / VAR", key="orientation"
        ).update(items=["module:portal-tour"])
    _record(
        acme, "onboarding.action_skipped", day(4), f"action:{action_ids[0]}", source="onboarding"
    )
    _record(acme, "module.completed", day(5), "module:portal-tour")
    assert item(acme, "orientation").progress == 50  # 2 of 4
    # An event of another action, or a module not listed, counts for nothing.
    _record(acme, "module.completed", day(6), "module:something-else")
    _record(acme, "onboarding.action_completed", day(6), "action:999999", source="onboarding")
    assert item(acme, "orientation").progress == 50
    for action_id in action_ids[1:]:
        _record(
            acme, "onboarding.action_completed", day(7), f"action:{action_id}", source="onboarding"
        )
    assert item(acme, "orientation").completed_at == day(7)


def test_orientation_without_a_stage_or_items_alerts_at_day_14(acme, tracked):
    """Nothing to measure is not "done": the CAM hears about it (the tracks editor says so)."""
    _fires_on(acme, "orientation", 14)


# --- First MDF request submitted or co-marketing asset accessed (day 60) ---------------------


def _download(program: Any, category: str, at: datetime) -> None:
    """A partner user downloads an asset of `category` from the library."""
    from apps.content.services import content_open_record
    from tests.content.factories import file_asset

    asset = file_asset(program, title=f"A {category} asset", category=category)
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        content_open_record(
            tenant=program.tenant,
            user=program.partner_user,
            partner_account=program.partner,
            asset=asset,
            kind="download",
        )
    sweep(at + timedelta(minutes=1))  # the sweep turns the open into a partner event


def test_an_nda_download_leaves_marketing_open_and_day_60_alerts(acme, tracked):
    _download(acme, "legal", day(31))
    with scope(tenant=acme.tenant):
        event = PartnerEvent.objects.get(account=acme.partner, type="asset.downloaded")
    assert event.data["category"] == "legal"
    assert item(acme, "first-marketing").completed_at is None
    _fires_on(acme, "first-marketing", 60)


@pytest.mark.parametrize("category", ["legal", "technical", "sales", "pricing", "other"])
def test_a_download_outside_co_marketing_content_completes_nothing(acme, tracked, category):
    result = _record(acme, "asset.downloaded", day(31), "asset:1", data={"category": category})
    assert result.completed_milestone_ids == []
    assert item(acme, "first-marketing").completed_at is None


@pytest.mark.parametrize("category", ["marketing", "brand"])
def test_a_co_marketing_download_completes_it(acme, tracked, category):
    _download(acme, category, day(31))
    assert item(acme, "first-marketing").completed_at == day(31)
    _never(acme, "first-marketing", 60)


@pytest.mark.parametrize("type_", ["mdf.requested", "campaign.started"])
def test_an_mdf_request_or_a_campaign_completes_it(acme, tracked, type_):
    _record(acme, type_, day(40))
    assert item(acme, "first-marketing").completed_at == day(40)
    _never(acme, "first-marketing", 60)


# --- First deal registered (day 45: none; day 75: stalled in submission) ---------------------


@pytest.mark.parametrize("then", ["deal.approved", "deal.rejected", "deal.progressed"])
def test_a_deal_registered_day_20_and_moved_on_day_30_raises_no_stall(acme, tracked, then):
    _record(acme, "deal.registered", day(20), "DR-1")
    _record(acme, then, day(30), "DR-1")
    assert item(acme, "first-deal").completed_at == day(20)
    _never(acme, "first-deal", 45)
    _never(acme, "first-deal", 75)
    assert _outcome(acme, "first-deal", 75) == (CheckpointOutcome.CLEAR, False)


def test_a_deal_registered_day_20_with_nothing_since_stalls_at_day_75(acme, tracked):
    _record(acme, "deal.registered", day(20), "DR-1")
    _never(acme, "first-deal", 45)  # it was registered
    _fires_on(acme, "first-deal", 75)
    assert _outcome(acme, "first-deal", 75) == (CheckpointOutcome.RAISED, False)


def test_a_later_event_of_another_deal_does_not_unstall_it(acme, tracked):
    _record(acme, "deal.registered", day(20), "DR-1")
    _record(acme, "deal.registered", day(25), "DR-2")
    _record(acme, "deal.approved", day(30), "DR-2")
    _fires_on(acme, "first-deal", 75)


def test_no_deal_at_all_alerts_at_day_45_and_nothing_is_stalled_at_75(acme, tracked):
    _fires_on(acme, "first-deal", 45)
    _never(acme, "first-deal", 75)
    assert _outcome(acme, "first-deal", 75) == (CheckpointOutcome.CLEAR, False)


def test_a_deal_registered_after_day_45_resolves_that_alert_and_can_still_stall(acme, tracked):
    _fires_on(acme, "first-deal", 45)
    result = _record(acme, "deal.registered", day(50), "DR-7")
    assert len(result.resolved_alert_ids) == 1
    _fires_on(acme, "first-deal", 75)


# --- Foundational sales certification (day 30: no attempt; day 45: not passed) ---------------


@pytest.mark.parametrize("attempt", ["certification.attempted", "certification.failed"])
def test_an_attempt_by_day_30_silences_day_30_but_not_day_45(acme, tracked, attempt):
    _record(acme, attempt, day(25), "sales")
    _never(acme, "sales-certification", 30)
    _fires_on(acme, "sales-certification", 45)


def test_an_attempt_at_the_technical_certification_does_not_count_for_sales(acme, tracked):
    _record(acme, "certification.attempted", day(25), "technical")
    _fires_on(acme, "sales-certification", 30)
    _never(acme, "technical-certification", 45)


def test_passing_by_day_30_silences_both(acme, tracked):
    _record(acme, "certification.passed", day(28), "sales")
    _never(acme, "sales-certification", 30)
    _never(acme, "sales-certification", 45)


# --- 90-day review (day 70: not scheduled; day 75: package) and business plan (day 85) -------


def test_a_review_scheduled_before_day_70_raises_nothing_at_day_70(acme, tracked):
    _record(acme, "review.scheduled", day(60))
    _never(acme, "ninety-day-review", 70)
    assert item(acme, "ninety-day-review").completed_at is None  # scheduled, not held
    # The review package is still prepared at day 75 (a reminder, not an overdue alert).
    _fires_on(acme, "ninety-day-review", 75)
    (package,) = [a for a in alerts(acme) if a.rule.day == 75]
    assert package.rule.kind == AlertKind.REMINDER


def test_no_review_scheduled_alerts_at_day_70(acme, tracked):
    _fires_on(acme, "ninety-day-review", 70)
    result = _record(acme, "review.scheduled", day(71))
    assert len(result.resolved_alert_ids) == 1


def test_a_business_plan_documented_by_day_84_raises_nothing(acme, tracked):
    _record(acme, "plan.documented", day(84))
    _never(acme, "business-plan", 85)


def test_no_business_plan_alerts_at_day_85(acme, tracked):
    _fires_on(acme, "business-plan", 85)


# --- The sweep stays set-based ----------------------------------------------------------------


def _bulk_partners(program: Any, n: int, enrolled_at: datetime, offset: int) -> list[int]:
    """`n` Reseller partners tracked from `enrolled_at` (made in bulk); returns their ids."""
    from apps.milestones.services import statements

    with scope(tenant=program.tenant):
        track = Track.objects.get(tenant=program.tenant, partner_type__name="Reseller / VAR")
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(
                tenant=program.tenant,
                name=f"Bulk partner {offset + i}",
                partner_type=track.partner_type,
                cam=program.cam,
            )
            for i in range(n)
        )
        tracks = PartnerTrack.objects.bulk_create(
            PartnerTrack(
                tenant=program.tenant,
                account=a,
                track=track,
                enrolled_at=enrolled_at,
                activation_due_at=enrolled_at + timedelta(days=track.activation_window_days),
            )
            for a in accounts
        )
    statements.materialise(partner_track_ids=[t.pk for t in tracks], now=enrolled_at)
    return [a.pk for a in accounts]


def _register_deals(program: Any, account_ids: list[int], at: datetime) -> None:
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        PartnerEvent.objects.bulk_create(
            PartnerEvent(
                tenant=program.tenant,
                account_id=pk,
                type="deal.registered",
                occurred_at=at,
                source="api",
                reference=f"DR-{pk}",
            )
            for pk in account_ids
        )


def _counted(at: datetime) -> tuple[int, int]:
    """One sweep pass at `at`: (queries, alerts raised)."""
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as ctx:
        result = milestone_sweep_all_tenants()
    return len(ctx.captured_queries), len(result.alerts_raised)


def test_the_sweeps_query_count_is_the_same_for_10_and_500_partners(
    acme, django_assert_num_queries
):
    # The 90-day review reminder notifies the CAM per alert (its cost follows the alerts, as
    # §5 allows): retired here, so that every due rule left is read set-based.
    with scope(tenant=acme.tenant):
        AlertRule.objects.filter(tenant=acme.tenant, kind=AlertKind.REMINDER).update(active=False)
    counts: dict[int, dict[str, int]] = {}
    for n, start in ((10, T0), (500, T0 + timedelta(days=200))):
        ids = _bulk_partners(acme, n, start, offset=len(counts) * 1000)
        at = {d: start + timedelta(days=d) for d in (13, 14, 20, 74, 75)}
        sweep(at[13])
        queries, raised = _counted(at[14])  # orientation below 50%: a threshold rule
        assert raised == n
        counts[n] = {"below": queries}
        _register_deals(acme, ids[: n // 2], at[20])  # half register a deal, nothing after
        sweep(at[74])
        queries, raised = _counted(at[75])  # deal stalled in submission: read when due
        assert raised == n // 2
        counts[n]["stalled"] = queries
        sweep(start + timedelta(days=199))  # everything of this batch has fired
    assert counts[10] == counts[500]
    with scopes_disabled():
        assert PartnerTrack.objects.count() == 510
    # And the next pass, whatever is due, stays within the same bound.
    ids = _bulk_partners(acme, 500, T0 + timedelta(days=400), offset=5000)
    sweep(T0 + timedelta(days=413))
    with (
        time_machine.travel(T0 + timedelta(days=414), tick=False),
        django_assert_num_queries(counts[10]["below"]),
    ):
        assert len(milestone_sweep_all_tenants().alerts_raised) == 500
    assert len(ids) == 500
