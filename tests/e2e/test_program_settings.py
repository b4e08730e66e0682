"""A program admin runs the program's settings: a brand colour that fails contrast is refused
with the ratio, a good one is saved, a logo is uploaded and shows in the header, a custom
domain is added and made primary. Screenshots."""

import pytest
from playwright.sync_api import expect

from apps.tenancy.models import TenantHost
from tests.content.factories import png_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_a_program_admin_changes_the_settings(acme, globex, page, site, screenshot, tmp_path):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(acme.admin.email)
    page.get_by_label("Password").fill("pw-admin-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")

    page.get_by_role("navigation", name="Console").first.get_by_role(
        "link", name="Settings"
    ).click()
    page.wait_for_url("**/console/settings/")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    screenshot("console-settings")

    page.get_by_label("Brand colour").fill("#ffcc00")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("contrast ratio of 1.51:1")).to_be_visible()
    screenshot("console-settings-contrast-error")

    page.get_by_label("Brand colour").fill("#0f766e")
    page.get_by_label("Program name").fill("Acme Partner Network")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_label("Default language").select_option("fr")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes())
    page.get_by_label("Logo").set_input_files(str(logo))
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_text("Logo updated.")).to_be_visible()
    expect(page.locator(".sidebar__brand img[src^='/branding/logo/']")).to_be_visible()

    page.get_by_label("Add a custom domain").fill("partners.acme.com")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("partners.acme.com added.")).to_be_visible()
    page.get_by_label("Add a custom domain").fill("globex.localhost")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("already used by another program")).to_be_visible()
    page.locator("#hosts tr", has_text="partners.acme.com").get_by_role(
        "button", name="Make primary"
    ).click()
    expect(page.get_by_text("is now the primary address")).to_be_visible()
    assert TenantHost.objects.get(hostname="partners.acme.com").is_primary
    screenshot("console-settings-saved")
