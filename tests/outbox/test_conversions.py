"""Every side effect that leaves the database is an outbox row written in the business
transaction (rolled back with it), delivered by the sweep when no nudge arrives."""

import re
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from apps.notifications.models import EmailStatus, Notification
from apps.outbox.delivery import outbox_sweep_all_tenants
from apps.outbox.models import OutboxStatus
from tests.onboarding.conftest import journey  # noqa: F401 - fixture
from tests.outbox.conftest import rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drained")]


class Rollback(Exception):
    pass


def _rolled_back(fn):
    """Run `fn` in a transaction that then rolls back."""
    with pytest.raises(Rollback), transaction.atomic():
        fn()
        raise Rollback


def test_application_confirmation_email(acme, mailoutbox):
    from tests.applications.conftest import submit

    _rolled_back(lambda: submit(acme, "peter@initech.example"))
    assert rows(kind="applications.email") == []
    submission = submit(acme, "peter@initech.example")
    (message,) = rows(kind="applications.email")
    assert message.tenant_id == acme.tenant.pk
    assert message.payload == {
        "kind": "confirm",
        "application_id": submission.application.pk,
        "email": "",
    }
    assert mailoutbox == []
    assert outbox_sweep_all_tenants() == 1
    (mail,) = mailoutbox
    assert mail.to == ["peter@initech.example"]


def test_staff_invitation(acme, mailoutbox):
    from apps.home.services import staff_invite
    from apps.tenancy.models import Role

    def invite():
        with scope(tenant=acme.tenant):
            staff_invite(
                tenant=acme.tenant,
                actor=acme.admin,
                email="new@acme.test",
                role=Role.CHANNEL_MANAGER,
            )

    _rolled_back(invite)
    assert rows(kind="home.staff_invitation_email") == []
    invite()
    (message,) = rows(kind="home.staff_invitation_email")
    assert message.summary == "new@acme.test"
    assert message.payload["inviter_id"] == acme.admin.pk
    assert outbox_sweep_all_tenants() == 1
    (mail,) = mailoutbox
    assert mail.to == ["new@acme.test"]
    assert re.search(r"/accounts/password/reset/key/\S+/", mail.body)


def test_auto_advance_request(acme, journey):  # noqa: F811 - fixture
    journey.complete(acme, "Legal details")
    before = len(rows(kind="onboarding.advance"))
    _rolled_back(lambda: journey.complete(acme, "Tax form"))
    assert len(rows(kind="onboarding.advance")) == before
    journey.complete(acme, "Tax form")
    message = rows(kind="onboarding.advance")[-1]
    assert message.payload == {"enrollment_id": journey.enrollment.pk}
    assert journey.reloaded().current_stage == journey.stages[0]
    outbox_sweep_all_tenants()
    assert journey.reloaded().current_stage == journey.stages[1]
    assert {m.status for m in rows(kind="onboarding.advance")} == {OutboxStatus.DELIVERED}


def test_allauth_password_reset_goes_through_the_outbox(acme, client_for, mailoutbox):
    response = client_for(acme).post(
        "/accounts/password/reset/", {"email": acme.partner_user.email}
    )
    assert response.status_code == 302
    assert mailoutbox == []  # not sent from the request
    (message,) = rows(kind="mail.send")
    assert message.tenant_id == acme.tenant.pk
    assert message.payload["to"] == [acme.partner_user.email]
    assert outbox_sweep_all_tenants() == 1
    (mail,) = mailoutbox
    assert mail.to == [acme.partner_user.email]
    assert re.search(r"http://acme\.localhost/accounts/password/reset/key/\S+/", mail.body)
    # Once sent, the row keeps who and what, not the link.
    kept = rows(kind="mail.send")[0]
    assert kept.status == OutboxStatus.DELIVERED
    assert kept.payload == {"to": [acme.partner_user.email], "subject": mail.subject}


def test_notification_email_and_its_status(acme, mailoutbox):
    from apps.notifications.services import notification_create

    with scope(tenant=acme.tenant):
        notification = notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind="partner_assigned",
            context={"partner": acme.partner, "actor_name": "Ada Admin"},
            url="/console/",
        )
    (message,) = rows(kind="notifications.email", payload__notification_id=notification.pk)
    assert message.summary == acme.cam.email
    assert outbox_sweep_all_tenants() == 1
    with scope(tenant=acme.tenant):
        assert Notification.objects.get(pk=notification.pk).email_status == EmailStatus.SENT
    assert [m.to for m in mailoutbox] == [[acme.cam.email]]
    assert message.status == OutboxStatus.PENDING


def test_a_given_up_notification_email_is_marked_failed_and_resend_sends_it(acme, settings):
    from datetime import timedelta

    import time_machine

    from apps.notifications.services import notification_create
    from apps.outbox.services import outbox_message_resend

    settings.EMAIL_BACKEND = "tests.outbox.test_conversions.RefusingBackend"
    start = timezone.now()
    with time_machine.travel(start, tick=False), scope(tenant=acme.tenant):
        notification = notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind="partner_assigned",
            context={"partner": acme.partner, "actor_name": "Ada Admin"},
        )
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        outbox_sweep_all_tenants()
    (message,) = rows(kind="notifications.email", payload__notification_id=notification.pk)
    assert message.status == OutboxStatus.GIVEN_UP
    with scope(tenant=acme.tenant):
        assert Notification.objects.get(pk=notification.pk).email_status == EmailStatus.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with scope(tenant=acme.tenant):
        outbox_message_resend(tenant=acme.tenant, actor=acme.admin, message_id=message.pk)
    assert outbox_sweep_all_tenants() == 1
    with scope(tenant=acme.tenant):
        assert Notification.objects.get(pk=notification.pk).email_status == EmailStatus.SENT


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


def test_approval_digest_is_one_message_per_window(acme):
    from datetime import timedelta

    import time_machine

    from apps.onboarding.services.approvals import approval_digest_schedule

    at = datetime(2026, 3, 2, 10, 1, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        for _ in range(3):
            with scope(tenant=acme.tenant):
                approval_digest_schedule(tenant=acme.tenant, user_id=acme.cam.pk)
    (message,) = rows(kind="onboarding.approval_digest")
    assert message.next_attempt_at == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    with time_machine.travel(at + timedelta(minutes=5), tick=False), scope(tenant=acme.tenant):
        approval_digest_schedule(tenant=acme.tenant, user_id=acme.cam.pk)
    assert len(rows(kind="onboarding.approval_digest")) == 2


def test_alert_digests_are_queued_once_per_hour(acme, globex):
    from apps.milestones.tasks import alert_digests_enqueue_all_tenants

    now = timezone.now()
    recipients = [(acme.tenant.pk, acme.cam.pk), (globex.tenant.pk, globex.cam.pk)]
    alert_digests_enqueue_all_tenants(recipients=recipients, now=now)
    alert_digests_enqueue_all_tenants(recipients=recipients, now=now)
    queued = rows(kind="milestones.alert_digest")
    assert {(m.tenant_id, m.payload["user_id"]) for m in queued} == set(recipients)
    assert len(queued) == 2


def test_import_invitations_are_one_message_per_person(acme):
    from apps.partners.services.importing import _invitations_send

    with scope(tenant=acme.tenant):
        _invitations_send(tenant=acme.tenant, member_ids=[11, 12, 13])
    assert [m.payload for m in rows(kind="partners.import_invitation_email")] == [
        {"member_id": 11},
        {"member_id": 12},
        {"member_id": 13},
    ]
