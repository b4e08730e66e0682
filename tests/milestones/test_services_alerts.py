"""What a CAM does with an alert (every transition of ALERT_TRANSITIONS), and the daily
alert digest: one email per CAM per day, with all their open alerts."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.milestones.models import Alert, AlertStatus
from apps.milestones.services import (
    AlertError,
    alert_acknowledge,
    alert_snooze,
    milestone_event_record,
)
from apps.milestones.services.alerts import (
    ALERT_CAM_EVENTS,
    ALERT_DONE_STATUSES,
    ALERT_TRANSITIONS,
    alert_cam_events,
    alert_can,
)
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
    """The hourly beat task, with the digests it queued in the outbox sent inline."""
    from tests.outbox.helpers import queued_by

    with time_machine.travel(at, tick=False):
        queued = [
            (tenant_id, payload["user_id"])
            for tenant_id, payload in queued_by(alert_digests_send, kind="milestones.alert_digest")
        ]
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


# --- ALERT_TRANSITIONS: every (event, status) pair ----------------------------------------


def _alert_row(pk):
    return Alert.objects.filter(pk=pk).values().get()


@pytest.mark.parametrize(
    ("event", "status"),
    [(event, status) for event in ALERT_TRANSITIONS for status in AlertStatus.values],
)
def test_every_alert_event_from_every_status(acme, event, status):
    """Allowed pairs change the status to the table's target (snooze keeps it) and audit
    from/to; the others raise (a CAM's action) or are skipped (the system's resolve) and
    change nothing."""
    start_tracking(acme)
    sweep(day(6))  # "Profile incomplete at day 5" is raised
    with scope(tenant=acme.tenant):
        alert = Alert.objects.get(tenant=acme.tenant, rule__label="Profile incomplete at day 5")
        Alert.objects.filter(pk=alert.pk).update(
            status=status, resolved_at=day(6) if status == AlertStatus.RESOLVED else None
        )
        before = _alert_row(alert.pk)
        audits = AuditEvent.objects.filter(target_type="milestones.alert").count()
    sources, target = ALERT_TRANSITIONS[event]
    allowed = status in sources
    assert alert_can(status, event) is allowed
    assert (event in alert_cam_events(status)) is (allowed and event in ALERT_CAM_EVENTS)
    with time_machine.travel(day(7), tick=False), scope(tenant=acme.tenant):
        if event == "resolve":
            # The milestone needs both signals: the first sign-in, then the full profile.
            first = milestone_event_record(
                tenant=acme.tenant,
                account_id=acme.partner.pk,
                type="portal.access_confirmed",
                source="api",
            )
            assert first.resolved_alert_ids == []
            result = milestone_event_record(
                tenant=acme.tenant,
                account_id=acme.partner.pk,
                type="profile.completed",
                source="api",
            )
            assert (alert.pk in result.resolved_alert_ids) is allowed
        else:

            def act():
                if event == "acknowledge":
                    return alert_acknowledge(tenant=acme.tenant, actor=acme.cam, alert_id=alert.pk)
                until = timezone.localdate() + timedelta(days=3)
                return alert_snooze(
                    tenant=acme.tenant, actor=acme.cam, alert_id=alert.pk, until=until
                )

            if allowed:
                act()
            else:
                with pytest.raises(AlertError):
                    act()
    with scope(tenant=acme.tenant):
        after = _alert_row(alert.pk)
        recorded = list(
            AuditEvent.objects.filter(target_type="milestones.alert").order_by("id")[audits:]
        )
    if not allowed:
        assert after == before
        assert recorded == []
        return
    assert after["status"] == (target or status)
    assert [(a.target_id, a.data["from"], a.data["to"]) for a in recorded] == [
        (str(alert.pk), status, target or status)
    ]


def test_done_statuses_are_those_no_event_leaves():
    assert {AlertStatus.RESOLVED} == ALERT_DONE_STATUSES
    assert alert_cam_events(AlertStatus.OPEN) == ["acknowledge", "snooze"]
    assert alert_cam_events(AlertStatus.ACKNOWLEDGED) == ["snooze"]
    assert alert_cam_events(AlertStatus.RESOLVED) == []
