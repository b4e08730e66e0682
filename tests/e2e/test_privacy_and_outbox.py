"""A program admin resends an email the outbox gave up on, and exports then erases a person."""

import json

import pytest
from django.core.mail import EmailMessage
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from apps.accounts.models import User
from apps.outbox.mail import mail_enqueue
from apps.outbox.models import OutboxMessage, OutboxStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, site, program) -> None:
    page.goto(site(program.host, "/accounts/login/"))
    page.get_by_label("Email").fill(program.admin.email)
    page.get_by_label("Password").fill("pw-admin-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")


def test_admin_resends_an_email_the_outbox_gave_up_on(acme, page, site, screenshot):
    with scope(tenant=acme.tenant):
        message = mail_enqueue(
            message=EmailMessage(subject="Reset your password", body="…", to=[acme.cam.email]),
            tenant=acme.tenant,
        )
    assert message is not None
    with scopes_disabled():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.GIVEN_UP, attempts=12, last_error="SMTP 554: relay refused"
        )
    sign_in(page, site, acme)
    page.goto(site(acme.host, "/console/settings/outbox/"))
    expect(page.get_by_text("SMTP 554: relay refused")).to_be_visible()
    expect(page.get_by_text(acme.cam.email, exact=True)).to_be_visible()
    screenshot("outbox-given-up")
    page.get_by_role("button", name="Resend").click()
    expect(page.get_by_text("will be sent again in a moment")).to_be_visible()
    screenshot("outbox-resent")
    with scopes_disabled():
        message.refresh_from_db()
    assert message.status != OutboxStatus.GIVEN_UP and message.attempts == 0


def test_admin_exports_then_erases_a_partner_user(acme, page, site, screenshot):
    person = acme.partner_user
    email = person.email
    sign_in(page, site, acme)
    page.goto(site(acme.host, "/console/settings/privacy/"))
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Search").click()
    screenshot("privacy-search")
    page.get_by_role("link", name=f"See what is held ({email})").click()
    expect(page.get_by_role("heading", name="What is held")).to_be_visible()
    screenshot("privacy-person")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export (JSON)").click()
    exported = json.loads(download_info.value.path().read_text())
    assert email in json.dumps(exported)
    page.get_by_label("Type the person’s email address to confirm").fill(email)
    page.get_by_role("button", name="Erase this person").click()
    screenshot("privacy-erased")
    person = User.objects.get(pk=person.pk)
    assert person.email != email and not person.is_active
