"""/console/settings/emails/: the program's email wording, for program admins."""

import pytest
from django.utils.html import escape
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.notifications.models import EmailWording
from apps.notifications.services import email_wording_save
from apps.notifications.wording import EMAILS

pytestmark = pytest.mark.django_db

LIST = "/console/settings/emails/"
KEY = "applications.approved"
EDIT = f"{LIST}{KEY}/"


def _rows(program):
    with scope(tenant=program.tenant):
        return list(EmailWording.objects.filter(tenant=program.tenant).values())


def _save(program, key=KEY, subject="Welcome aboard, {first_name}", intro="Hello there."):
    with scope(tenant=program.tenant):
        return email_wording_save(
            tenant=program.tenant, actor=program.admin, key=key, subject=subject, intro=intro
        )


def test_admin_lists_every_email_with_its_badge(acme, client_for, django_assert_max_num_queries):
    for key in list(EMAILS)[:8]:
        _save(acme, key=key, subject="Own {program_name}")
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(15):
        response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    for key, email in EMAILS.items():
        assert f'href="{LIST}{key}/"' in html
        assert escape(str(email.label)) in html
    assert html.count("Customised") >= 8 and "Default" in html
    assert "Own {program_name}" in html


def test_edit_page_lists_the_variables_and_previews(
    acme, client_for, django_assert_max_num_queries
):
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(15):
        response = client.get(EDIT)
    html = response.content.decode()
    assert response.status_code == 200
    for name in EMAILS[KEY].names:
        assert f"{{{name}}}" in html
    assert "Reset to default" in html and "Preview" in html
    assert f"Welcome to {acme.tenant.name}: your partner account is ready" in html  # the preview
    assert "srcdoc=" in html and "sandbox" in html


def test_save_then_the_list_says_customised(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(
        EDIT, {"action": "save", "subject": "Hi {first_name}!", "intro": "Glad you are here."}
    )
    assert response.status_code == 302 and response["Location"] == LIST
    (row,) = _rows(acme)
    assert row["subject"] == "Hi {first_name}!" and row["updated_by_id"] == acme.admin.pk
    html = client.get(EDIT).content.decode()
    assert "Customised" in html and "Hi Sam!" in html  # the preview uses example values
    with scope(tenant=acme.tenant):
        event = AuditEvent.objects.get(tenant=acme.tenant, verb="email_wording.changed")
    assert event.data["to"]["subject"] == "Hi {first_name}!"


def test_preview_shows_the_unsaved_wording_and_saves_nothing(acme, client_for, state):
    client = client_for(acme, acme.admin)
    before = state()
    response = client.post(
        EDIT,
        {"action": "preview", "subject": "Try {partner_name}", "intro": "A <b>bold</b> idea."},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview (not saved yet)" in html and "Try Northwind Systems" in html
    # The preview's HTML is escaped twice: once in the email, once into srcdoc.
    assert "<b>bold</b>" not in html and "&amp;lt;b&amp;gt;bold" in html
    assert 'srcdoc="&lt;!doctype html&gt;' in html
    assert state() == before


@pytest.mark.parametrize(
    ("subject", "intro", "message"),
    [
        ("{{ 7*7 }}", "Fine.", "is not allowed"),
        ("Fine", "{% load static %}", "is not allowed"),
        ("Hi {firstname}", "Fine.", "Unknown variable {firstname}"),
        ("", "Fine.", "This field is required"),
        ("Fine", "", "This field is required"),
        ("x" * 201, "Fine.", "at most 200 characters"),
        ("Two\nlines", "Fine.", "A subject is one line"),
    ],
)
def test_bad_wording_is_refused_and_changes_nothing(
    acme, client_for, state, subject, intro, message
):
    _save(acme)
    client = client_for(acme, acme.admin)
    before = state()
    for action in ("save", "preview"):
        response = client.post(EDIT, {"action": action, "subject": subject, "intro": intro})
        assert response.status_code == 422
        assert message in response.content.decode()
    assert state() == before


def test_reset_goes_back_to_the_default(acme, client_for):
    _save(acme)
    client = client_for(acme, acme.admin)
    response = client.post(EDIT, {"action": "reset"})
    assert response.status_code == 302 and response["Location"] == EDIT
    assert _rows(acme) == []
    html = client.get(EDIT).content.decode()
    assert "Default" in html
    assert f"Welcome to {acme.tenant.name}: your partner account is ready" in html
    with scope(tenant=acme.tenant):
        assert (
            AuditEvent.objects.filter(tenant=acme.tenant, verb="email_wording.reset").count() == 1
        )
    # Resetting an email that has no override changes nothing.
    assert client.post(EDIT, {"action": "reset"}).status_code == 302
    with scope(tenant=acme.tenant):
        assert (
            AuditEvent.objects.filter(tenant=acme.tenant, verb="email_wording.reset").count() == 1
        )


def _resets(program):
    with scope(tenant=program.tenant):
        return AuditEvent.objects.filter(tenant=program.tenant, verb="email_wording.reset").count()


def test_unknown_key_is_404(acme, client_for):
    client = client_for(acme, acme.admin)
    assert client.get(f"{LIST}nope.nothing/").status_code == 404
    assert client.post(f"{LIST}nope.nothing/", {"subject": "x", "intro": "y"}).status_code == 404


@pytest.mark.parametrize("who", ["cam", "partner_admin", "partner_user"])
def test_lower_roles_are_refused(acme, client_for, state, who):
    client = client_for(acme, getattr(acme, who))
    before = state()
    expected = 403 if who == "cam" else 404
    assert client.get(LIST).status_code == expected
    assert client.get(EDIT).status_code == expected
    assert client.post(EDIT, {"action": "save", "subject": "x", "intro": "y"}).status_code == (
        expected
    )
    assert client.post(EDIT, {"action": "reset"}).status_code == expected
    assert state() == before


def test_another_programs_admin_gets_404_and_changes_nothing(acme, globex, client_for, state):
    _save(acme)
    client = client_for(acme, globex.admin)
    before = state()
    assert client.get(LIST).status_code == 404
    assert client.get(EDIT).status_code == 404
    assert client.post(EDIT, {"action": "reset"}).status_code == 404
    assert client.post(EDIT, {"action": "save", "subject": "x", "intro": "y"}).status_code == 404
    assert state() == before
    # On their own program they see their own (default) wording, not acme's.
    html = client_for(globex, globex.admin).get(EDIT).content.decode()
    assert "Welcome aboard, {first_name}" not in html and "Default" in html


def test_anonymous_is_sent_to_sign_in(acme, client_for):
    response = client_for(acme).get(EDIT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
