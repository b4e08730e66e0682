"""A program admin manages the partner types and tiers: adds a type, renames a tier (the
Explorer shows the new label), is told why a type in use cannot be deleted, archives it.
Screenshots."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from apps.partners.models import PartnerAccount

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_program_admin_manages_partner_types_and_tiers(acme, page, site, screenshot):
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier="gold")
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(acme.admin.email)
    page.get_by_label("Password").fill("pw-admin-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")

    page.goto(site("acme.localhost", "/console/settings/partner-types/"))
    expect(page.get_by_role("heading", name="Partner types & tiers", level=1)).to_be_visible()
    screenshot("console-settings-partner-types")

    page.get_by_label("New partner type").fill("Cloud Reseller")
    page.get_by_role("button", name="Add partner type").click()
    expect(page.get_by_text("Partner type “Cloud Reseller” added")).to_be_visible()

    gold = page.locator("#tiers tr", has_text="Gold")
    gold.get_by_text("Rename").click()
    gold.get_by_label("New name").fill("Gold Elite")
    gold.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Tier renamed to “Gold Elite”.")).to_be_visible()

    # A type in use has no Delete button; archiving it is the way.
    reseller = page.locator("#types tr", has_text="Reseller / VAR").first
    expect(reseller.get_by_role("button", name="Delete “Reseller / VAR”")).to_have_count(0)
    reseller.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("“Reseller / VAR” is archived")).to_be_visible()
    screenshot("console-settings-partner-types-changed")

    # A duplicate name, refused on the field.
    distributor = page.locator("#types tr", has_text="Distributor")
    distributor.get_by_text("Rename").click()
    distributor.get_by_label("New name").fill("cloud reseller")
    distributor.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("already has a partner type called “Cloud Reseller”")).to_be_visible()
    screenshot("console-settings-partner-types-duplicate")

    page.goto(site("acme.localhost", "/console/partners/"))
    expect(page.locator("td .badge", has_text="Gold Elite")).to_be_visible()
    screenshot("console-partners-custom-tier")
