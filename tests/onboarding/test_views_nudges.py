"""apps/onboarding/views_nudges.py: a pipeline's reminder settings, the emails' opt-out link,
and the Onboarding tab's "last reminded" line."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.notifications.models import EmailPreference
from apps.notifications.preferences import opt_out_token
from apps.onboarding.models import Pipeline
from apps.onboarding.services import partner_enroll
from apps.onboarding.services.nudges import nudge_sweep
from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(acme):
    return build_pipeline(acme, stages_spec=DEFAULT_SPEC)[0]


def _settings_url(pipeline):
    return f"/console/pipelines/{pipeline.pk}/reminders/"


def _opt_out_url(program, user):
    return f"/email/reminders/{opt_out_token(tenant_id=program.tenant.pk, user_id=user.pk)}/"


def _reload(program, pipeline):
    with scope(tenant=program.tenant):
        return Pipeline.objects.get(pk=pipeline.pk)


def _opted_out(program, user):
    with scope(tenant=program.tenant):
        return EmailPreference.objects.filter(
            user=user, reminders_opt_out_at__isnull=False
        ).exists()


# --- Settings page ----------------------------------------------------------------------------


def test_admin_sees_and_saves_the_reminder_settings(
    acme, pipeline, client_for, django_assert_max_num_queries
):
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(12):
        response = client.get(_settings_url(pipeline))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="3, 7"' in html and 'name="welcome_email"' in html
    assert '<label for="id_reminder_days">' in html
    response = client.post(
        _settings_url(pipeline), {"reminder_days": "2; 5, 5", "welcome_email": "on"}
    )
    assert response.status_code == 302 and response["Location"] == _settings_url(pipeline)
    saved = _reload(acme, pipeline)
    assert saved.reminder_days == [2, 5] and saved.welcome_email
    assert "Reminder settings saved." in client.get(_settings_url(pipeline)).content.decode()


@pytest.mark.parametrize("days", ["soon", "3, x", "0", "400", "1,2,3,4,5,6,7,8,9,10,11"])
def test_bad_days_are_refused_and_change_nothing(acme, pipeline, client_for, days):
    client = client_for(acme, acme.admin)
    response = client.post(_settings_url(pipeline), {"reminder_days": days})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "field__error" in html
    saved = _reload(acme, pipeline)
    assert saved.reminder_days == [3, 7] and not saved.welcome_email
    with scope(tenant=acme.tenant):
        assert not AuditEvent.objects.filter(verb="pipeline.reminders_changed").exists()


def test_empty_days_turn_reminders_off(acme, pipeline, client_for):
    client_for(acme, acme.admin).post(_settings_url(pipeline), {"reminder_days": " "})
    assert _reload(acme, pipeline).reminder_days == []


@pytest.mark.parametrize(
    ("role", "status"), [("cam", 403), ("partner_admin", 404), ("partner_user", 404)]
)
def test_lower_roles_are_refused(acme, pipeline, client_for, role, status):
    client = client_for(acme, getattr(acme, role))
    assert client.get(_settings_url(pipeline)).status_code == status
    assert client.post(_settings_url(pipeline), {"reminder_days": "1"}).status_code == status
    assert _reload(acme, pipeline).reminder_days == [3, 7]


def test_another_programs_admin_gets_404(acme, globex, pipeline, client_for):
    for client in (client_for(globex, globex.admin), client_for(acme, globex.admin)):
        assert client.get(_settings_url(pipeline)).status_code == 404
        assert client.post(_settings_url(pipeline), {"reminder_days": "1"}).status_code == 404
    assert _reload(acme, pipeline).reminder_days == [3, 7]


# --- Opt-out link -----------------------------------------------------------------------------


def test_the_link_asks_first_then_turns_reminders_off_without_sign_in(acme, client_for):
    client = client_for(acme)  # anonymous
    url = _opt_out_url(acme, acme.partner_user)
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Turn off reminder emails" in html and '<button type="submit"' in html
    assert not _opted_out(acme, acme.partner_user)  # a GET (a mail scanner) changes nothing
    response = client.post(url, {"receive": "0"})
    assert response.status_code == 200 and "Reminders are off" in response.content.decode()
    assert _opted_out(acme, acme.partner_user)
    # Idempotent: the same link again, opened or clicked, keeps them off.
    assert "Reminders are already off" in client.get(url).content.decode()
    assert client.post(url, {"receive": "0"}).status_code == 200
    assert _opted_out(acme, acme.partner_user)
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="email_preference.reminders_off").count() == 1
    # And back on.
    response = client.post(url, {"receive": "1"})
    assert "Reminders are back on" in response.content.decode()
    assert not _opted_out(acme, acme.partner_user)
    assert not _opted_out(acme, acme.partner_admin)


def test_a_forged_link_is_refused_clearly(acme, client_for):
    client = client_for(acme)
    url = _opt_out_url(acme, acme.partner_user)
    for bad in (url[:-3] + "xx/", "/email/reminders/not-a-token/"):
        for method in ("get", "post"):
            response = getattr(client, method)(bad, {"receive": "0"})
            assert response.status_code == 404
            assert "This link doesn’t work" in response.content.decode()
    assert not _opted_out(acme, acme.partner_user)


def test_an_expired_link_is_refused_clearly(acme, client_for):
    url = _opt_out_url(acme, acme.partner_user)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=91)):
        response = client_for(acme).post(url, {"receive": "0"})
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not _opted_out(acme, acme.partner_user)


def test_another_programs_link_is_refused_on_this_host(acme, globex, client_for):
    url = _opt_out_url(acme, acme.partner_user)
    for client in (client_for(globex), client_for(globex, globex.admin)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"receive": "0"}).status_code == 404
    assert not _opted_out(acme, acme.partner_user)
    with scope(tenant=globex.tenant):
        assert not EmailPreference.objects.exists()


# --- The Onboarding tab -----------------------------------------------------------------------


def test_the_tab_says_when_the_partner_was_last_reminded(acme, pipeline, client_for):
    t0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    with time_machine.travel(t0, tick=False), scope(tenant=acme.tenant):
        partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    tab = f"/console/partners/{acme.partner.pk}/onboarding/"
    client = client_for(acme, acme.cam)
    assert "No reminder emailed yet" in client.get(tab).content.decode()
    with scope(tenant=acme.tenant):
        nudge_sweep(tenant=acme.tenant, now=t0 + timedelta(days=3))
    html = client.get(tab).content.decode()
    assert "Last reminded by email" in html and "5 Mar 2026" in html
