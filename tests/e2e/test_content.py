"""A CAM publishes a PDF and an article; a partner finds and opens both in the portal."""

import pytest
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from apps.content.demo import content_seed_demo, tiny_pdf
from apps.content.models import ContentOpen

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GUIDE = tiny_pdf("Partner onboarding guide", ["Your first 30 days with Acme.", "Step 1: sign in."])

ARTICLE = """Registering a deal protects your opportunity.

## When to register

As soon as you have a **qualified opportunity**: a named customer and a timeline.

## What happens next

1. Your channel manager reviews it within two business days.
2. The deal is yours for 90 days.

> Questions? Reply to the approval email.
"""


def _sign_in(page, site, program, email, password):
    page.goto(site(program.host, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_cam_publishes_and_partner_opens(acme, browser, page, site, screenshot):
    with scope(tenant=acme.tenant):
        content_seed_demo(tenant=acme.tenant, actor=acme.cam)

    # The CAM uploads a PDF.
    _sign_in(page, site, acme, "cam@acme.test", "pw-cam-123456")
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="Assets").first.click()
    page.wait_for_url("**/console/assets/")
    screenshot("content-console-assets")
    page.get_by_role("link", name="Upload a file").click()
    page.get_by_label("File").set_input_files(
        {"name": "onboarding-guide.pdf", "mimeType": "application/pdf", "buffer": GUIDE}
    )
    page.get_by_label("Title").fill("Partner onboarding guide")
    page.get_by_label("Description").fill("Your first 30 days: accounts, training and first deal.")
    page.get_by_label("Category").select_option(label="Training")
    page.get_by_label("Tags").fill("onboarding, getting started")
    screenshot("content-console-asset-upload")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name="Partner onboarding guide")).to_be_visible()
    expect(page.get_by_text("onboarding-guide.pdf").first).to_be_visible()
    screenshot("content-console-asset-edit")

    # … and writes an article in Markdown, with the live preview.
    page.get_by_role("link", name="Help center").first.click()
    page.wait_for_url("**/console/help/")
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Registering your first deal")
    page.get_by_label("Category").select_option(label="Deals & sales")
    page.locator("textarea[name=body]").fill(ARTICLE)
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="When to register")).to_be_visible()
    expect(preview.locator("strong", has_text="qualified opportunity")).to_be_visible()
    screenshot("content-console-article-editor")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_text("Article published.")).to_be_visible()
    page.get_by_role("link", name="Help center").first.click()
    expect(page.get_by_role("link", name="Registering your first deal")).to_be_visible()
    screenshot("content-console-help")

    # A partner user finds and opens both.
    context = browser.new_context(viewport={"width": 1366, "height": 860}, accept_downloads=True)
    partner = context.new_page()
    partner.set_default_timeout(15000)
    _sign_in(partner, site, acme, "puser@one.acme.test", "pw-puser-123456")
    partner.wait_for_url("**/portal/")
    partner.get_by_role("link", name="Assets").first.click()
    partner.wait_for_url("**/portal/assets/")
    expect(partner.get_by_role("heading", name="Partner onboarding guide")).to_be_visible()
    expect(partner.get_by_text("Managed services playbook")).to_have_count(0)  # MSPs only
    partner.screenshot(path=str(_artifact("content-portal-assets")), full_page=True)
    partner.get_by_label("Search assets").fill("onboarding")
    partner.get_by_role("button", name="Search").click()
    partner.get_by_role("link", name="Partner onboarding guide").click()
    expect(partner.get_by_role("heading", name="Partner onboarding guide")).to_be_visible()
    partner.screenshot(path=str(_artifact("content-portal-asset")), full_page=True)
    open_href = partner.get_by_role("link", name="Open", exact=True).get_attribute("href")
    # "Open" shows the PDF inline in a new tab; fetch it from the page to check what it serves.
    status, disposition, body = partner.evaluate(
        """async (url) => {
            const r = await fetch(url);
            const bytes = new Uint8Array(await r.arrayBuffer());
            return [r.status, r.headers.get("content-disposition"), Array.from(bytes)];
        }""",
        open_href,
    )
    assert status == 200 and bytes(body) == GUIDE
    assert disposition.startswith("inline")
    with partner.expect_download() as download_info:
        partner.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "onboarding-guide.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == GUIDE

    partner.get_by_role("link", name="Help center").first.click()
    expect(partner.get_by_role("heading", name="How can we help?")).to_be_visible()
    partner.screenshot(path=str(_artifact("content-portal-help")), full_page=True)
    partner.get_by_label("Search the Help center").fill("register deal")
    partner.get_by_role("button", name="Search").click()
    partner.wait_for_url("**q=register**")
    results = partner.locator(".article-list__title")
    expect(results.first).to_be_visible()
    partner.screenshot(path=str(_artifact("content-portal-help-search")), full_page=True)
    partner.get_by_role("link", name="Registering your first deal").click()
    expect(partner.get_by_role("heading", name="When to register")).to_be_visible()
    partner.screenshot(path=str(_artifact("content-portal-article")), full_page=True)
    context.close()

    with scopes_disabled():
        kinds = sorted(
            ContentOpen.objects.filter(tenant=acme.tenant, user=acme.partner_user).values_list(
                "kind", flat=True
            )
        )
    assert kinds == ["download", "read", "view"]


def _artifact(name):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
