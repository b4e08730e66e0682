"""A prospect applies, confirms from the email, a CAM approves in the queue, and the new
partner sets a password from the welcome email and lands in the portal, onboarding started.
Plus the other pages of the feature, for their screenshots."""

import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from apps.applications.models import Application
from apps.applications.services import program_settings_update
from apps.partners.services import partner_domain_add
from tests.onboarding.conftest import DEFAULT_SPEC, build_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture
def eager_tasks():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def program(acme):
    build_pipeline(acme, stages_spec=DEFAULT_SPEC)  # "Reseller onboarding" for Reseller / VAR
    with scope(tenant=acme.tenant):
        program_settings_update(
            tenant=acme.tenant,
            actor=acme.admin,
            questions=[
                {"key": "reps", "label": "How many sales reps do you have?", "kind": "number"},
                {
                    "key": "market",
                    "label": "Main market",
                    "kind": "choice",
                    "choices": ["Small business", "Mid-market", "Enterprise"],
                    "required": True,
                },
            ],
        )
    return acme


def _link(mailoutbox, to, contains):
    for message in reversed(mailoutbox):
        if message.to == [to]:
            for url in LINK.findall(message.body):
                if contains in url:
                    return url
    raise AssertionError(f"no {contains} link mailed to {to}: {[m.subject for m in mailoutbox]}")


def _on_site(url, site):
    """The mailed link points at the tenant's host without the live server's port."""
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    return site("acme.localhost", path)


def _sign_in(page, site, email, password):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_prospect_applies_confirms_is_approved_and_starts_onboarding(
    program, browser, site, screenshot, mailoutbox, eager_tasks
):
    prospect = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    prospect.goto(site("acme.localhost", "/apply/"))
    expect(prospect.get_by_role("heading", name="Become a partner of Acme Program")).to_be_visible()
    screenshot("apply-form-empty", prospect)
    prospect.get_by_label("Company").fill("Initech")
    prospect.get_by_label("Website").fill("initech.example")
    prospect.get_by_label("Country").select_option("US")
    prospect.get_by_label("Partner type").select_option(label="Reseller / VAR")
    prospect.get_by_label("First name").fill("Peter")
    prospect.get_by_label("Last name").fill("Gibbons")
    prospect.get_by_label("Email").fill("peter@initech.example")
    prospect.get_by_label("Phone").fill("+1 555 0100")
    prospect.get_by_label("How many sales reps do you have?").fill("12")
    prospect.get_by_label("Main market").select_option("Mid-market")
    prospect.get_by_label("Message").fill("We resell TPS reporting software in the Midwest.")
    screenshot("apply-form-filled", prospect)
    prospect.get_by_role("button", name="Apply").click()
    expect(prospect.get_by_role("heading", name="Check your inbox")).to_be_visible()
    screenshot("apply-sent", prospect)

    # The confirmation email.
    prospect.goto(_on_site(_link(mailoutbox, "peter@initech.example", "/apply/confirm/"), site))
    expect(prospect.get_by_role("heading", name="Thanks — your email is confirmed")).to_be_visible()
    screenshot("apply-confirmed-pending", prospect)

    # The CAM finds it in the Pending Partners queue and approves it.
    cam = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(cam, site, program.cam.email, "pw-cam-123456")
    cam.wait_for_url("**/console/")
    cam.get_by_role("link", name=re.compile(r"^Applications")).first.click()
    expect(cam.get_by_role("link", name="Peter Gibbons")).to_be_visible()
    screenshot("console-applications-queue", cam)
    cam.get_by_role("link", name="Peter Gibbons").click()
    expect(cam.get_by_role("heading", name="Initech")).to_be_visible()
    expect(cam.get_by_text("How many sales reps do you have?")).to_be_visible()
    screenshot("console-application-detail", cam)
    cam.get_by_role("button", name="Approve as new partner").click()
    expect(cam.get_by_text("Initech is approved as a new partner.")).to_be_visible()
    screenshot("console-application-approved", cam)

    # The new partner sets a password from the welcome email and lands in the portal.
    partner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    partner.goto(_on_site(_link(mailoutbox, "peter@initech.example", "/reset/key/"), site))
    screenshot("set-password", partner)
    partner.locator("input[name=password1]").fill("tps-reports-2024!")
    partner.locator("input[name=password2]").fill("tps-reports-2024!")
    partner.get_by_role("button", name="Save password").click()
    partner.wait_for_url("**/portal/")
    expect(partner.get_by_text("Company details").first).to_be_visible()
    screenshot("portal-after-approval", partner)
    with scope(tenant=program.tenant):
        app = Application.objects.select_related("partner_account").get()
        enrollment = app.partner_account.enrollments.get()
        assert enrollment.current_stage.name == "Company details"


