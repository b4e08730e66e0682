import pytest
from django_scopes import scope

from apps.notifications.models import EmailStatus, Notification
from apps.notifications.services import (
    notification_create,
    notification_email_deliver,
    notification_mark_read,
)

pytestmark = pytest.mark.django_db


def _notify(program, recipient, **kwargs):
    with scope(tenant=program.tenant):
        return notification_create(
            tenant=program.tenant,
            recipient=recipient,
            kind="partner_assigned",
            context={"partner": program.partner, "actor_name": "Ada Admin"},
            url=f"/console/partners/{program.partner.pk}/",
            **kwargs,
        )


def test_create_renders_in_app_and_email_and_sends_after_commit(
    acme, django_capture_on_commit_callbacks, mailoutbox, settings
):
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notification = _notify(acme, acme.cam)
        assert len(callbacks) == 2  # the outbox's nudge, then the unread badge's version
        assert mailoutbox == []  # nothing leaves before the transaction commits
        callbacks[0]()
    finally:
        app.conf.task_always_eager = False
    notification.refresh_from_db()
    assert notification.title == f"{acme.partner.name} is now one of your partners"
    assert notification.email_status == EmailStatus.SENT
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [acme.cam.email]
    assert message.from_email.startswith(acme.tenant.name)
    assert f"http://acme.localhost/console/partners/{acme.partner.pk}/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and acme.partner.name in html


def test_delivery_is_idempotent(acme, mailoutbox):
    notification = _notify(acme, acme.cam)
    with scope(tenant=acme.tenant):
        assert notification_email_deliver(notification_id=notification.pk) is True
        assert notification_email_deliver(notification_id=notification.pk) is False
    assert len(mailoutbox) == 1


def test_a_held_lease_stops_a_second_sender(acme, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone

    notification = _notify(acme, acme.cam)
    with scope(tenant=acme.tenant):
        Notification.objects.filter(pk=notification.pk).update(
            email_lease_until=timezone.now() + timedelta(minutes=1)
        )
        assert notification_email_deliver(notification_id=notification.pk) is False
    assert mailoutbox == []


def test_no_email_when_not_wanted(acme, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = _notify(acme, acme.cam, email=False)
    # Nothing to send: the only callback is the unread badge's cache version (issue 15).
    assert [c.__qualname__ for c in callbacks] == ["version_bump.<locals>.bump"]
    assert notification.email_status == EmailStatus.NONE


def test_an_email_whose_nudge_was_lost_is_sent_by_the_outbox_sweep(acme, mailoutbox):
    from apps.outbox.delivery import outbox_sweep_all_tenants

    notification = _notify(acme, acme.cam)  # no commit callbacks ran: the nudge is lost
    assert notification.email_status == EmailStatus.PENDING
    outbox_sweep_all_tenants()
    with scope(tenant=acme.tenant):
        notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert acme.cam.email in [m.to[0] for m in mailoutbox]


def test_unread_count_and_mark_read(acme, client_for):
    client = client_for(acme, acme.cam)
    start = client.get("/notifications/").context["unread_notifications"]
    first = _notify(acme, acme.cam, email=False)
    _notify(acme, acme.cam, email=False)
    _notify(acme, acme.admin, email=False)
    assert client.get("/notifications/").context["unread_notifications"] == start + 2
    response = client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/partners/{acme.partner.pk}/"
    assert client.get("/notifications/").context["unread_notifications"] == start + 1
    client.post("/notifications/read-all/")
    assert client.get("/notifications/").context["unread_notifications"] == 0
    with scope(tenant=acme.tenant):
        assert Notification.objects.filter(recipient=acme.admin, read_at__isnull=True).count() >= 1


def test_cannot_read_someone_elses_notification(acme, client_for):
    theirs = _notify(acme, acme.admin, email=False)
    response = client_for(acme, acme.cam).post(f"/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    with scope(tenant=acme.tenant):
        theirs.refresh_from_db()
    assert theirs.read_at is None


def test_open_redirect_through_notification_url_is_refused(acme, client_for):
    sneaky = _notify(acme, acme.cam, email=False)
    with scope(tenant=acme.tenant):
        Notification.objects.filter(pk=sneaky.pk).update(url="https://evil.example/")
    response = client_for(acme, acme.cam).post(f"/notifications/{sneaky.pk}/read/")
    assert response["Location"] == "/notifications/"


def test_notification_list_query_count_is_constant(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.cam)
    for _ in range(30):
        _notify(acme, acme.cam, email=False)
    # 11: the first page of a session also counts the Alerts and Work queue nav badges and
    # reads the user's saved Explorer views (each cached afterwards).
    with django_assert_max_num_queries(11):
        assert client.get("/notifications/").status_code == 200


def test_mark_read_scoped_to_recipient(acme):
    n = _notify(acme, acme.admin, email=False)
    with scope(tenant=acme.tenant):
        assert (
            notification_mark_read(tenant=acme.tenant, recipient=acme.cam, notification_id=n.pk)
            == 0
        )
