"""A program admin rewords the approval email, previews it, saves it, and resets it."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from apps.notifications.models import EmailWording

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_rewords_previews_saves_and_resets_an_email(acme, page, site, screenshot):
    page.goto(site(acme.host, "/accounts/login/"))
    page.get_by_label("Email").fill(acme.admin.email)
    page.get_by_label("Password").fill("pw-admin-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")
    page.goto(site(acme.host, "/console/settings/emails/"))
    expect(page.get_by_role("heading", name="Applicants")).to_be_visible()
    screenshot("email-wording-list")
    page.get_by_role("link", name="Edit Application approved").click()
    expect(page.get_by_role("heading", name="Application approved")).to_be_visible()
    page.get_by_label("Subject").fill("You're in, {first_name}!")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_visible()
    expect(page.get_by_text("You're in, Sam!")).to_be_visible()
    screenshot("email-wording-preview")
    page.get_by_label("Subject").fill("You're in, {firstname}!")
    page.get_by_role("button", name="Save wording").click()
    expect(page.get_by_text("Unknown variable {firstname}")).to_be_visible()
    screenshot("email-wording-error")
    page.get_by_label("Subject").fill("You're in, {first_name}!")
    page.get_by_role("button", name="Save wording").click()
    page.wait_for_url("**/console/settings/emails/")
    expect(page.get_by_text("You're in, {first_name}!")).to_be_visible()
    with scope(tenant=acme.tenant):
        assert EmailWording.objects.get(tenant=acme.tenant).subject == "You're in, {first_name}!"
    page.get_by_role("link", name="Edit Application approved").click()
    page.get_by_role("button", name="Reset to default").click()
    expect(page.get_by_text("is back to its default wording")).to_be_visible()
    with scope(tenant=acme.tenant):
        assert not EmailWording.objects.filter(tenant=acme.tenant).exists()
