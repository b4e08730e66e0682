"""/console/settings/outbox/: program admins see failing and given-up messages and resend."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.outbox.services import outbox_enqueue
from tests.outbox.conftest import reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drained")]

URL = "/console/settings/outbox/"


def _message(program, *, status=OutboxStatus.GIVEN_UP, attempts=9, to="lost@example.test"):
    with scope(tenant=program.tenant):
        message = outbox_enqueue(
            tenant=program.tenant,
            kind="mail.send",
            payload={"subject": "Welcome", "body": "Hello", "to": [to]},
            summary=to,
        )
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=status, attempts=attempts, last_error="SMTPServerDisconnected: gone"
        )
    return reload(message)


def test_admin_sees_given_up_and_failing_messages(
    acme, globex, client_for, django_assert_max_num_queries
):
    for n in range(30):
        _message(acme, to=f"lost{n}@example.test")
    _message(acme, status=OutboxStatus.PENDING, attempts=2, to="retrying@example.test")
    _message(acme, status=OutboxStatus.PENDING, attempts=0, to="waiting@example.test")
    _message(acme, status=OutboxStatus.DELIVERED, attempts=1, to="sent@example.test")
    _message(globex, to="globex@example.test")
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "lost29@example.test" in page and "retrying@example.test" in page
    assert "SMTPServerDisconnected: gone" in page and "Sign-in email" in page
    assert "waiting@example.test" not in page  # not failing (yet)
    assert "sent@example.test" not in page and "globex@example.test" not in page
    assert "Hello" not in page  # never the body (it may hold a link)
    given_up = client.get(URL + "?show=given_up").content.decode()
    assert "lost1@example.test" in given_up and "retrying@example.test" not in given_up
    waiting = client.get(URL + "?show=pending").content.decode()
    assert "waiting@example.test" in waiting and "lost1@example.test" not in waiting
    assert client.get(URL + "?show=nonsense").status_code == 200


def test_the_settings_nav_links_the_outbox(acme, client_for):
    page = client_for(acme, acme.admin).get("/console/settings/team/").content.decode()
    assert f'href="{URL}"' in page


def test_resend_retries_now_with_a_fresh_window_and_is_audited(
    acme, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    from config.celery import app

    message = _message(acme)
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(acme, acme.admin).post(
                f"{URL}{message.pk}/resend/", {"show": "given_up"}
            )
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302 and response["Location"] == f"{URL}?show=given_up"
    message = reload(message)
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1
    (mail,) = mailoutbox
    assert mail.to == ["lost@example.test"] and mail.subject == "Welcome"
    with scopes_disabled():
        event = AuditEvent.objects.get(verb="outbox.resent")
    assert event.tenant_id == acme.tenant.pk and event.actor_id == acme.admin.pk
    assert event.data["from"] == {"status": "given_up", "attempts": 9}
    assert event.data["to"] == {"status": "pending", "attempts": 0}


def test_resend_of_a_delivered_message_changes_nothing(acme, client_for):
    message = _message(acme, status=OutboxStatus.DELIVERED, attempts=1)
    response = client_for(acme, acme.admin).post(f"{URL}{message.pk}/resend/", follow=True)
    assert "already delivered" in response.content.decode()
    assert reload(message).status == OutboxStatus.DELIVERED
    with scopes_disabled():
        assert not AuditEvent.objects.filter(verb="outbox.resent").exists()


def test_resend_needs_post(acme, client_for):
    message = _message(acme)
    assert client_for(acme, acme.admin).get(f"{URL}{message.pk}/resend/").status_code == 405


@pytest.mark.parametrize(
    ("role", "status"), [("cam", 403), ("partner_admin", 404), ("partner_user", 404)]
)
def test_lower_roles_are_refused(acme, client_for, role, status):
    message = _message(acme)
    client = client_for(acme, getattr(acme, role))
    assert client.get(URL).status_code == status
    assert client.post(f"{URL}{message.pk}/resend/").status_code == status
    assert reload(message).status == OutboxStatus.GIVEN_UP


def test_another_programs_message_is_not_found(acme, globex, client_for):
    theirs = _message(globex)
    client = client_for(acme, acme.admin)
    assert client.post(f"{URL}{theirs.pk}/resend/").status_code == 404
    assert reload(theirs).status == OutboxStatus.GIVEN_UP
    # And globex's admin on acme's host is a stranger.
    assert client_for(acme, globex.admin).get(URL).status_code == 404
