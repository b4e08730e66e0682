"""A vendor runs its program alone: the operator creates it with `program_create`, its admin
sets a password from the email and signs in, invites a channel manager (who sets a password
from the emailed link and signs in), imports three partners from a CSV, and suspends one:
that partner's user then sees only the suspended page. Screenshots of every new page."""

import re

import pytest
from django.core.management import call_command
from django_scopes import scope
from playwright.sync_api import expect

from apps.partners.models import PartnerAccount
from apps.tenancy.models import Tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^\s\"<>]+")
HOST = "globex.localhost"
PASSWORD = "globex-pw-2026!"

CSV = (
    "company,domains,partner type,tier,region,cam email,users\n"
    "Initech,initech.example,Reseller / VAR,gold,na,cara@globex.example,"
    "Peter Gibbons <peter@initech.example> [admin]\n"
    "Umbrella Systems,umbrella.example;umbrella-sys.example,Referral / Agent,silver,emea,,"
    "Alice Abernathy <alice@umbrella.example> [admin]\n"
    "Hooli Services,hooli.example,Reseller / VAR,registered,apac,cara@globex.example,\n"
)


@pytest.fixture
def eager_tasks():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _link(mailoutbox, to, contains):
    for message in reversed(mailoutbox):
        if message.to == [to]:
            for url in LINK.findall(message.body):
                if contains in url:
                    return url
    raise AssertionError(f"no {contains} link mailed to {to}: {[m.subject for m in mailoutbox]}")


def _on_site(url, site):
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    return site(HOST, path)


def _set_password(page, url):
    page.goto(url)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.get_by_role("button", name="Save password").click()


def _sign_in(page, site, email):
    page.goto(site(HOST, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_new_program_is_run_from_the_console(
    browser, site, screenshot, mailoutbox, eager_tasks, tmp_path
):
    call_command(
        "program_create",
        "--name=Globex Partner Network",
        "--slug=globex",
        f"--host={HOST}",
        "--admin-email=ada@globex.example",
        "--admin-first-name=Ada",
        "--admin-last-name=Admin",
    )
    tenant = Tenant.objects.get(slug="globex")

    # The first program admin sets a password from the email and lands in the console.
    admin = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _set_password(admin, _on_site(_link(mailoutbox, "ada@globex.example", "/reset/key/"), site))
    admin.wait_for_url("**/console/**")
    screenshot("self-service-console-first-sign-in", admin)

    # Settings, then the team page: invite a channel manager.
    admin.goto(site(HOST, "/console/settings/"))
    expect(admin.get_by_role("heading", name=re.compile("settings", re.I)).first).to_be_visible()
    screenshot("self-service-settings", admin)
    admin.goto(site(HOST, "/console/settings/team/"))
    admin.get_by_label("Email").fill("cara@globex.example")
    admin.get_by_label("First name").fill("Cara")
    admin.get_by_label("Last name").fill("Manager")
    admin.get_by_label("Role").last.select_option("channel_manager")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_text("cara@globex.example").first).to_be_visible()
    screenshot("self-service-team", admin)

    # The CAM sets a password from the emailed link and signs in.
    cam = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _set_password(cam, _on_site(_link(mailoutbox, "cara@globex.example", "/reset/key/"), site))
    cam.wait_for_url("**/console/**")
    cam.goto(site(HOST, "/accounts/logout/"))
    cam.get_by_role("button").last.click()
    _sign_in(cam, site, "cara@globex.example")
    cam.wait_for_url("**/console/")
    expect(cam.get_by_role("heading", name=re.compile("Cara"))).to_be_visible()

    # The other settings pages, for their screenshots.
    for path, name in [
        ("/console/settings/partner-types/", "self-service-partner-types"),
        ("/console/settings/emails/", "self-service-email-wording"),
    ]:
        admin.goto(site(HOST, path))
        screenshot(name, admin)

    # Import three partners from a CSV: dry run first, then apply.
    csv_file = tmp_path / "partners.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    admin.goto(site(HOST, "/console/partners/import/"))
    screenshot("self-service-import-upload", admin)
    admin.locator("input[type=file]").set_input_files(str(csv_file))
    admin.get_by_role("button", name="Check the file").click()
    expect(admin.get_by_text("Initech").first).to_be_visible()
    expect(admin.get_by_text("Hooli Services").first).to_be_visible()
    screenshot("self-service-import-dry-run", admin)
    admin.get_by_role("button", name="Import").click()
    expect(admin.get_by_text(re.compile(r"3 partners created"))).to_be_visible()
    screenshot("self-service-import-done", admin)
    with scope(tenant=tenant):
        assert set(PartnerAccount.objects.values_list("name", flat=True)) == {
            "Initech",
            "Umbrella Systems",
            "Hooli Services",
        }
        umbrella = PartnerAccount.objects.get(name="Umbrella Systems")

    # Suspend one from its partner page.
    admin.goto(site(HOST, f"/console/partners/{umbrella.pk}/"))
    screenshot("self-service-partner-page", admin)
    admin.get_by_label(re.compile("Reason")).fill("Contract under review")
    admin.get_by_role("button", name="Suspend").click()
    expect(admin.get_by_role("button", name="Reactivate")).to_be_visible()
    screenshot("self-service-partner-suspended", admin)

    # Its user sets a password from the invitation and sees only the suspended page.
    alice = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _set_password(alice, _on_site(_link(mailoutbox, "alice@umbrella.example", "/reset/key/"), site))
    alice.goto(site(HOST, "/portal/"))
    alice.wait_for_url("**/portal/suspended/")
    expect(alice.get_by_role("heading", name="Your partner account is suspended")).to_be_visible()
    screenshot("self-service-portal-suspended", alice)
    alice.goto(site(HOST, "/portal/onboarding/"))
    assert alice.url.endswith("/portal/suspended/")
