"""The sweep under time-machine: due alerts raised exactly once, in time, and only then."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.milestones.models import (
    Alert,
    AlertCheckpoint,
    AlertStatus,
    CheckpointOutcome,
    PartnerMilestone,
)
from apps.milestones.services import milestone_event_record, milestone_sweep_all_tenants
from apps.partners.models import PartnerStatus
from tests.milestones.conftest import (
    alerts,
    day,
    item,
    orientation_stage,
    start_tracking,
    sweep,
)

pytestmark = pytest.mark.django_db


def _labels(program, **filters):
    return [a.rule.label for a in alerts(program, **filters)]


def _record(program, type_, at, reference="", account=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=(account or program.partner).pk,
            type=type_,
            source="api",
            reference=reference,
        )


def test_nothing_is_raised_before_it_is_due(acme, tracked):
    assert sweep(day(5) - timedelta(seconds=1)).alerts_raised == []
    assert alerts(acme) == []


def test_an_alert_is_raised_exactly_once_when_due(acme, tracked):
    assert len(sweep(day(5)).alerts_raised) == 1
    assert _labels(acme) == ["Profile incomplete at day 5"]
    assert sweep(day(5)).alerts_raised == []
    assert sweep(day(6)).alerts_raised == []
    assert len(alerts(acme)) == 1
    raised = alerts(acme)[0]
    assert raised.status == AlertStatus.OPEN
    assert raised.due_at == day(5) and raised.raised_at == day(5)


def test_catch_up_after_downtime_raises_every_missed_alert_once(acme, tracked):
    sweep(day(1))
    # The workers were down for seven weeks.
    result = sweep(day(50))
    expected = [
        "Profile incomplete at day 5",
        "Welcome call not logged at day 7",
        "Less than 50% of orientation completed at day 14",
        "No sales certification attempt at day 30",
        "Sales certification not passed at day 45",
        "No technical certification attempt at day 45",
        "No deal registered at day 45",
    ]
    assert sorted(_labels(acme)) == sorted(expected)
    assert len(result.alerts_raised) == len(expected)
    assert sweep(day(50)).alerts_raised == []
    assert len(alerts(acme)) == len(expected)


def test_suspended_partners_raise_nothing(acme, tracked):
    with scope(tenant=acme.tenant):
        acme.partner.status = PartnerStatus.SUSPENDED
        acme.partner.save(update_fields=["status"])
    assert sweep(day(50)).alerts_raised == []
    with scope(tenant=acme.tenant):
        outcomes = set(
            AlertCheckpoint.objects.filter(
                account=acme.partner, fired_at__isnull=False
            ).values_list("outcome", flat=True)
        )
    assert outcomes == {CheckpointOutcome.SUPPRESSED}
    # Reactivated later: what was missed while suspended stays quiet, what comes next fires.
    with scope(tenant=acme.tenant):
        acme.partner.status = PartnerStatus.ACTIVE
        acme.partner.save(update_fields=["status"])
    assert _labels(acme) == []
    sweep(day(61))
    assert sorted(_labels(acme)) == [
        "No marketing activity at day 60",
        "Technical certification not passed at day 60",
    ]


def test_completed_milestones_raise_nothing(acme, tracked):
    _record(acme, "call.logged", day(2), reference="welcome")
    _record(acme, "certification.passed", day(20), reference="sales")
    sweep(day(50))
    labels = _labels(acme)
    assert "Welcome call not logged at day 7" not in labels
    # Passing also satisfies the earlier "no attempt" rule of the same milestone.
    assert "No sales certification attempt at day 30" not in labels
    assert "Sales certification not passed at day 45" not in labels
    assert "No deal registered at day 45" in labels


def test_a_rule_of_its_own_is_satisfied_by_its_event(acme, tracked):
    _record(acme, "certification.attempted", day(25), reference="sales")
    sweep(day(40))
    assert "No sales certification attempt at day 30" not in _labels(acme)
    sweep(day(46))
    assert "Sales certification not passed at day 45" in _labels(acme)


def test_an_event_after_the_alert_resolves_it(acme, tracked):
    sweep(day(8))
    assert "Welcome call not logged at day 7" in _labels(acme, status=AlertStatus.OPEN)
    result = _record(acme, "call.logged", day(9), reference="welcome")
    assert len(result.resolved_alert_ids) == 1
    assert item(acme, "welcome-call").completed_at == day(9)
    assert "Welcome call not logged at day 7" in _labels(acme, status=AlertStatus.RESOLVED)
    # A call without the welcome reference completes nothing.
    assert _record(acme, "call.logged", day(10)).completed_milestone_ids == []


def test_events_from_lower_layers_are_applied_by_the_sweep(acme, tracked):
    from apps.partners.services import partner_event_record

    action_ids = orientation_stage(acme, actions=2)
    label = "Less than 50% of orientation completed at day 14"
    sweep(day(15))
    assert label in _labels(acme, status=AlertStatus.OPEN)
    # Onboarding records its own events (a lower layer cannot call milestones).
    with time_machine.travel(day(16), tick=False), scope(tenant=acme.tenant):
        for action_id in action_ids:
            partner_event_record(
                tenant=acme.tenant,
                account_id=acme.partner.pk,
                type="onboarding.action_completed",
                source="onboarding",
                reference=f"action:{action_id}",
            )
    assert item(acme, "orientation").completed_at is None  # not applied yet
    result = sweep(day(16) + timedelta(minutes=1))
    assert result.milestones_completed == 1 and result.alerts_resolved == 1
    orientation = item(acme, "orientation")
    assert orientation.completed_at == day(16) and orientation.progress == 100
    assert label in _labels(acme, status=AlertStatus.RESOLVED)


def test_content_downloads_become_events_that_complete_milestones(acme, tracked):
    from apps.content.models import ContentOpen
    from apps.content.services import content_open_record
    from apps.partners.models import PartnerEvent
    from tests.content.factories import file_asset

    asset = file_asset(acme, title="Co-branded campaign kit", category="marketing")
    with time_machine.travel(day(31), tick=False), scope(tenant=acme.tenant):
        content_open_record(
            tenant=acme.tenant,
            user=acme.partner_user,
            partner_account=acme.partner,
            asset=asset,
            kind="download",
        )
    sweep(day(31) + timedelta(minutes=1))
    sweep(day(31) + timedelta(minutes=2))
    with scope(tenant=acme.tenant):
        events = list(PartnerEvent.objects.filter(account=acme.partner, type="asset.downloaded"))
        assert ContentOpen.objects.filter(partner_account=acme.partner).count() == 1
    assert len(events) == 1  # translated once, however many sweeps run
    assert events[0].reference == f"asset:{asset.pk}"
    assert events[0].data == {"title": "Co-branded campaign kit", "category": "marketing"}
    assert item(acme, "first-marketing").completed_at == day(31)


def test_the_database_refuses_a_second_alert_for_the_same_rule(acme, tracked):
    sweep(day(8))
    first = alerts(acme)[0]
    with scope(tenant=acme.tenant):
        checkpoint = AlertCheckpoint.objects.get(pk=first.checkpoint_id)
        other = (
            AlertCheckpoint.objects.exclude(pk=checkpoint.pk)
            .filter(account=acme.partner, fired_at__isnull=True)
            .first()
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(
                tenant=acme.tenant,
                account=acme.partner,
                partner_milestone_id=first.partner_milestone_id,
                rule_id=first.rule_id,
                checkpoint=other,  # even through another checkpoint
                due_at=first.due_at,
                raised_at=first.raised_at,
            )


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_each_alert_once(acme):
    for account in (acme.partner, acme.other_partner):
        start_tracking(acme, account)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(milestone_sweep_all_tenants())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(day(50), tick=False):
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    raised = [pk for r in results for pk in r.alerts_raised]
    with scopes_disabled():
        stored = list(Alert.objects.values_list("partner_milestone_id", "rule_id"))
    assert len(raised) == len(set(raised)) == len(stored) == len(set(stored)) == 14


def test_a_rerun_after_a_killed_sweep_raises_nothing_twice(acme, tracked):
    # A sweep that dies mid-way rolls its transaction back; the rerun raises each alert once.
    from apps.milestones.services import statements

    with (
        time_machine.travel(day(8), tick=False),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        statements.raise_due(now=day(8), batch=100)
        raise RuntimeError("worker killed")
    assert alerts(acme) == []
    sweep(day(8))
    sweep(day(8))
    assert len(alerts(acme)) == 2


def test_the_sweeps_queries_do_not_grow_with_partners(acme, django_assert_max_num_queries):
    """10 partners or 500: the same statements (the rows due are read set-based)."""
    from apps.milestones.models import PartnerTrack, Track
    from apps.milestones.services import statements
    from apps.partners.models import PartnerAccount

    def make(n, offset):
        with scope(tenant=acme.tenant):
            track = Track.objects.get(partner_type=acme.partner.partner_type)
            accounts = PartnerAccount.objects.bulk_create(
                PartnerAccount(
                    tenant=acme.tenant,
                    name=f"Bulk {offset + i}",
                    partner_type=acme.partner.partner_type,
                    cam=acme.cam,
                )
                for i in range(n)
            )
            tracks = PartnerTrack.objects.bulk_create(
                PartnerTrack(
                    tenant=acme.tenant,
                    account=a,
                    track=track,
                    enrolled_at=day(0),
                    activation_due_at=day(60),
                )
                for a in accounts
            )
        statements.materialise(partner_track_ids=[t.pk for t in tracks], now=day(0))

    counts = {}
    for n, offset, at in ((10, 0, day(7)), (490, 10, day(14))):
        make(n, offset)
        sweep(at - timedelta(days=1))  # cursors in place, earlier alerts raised
        with CaptureQueriesContext(connection) as ctx:
            result = sweep(at)
        counts[n] = len(ctx.captured_queries)
        assert len(result.alerts_raised) >= n
    assert counts[10] == counts[490]
    with django_assert_max_num_queries(counts[10]):
        sweep(day(15) + timedelta(days=15))
    with scopes_disabled():
        assert PartnerMilestone.objects.count() == 500 * 9


def test_the_sweep_and_the_digest_are_in_the_beat_schedule():
    from config.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["milestones-sweep"]["task"] == "apps.milestones.tasks.milestone_sweep"
    assert schedule["milestones-sweep"]["schedule"] == 60.0
    digest = schedule["milestones-alert-digest"]
    assert digest["task"] == "apps.milestones.tasks.alert_digests_send"
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks
    assert app.tasks[digest["task"]] and app.tasks[schedule["milestones-sweep"]["task"]]
