"""The sweep's cost follows the work due, not the partners: the same statements whether 1 or
50 partners are tracked, with nothing due (a probe of the due index, no heavy statement) and
with alerts and review reminders due (their notifications written in one INSERT)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.milestones.models import Alert, AlertKind, PartnerTrack, Track
from apps.milestones.services import statements
from apps.notifications.models import Notification
from apps.partners.models import PartnerAccount
from tests.milestones.conftest import day, sweep

pytestmark = pytest.mark.django_db

NOTHING_DUE_MAX = 27  # savepoints and cursors of 5 steps, the events, intake, dark, the due probe
SOME_DUE_MAX = 40  # the same, the raise statement, the reminders (alerts, staff, host, INSERT)


def _track(acme: object, n: int, offset: int, enrolled: datetime) -> list[int]:
    """`n` new partners of acme's partner type (its CAM), tracked from `enrolled`."""
    tenant = acme.tenant  # type: ignore[attr-defined]
    partner = acme.partner  # type: ignore[attr-defined]
    with scope(tenant=tenant):
        track = Track.objects.get(partner_type=partner.partner_type)
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(
                tenant=tenant,
                name=f"Speed {offset + i}",
                partner_type=partner.partner_type,
                cam=acme.cam,  # type: ignore[attr-defined]
            )
            for i in range(n)
        )
        tracks = PartnerTrack.objects.bulk_create(
            PartnerTrack(
                tenant=tenant,
                account=a,
                track=track,
                enrolled_at=enrolled,
                activation_due_at=enrolled + timedelta(days=60),
            )
            for a in accounts
        )
    statements.materialise(partner_track_ids=[t.pk for t in tracks], now=enrolled)
    return [a.pk for a in accounts]


def _queries(at: datetime) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = sweep(at)
    return len(ctx.captured_queries), result


def test_a_sweep_with_nothing_due_costs_the_same_for_1_or_50_partners(acme):
    counts = {}
    for n, offset in ((1, 0), (49, 1)):
        _track(acme, n, offset, day(0))
        sweep(day(1))  # cursors in place, nothing due until day 5
        counts[n], result = _queries(day(1) + timedelta(minutes=n))
        assert result.checkpoints_claimed == 0 and result.alerts_raised == []
    assert counts[1] == counts[49] <= NOTHING_DUE_MAX


def test_a_sweep_with_alerts_and_reminders_due_costs_the_same_for_1_or_50_partners(acme):
    counts, raised = {}, {}
    for n, offset, enrolled in ((1, 0, day(0)), (50, 1, day(200))):
        ids = _track(acme, n, offset, enrolled)
        sweep(enrolled + timedelta(days=74))  # everything before the review reminder
        counts[n], result = _queries(enrolled + timedelta(days=75))
        raised[n] = result.alerts_raised
        with scopes_disabled():
            reminders = Alert.objects.filter(
                pk__in=result.alerts_raised, rule__kind=AlertKind.REMINDER
            )
            assert sorted(reminders.values_list("account_id", flat=True)) == sorted(ids)
            notified = Notification.objects.filter(
                kind="milestone_review_ready", recipient=acme.cam, created_at__isnull=False
            ).count()
        assert notified == len(ids) + (1 if n == 50 else 0)
        assert len(result.alerts_raised) >= n
    assert counts[1] == counts[50] <= SOME_DUE_MAX
    # Once each: a second sweep at the same moment raises and notifies nothing more.
    assert sweep(day(275)).alerts_raised == []
    with scopes_disabled():
        assert Notification.objects.filter(kind="milestone_review_ready").count() == 51