def test_console_pages_and_team_requests(program, browser, site, screenshot, mailoutbox):
    """Matching applicants, invitations and settings, as a CAM, an admin and a partner admin."""
    from tests.applications.conftest import apply_and_confirm, configure, submit

    configure(program, domain_matching=True)
    with scope(tenant=program.tenant):
        partner_domain_add(
            tenant=program.tenant,
            actor=program.admin,
            account=program.partner,
            domain="acmepartnerone.example",
        )
    apply_and_confirm(
        program, "mina.kay@one.acme.test", company="Acme Partner One", first="Mina", last="Kay"
    )
    apply_and_confirm(
        program, "sam@gmail.com", company="Sam's IT Shop", first="Sam", last="Lopez", country="CA"
    )
    apply_and_confirm(
        program,
        "li@acmepartnerone.example",
        company="Acme Partner One (UK)",
        first="Li",
        last="Wei",
        country="GB",
    )
    submit(program, "someone@contoso.example", company="Contoso", first="Jo", last="Smith")

    admin = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(admin, site, program.admin.email, "pw-admin-123456")
    admin.wait_for_url("**/console/")
    admin.goto(site("acme.localhost", "/console/applications/"))
    expect(admin.get_by_role("link", name="Mina Kay")).to_be_visible()
    screenshot("console-applications-queue-matched", admin)
    admin.get_by_role("link", name="Mina Kay").click()
    expect(admin.get_by_text("Matching partner")).to_be_visible()
    screenshot("console-application-matched", admin)

    admin.goto(site("acme.localhost", "/console/applications/invitations/"))
    admin.get_by_label("Email addresses").fill("raj@fabrikam.example\nana@woodgrove.example")
    admin.get_by_label("Partner type").select_option(label="Managed Service Provider")
    admin.get_by_label("Personal note").fill("Great meeting you at Partner Summit!")
    admin.get_by_role("button", name="Send invitations").click()
    expect(admin.get_by_text("2 invitations sent.")).to_be_visible()
    screenshot("console-invitations", admin)

    admin.goto(site("acme.localhost", "/console/applications/settings/"))
    expect(admin.get_by_label("Domain matching")).to_be_checked()
    screenshot("console-application-settings", admin)

    # The partner admin sees the two applicants from their domains.
    padmin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(padmin, site, program.partner_admin.email, "pw-padmin-123456")
    padmin.wait_for_url("**/portal/")
    padmin.get_by_role("link", name="Team requests").click()
    expect(padmin.get_by_text("Mina Kay")).to_be_visible()
    screenshot("portal-team-requests", padmin)
    padmin.locator("li", has_text="Mina Kay").get_by_role("button", name="Add to team").click()
    expect(padmin.get_by_text("Mina Kay is now on your team.")).to_be_visible()
    screenshot("portal-team-requests-decided", padmin)

    # The public pages on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(site("acme.localhost", "/apply/"))
    expect(phone.get_by_role("button", name="Apply")).to_be_visible()
    screenshot("apply-form-phone", phone)
    phone.goto(site("acme.localhost", "/apply/confirm/not-a-real-link/"))
    expect(phone.get_by_role("heading", name="This link doesn’t work")).to_be_visible()
    screenshot("apply-link-invalid-phone", phone)
