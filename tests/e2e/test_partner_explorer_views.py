"""A CAM filters the Partner Explorer by stage, sees the current stage column, saves the
filters as a view that appears in the nav under Partners, then renames and deletes it.
Screenshots."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from apps.onboarding.demo import ActionSpec, StageSpec
from apps.onboarding.models import ActionType
from apps.onboarding.services import partner_enroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_cam_saves_an_explorer_view(acme, page, site, screenshot, pipeline_for):
    built = pipeline_for(
        acme,
        [
            StageSpec("Company details", [ActionSpec("Legal details", ActionType.UPLOAD_DOCUMENT)]),
            StageSpec("Contract", []),
        ],
    )
    with scope(tenant=acme.tenant):
        partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(acme.cam.email)
    page.get_by_label("Password").fill("pw-cam-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")

    page.goto(site("acme.localhost", f"/console/partners/?stage={built.stages[0].pk}"))
    expect(page.get_by_role("columnheader", name="Current stage")).to_be_visible()
    expect(page.get_by_role("cell", name="Company details")).to_be_visible()
    page.get_by_label("Save these filters as").fill("At company details")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("Saved the view “At company details”")).to_be_visible()
    nav = page.locator("aside.sidebar")
    expect(nav.get_by_role("link", name="At company details")).to_have_attribute(
        "aria-current", "page"
    )
    screenshot("console-partners-saved-view")

    page.locator("summary", has_text="Saved views").click()
    screenshot("console-partners-saved-views-menu")
    page.get_by_label("New name for “At company details”").fill("Company details stage")
    page.get_by_role("button", name="Rename").click()
    expect(nav.get_by_role("link", name="Company details stage")).to_be_visible()
    page.locator("summary", has_text="Saved views").click()
    page.get_by_role("button", name="Delete the view “Company details stage”").click()
    expect(nav.get_by_role("link", name="Company details stage")).to_have_count(0)
