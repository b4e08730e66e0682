"""/api/v1/docs in a real browser: Swagger UI from our static files, under the product's
Content-Security-Policy (script-src 'self', no inline script), with the complete example;
and the API keys page a program admin starts from."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_the_docs_render_under_the_policy_without_a_cdn(acme, browser, site):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(20000)
    messages, requests = [], []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(site("acme.localhost", "/api/v1/docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Onramp API")
    expect(page.get_by_text("A complete example")).to_be_visible()
    expect(page.get_by_text("Record an event for a partner").first).to_be_visible()
    assert page.evaluate("window.__csp") == []
    refused = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert refused == [] and not [m for m in messages if m.startswith("pageerror")]
    port = site("x").rsplit(":", 1)[1].split("/")[0]
    foreign = [u for u in requests if f"acme.localhost:{port}" not in u]
    assert foreign == [], foreign  # no CDN: every file comes from us
    context.close()


def test_an_admin_creates_a_key_with_scopes_and_an_expiry(acme, page, site, screenshot):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill("admin@acme.test")
    page.get_by_label("Password").fill("pw-admin-123456")
    page.get_by_role("button", name="Sign in").click()
    page.goto(site("acme.localhost", "/console/settings/api-keys/"))
    page.get_by_label("Key name").fill("CRM sync")
    page.get_by_label("partners:read").check()
    page.get_by_label("partners:write").check()
    page.get_by_label("Expires after").fill("2099-12-31")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_contain_text("onr_")
    expect(page.get_by_role("cell", name="partners:write")).to_be_visible()
    screenshot("api-keys")
