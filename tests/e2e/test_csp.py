"""The Content-Security-Policy in a real browser: nothing the product does is refused.

Console home, an htmx page (the partner explorer's live search), the 90-day review's Print
button (wired by static/js/print.js, no inline handler) and the portal home, with every
console message and every `securitypolicyviolation` event collected.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from apps.milestones.services import partner_track_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any page script and outside the page's CSP: records violations and replaces
# the print dialog (which a headless browser cannot show) with a flag.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
window.print = () => { window.__printed = true; };
"""


@pytest.fixture
def program(milestone_template, acme):
    with scope(tenant=acme.tenant):
        partner_track_start(
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.partner,
            enrolled_at=timezone.now() - timedelta(days=80),
        )
    return acme


def _watched(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15000)
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    return context, page, messages


def _review(program) -> str:
    return reverse("milestones_partner:review", args=[program.partner.pk])


def _sign_in(page, site, email, password):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _assert_clean(page, messages, where):
    violations = page.evaluate("window.__csp")
    assert violations == [], (where, violations)
    refused = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert refused == [], (where, refused)
    errors = [m for m in messages if m.startswith(("error:", "pageerror:"))]
    assert errors == [], (where, errors)


def test_console_htmx_print_and_portal_run_under_the_policy(program, browser, site):
    context, page, messages = _watched(browser)
    _sign_in(page, site, "admin@acme.test", "pw-admin-123456")
    expect(page.locator("h1")).to_be_visible()
    _assert_clean(page, messages, "console home")

    # htmx: the explorer's search swaps #results without a page load.
    page.goto(site("acme.localhost", reverse("partners:explorer")))
    expect(page.locator("#results")).to_contain_text(program.other_partner.name)
    page.evaluate("window.__marker = 1")  # survives only if no full page load happens
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request")):
        page.locator("#id_q").press_sequentially("One")  # keyup triggers the search
    expect(page.locator("#results")).not_to_contain_text(program.other_partner.name)
    assert page.evaluate("window.__marker") == 1
    _assert_clean(page, messages, "explorer (htmx)")

    # The review's Print button: shown and wired by static/js/print.js.
    page.goto(site("acme.localhost", _review(program)))
    button = page.get_by_role("button", name="Print")
    expect(button).to_be_visible()
    button.click()
    assert page.evaluate("window.__printed") is True
    _assert_clean(page, messages, "review")
    context.close()

    context, page, messages = _watched(browser)
    _sign_in(page, site, "padmin@one.acme.test", "pw-padmin-123456")
    expect(page.locator("h1")).to_be_visible()
    assert "/accounts/login/" not in page.url
    _assert_clean(page, messages, "portal home")
    context.close()


def test_the_print_button_stays_out_of_the_way_without_javascript(program, browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill("admin@acme.test")
    page.get_by_label("Password").fill("pw-admin-123456")
    page.get_by_role("button", name="Sign in").click()
    page.goto(site("acme.localhost", _review(program)))
    expect(page.locator("h1")).to_contain_text(program.partner.name)
    expect(page.locator("[data-print]")).to_be_hidden()
    context.close()
