"""The daily alert digest: one email per CAM per day, with all their open alerts."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import Alert
from apps.milestones.services import alert_acknowledge, alert_snooze
from apps.milestones.tasks import alert_digest_send_task, alert_digests_send
from apps.notifications.models import EmailStatus, Notification
from tests.milestones.conftest import alerts, day, start_tracking, sweep

pytestmark = pytest.mark.django_db


def _digests(program, user):
    with scope(tenant=program.tenant):
        return list(
            Notification.objects.filter(recipient=user, kind="milestone_alert_digest").order_by(
                "id"
            )
        )


def _run(at, monkeypatch):
    """The hourly beat task, with its per-CAM tasks run inline."""
    queued = []
    monkeypatch.setattr(alert_digest_send_task, "delay", lambda *args: queued.append(args) or None)
    with time_machine.travel(at, tick=False):
        alert_digests_send()
        for args in queued:
            alert_digest_send_task(*args)
    return queued


@pytest.fixture
def two_partners(acme):
    start_tracking(acme)
    start_tracking(acme, acme.other_partner)
    sweep(day(20))


def test_one_email_per_cam_per_day_with_all_their_open_alerts(acme, two_partners, monkeypatch):
    morning = day(21).replace(hour=8)
    assert len(_run(morning, monkeypatch)) == 1
    (digest,) = _digests(acme, acme.cam)
    assert digest.in_app is False and digest.email_status == EmailStatus.PENDING
    assert digest.email_to == acme.cam.email
    open_alerts = alerts(acme)
    assert len(open_alerts) == 6  # three rules due by day 20, two partners
    assert digest.email_subject == "6 open alerts on 2 partners"
    for alert in open_alerts:
        assert alert.rule.label in digest.email_text
    assert acme.partner.name in digest.email_html and acme.other_partner.name in digest.email_html
    # The same day again, or an hour later: nothing new.
    assert _run(morning + timedelta(hours=1), monkeypatch) == []
    assert len(_digests(acme, acme.cam)) == 1
    # Next morning: the next one.
    _run(morning + timedelta(days=1), monkeypatch)
    assert len(_digests(acme, acme.cam)) == 2


def test_no_digest_before_the_morning_hour(acme, two_partners, monkeypatch):
    assert _run(day(21).replace(hour=3), monkeypatch) == []
    assert _digests(acme, acme.cam) == []


def test_a_rerun_of_the_same_cams_task_sends_nothing_twice(acme, two_partners):
    with time_machine.travel(day(21).replace(hour=8), tick=False):
        assert alert_digest_send_task(acme.tenant.pk, acme.cam.pk) == 6
        assert alert_digest_send_task(acme.tenant.pk, acme.cam.pk) == 0
    assert len(_digests(acme, acme.cam)) == 1


def test_acknowledged_and_snoozed_alerts_stay_out(acme, two_partners, monkeypatch):
    first, second, *rest = alerts(acme)
    with time_machine.travel(day(21), tick=False), scope(tenant=acme.tenant):
        alert_acknowledge(tenant=acme.tenant, actor=acme.cam, alert_id=first.pk)
        alert_snooze(
            tenant=acme.tenant,
            actor=acme.cam,
            alert_id=second.pk,
            until=(day(21) + timedelta(days=5)).date(),
        )
    _run(day(21).replace(hour=9), monkeypatch)
    (digest,) = _digests(acme, acme.cam)
    assert digest.email_subject.startswith(f"{len(rest)} open alerts")


def test_cams_without_open_alerts_get_nothing(acme, two_partners, monkeypatch):
    with scope(tenant=acme.tenant):
        Alert.objects.update(status="resolved")
    assert _run(day(21).replace(hour=9), monkeypatch) == []
    assert _digests(acme, acme.cam) == []
