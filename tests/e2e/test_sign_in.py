"""The three demo sign-ins, in a real browser, as a new user would do them."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False


@pytest.mark.parametrize(
    ("email", "landing", "heading"),
    [
        ("admin@acme.test", "/console/", "Welcome back, Ada"),
        ("cam@acme.test", "/console/", "Welcome back, Casey"),
        ("partner@northwind.test", "/portal/", "Welcome, Nina"),
    ],
)
def test_demo_users_sign_in_and_land_home(demo, page, site, screenshot, email, landing, heading):
    page.goto(site("acme.localhost", "/"))
    assert page.url.endswith("/accounts/login/?next=/") or "/accounts/login/" in page.url
    screenshot("sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("onramp-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{landing}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    screenshot(f"home-{email.split('@')[0]}")


def test_wrong_password_is_refused_in_the_browser(demo, page, site):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill("cam@acme.test")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert "/accounts/login/" in page.url
    expect(page.get_by_text("not correct").first).to_be_visible()


def test_partner_explorer_in_the_browser(demo, page, site, screenshot):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill("cam@acme.test")
    page.get_by_label("Password").fill("onramp-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="Partners").first.click()
    page.wait_for_url("**/console/partners/")
    expect(page.get_by_role("link", name="Northwind Solutions")).to_be_visible()
    screenshot("partner-explorer")
    page.get_by_label("Search partners").fill("fabrikam")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**q=fabrikam**")
    expect(page.get_by_role("link", name="Fabrikam Integrators")).to_be_visible()
    expect(page.get_by_role("link", name="Northwind Solutions")).to_have_count(0)
    page.get_by_role("link", name="Fabrikam Integrators").click()
    expect(page.get_by_role("heading", name="Fabrikam Integrators")).to_be_visible()
    screenshot("partner-detail")


def test_mobile_console_is_usable(demo, browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill("admin@acme.test")
    page.get_by_label("Password").fill("onramp-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")
    page.screenshot(path="test-artifacts/screenshots/console-mobile.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, "the console scrolls sideways on a phone"
    context.close()
