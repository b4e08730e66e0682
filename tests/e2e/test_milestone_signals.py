"""Milestone signals in a real browser: a partner admin's profile at 100% resolves the CAM's
day-5 alert at the next sweep, and a program admin's edit of a rule's day shows on the
partner's milestone timeline."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from apps.milestones.models import Track
from apps.milestones.services import milestone_sweep_all_tenants, partner_track_start

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots12")
HOST = "acme.localhost"
PROFILE_ALERT = "Profile incomplete at day 5"
WELCOME_ALERT = "Welcome call not logged at day 7"


@pytest.fixture
def shot(screenshot):
    """Screenshots for review in /tmp/shots12/, and beside the other e2e screenshots."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, target, *, full_page: bool = True) -> None:
        target.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
        if full_page:
            screenshot(f"milestone-signals-{name}", target)

    return take


@pytest.fixture
def day_six(milestone_template, acme):
    """acme's first partner enrolled 6 days ago on the Reseller track, nothing done yet;
    then the sweep runs (its day-5 profile alert is raised)."""
    now = timezone.now()
    with scope(tenant=acme.tenant):
        partner_track_start(
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.partner,
            enrolled_at=now - timedelta(days=6),
        )
        track = Track.objects.get(tenant=acme.tenant, partner_type=acme.partner.partner_type)
        profile = track.milestone_set.get(key="profile-complete")
        assert set(profile.event_types) == {"profile.completed", "portal.access_confirmed"}
    milestone_sweep_all_tenants(now=now)
    return acme


def _sign_in(page, site, email: str, password: str) -> None:
    page.goto(site(HOST, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _alert_row(page, partner: str, label: str):
    return page.locator("tr.ms-alert").filter(has_text=partner).filter(has_text=label)


def test_a_complete_profile_resolves_the_day_5_alert_at_the_next_sweep(
    day_six, browser, site, shot
):
    program = day_six
    partner = program.partner.name

    # The CAM sees the day-5 alert in the open inbox.
    cam = browser.new_context(viewport={"width": 1366, "height": 860}).new_page()
    _sign_in(cam, site, "cam@acme.test", "pw-cam-123456")
    cam.wait_for_url("**/console/**")
    cam.goto(site(HOST, "/console/alerts/"))
    expect(_alert_row(cam, partner, PROFILE_ALERT)).to_be_visible()

    # The partner admin signs in (portal access confirmed) and opens the profile.
    padmin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(padmin, site, "padmin@one.acme.test", "pw-padmin-123456")
    padmin.wait_for_url("**/portal/**")
    padmin.get_by_role("link", name="Company profile").click()
    expect(padmin.get_by_role("heading", name="Company profile")).to_be_visible()
    completion = padmin.locator("#completion-title")
    expect(completion).to_have_text(re.compile(r"Profile \d+% complete"))
    percent = int(re.search(r"(\d+)%", completion.inner_text()).group(1))
    assert percent < 100
    missing = padmin.locator("#profile-missing")
    for label in ["Website", "Address line 1", "City", "Country", "Sales contact"]:
        expect(missing).to_contain_text(label)
    shot("profile-before", padmin)

    # Every required field, by the labels of the real form.
    padmin.get_by_label("Legal company name").fill(f"{partner} Ltd")
    padmin.get_by_label("Website").fill("https://one.acme.test")
    padmin.get_by_label("Address line 1").fill("1 Harbour Street")
    padmin.get_by_label("City").fill("Bristol")
    padmin.get_by_label("Country").fill("GB")
    contacts = [("Sales", "Sam Seller"), ("Marketing", "Mia Marketer"), ("Technical", "Tom Tech")]
    for kind, name in contacts:
        group = padmin.get_by_role("group", name=f"{kind} contact")
        group.get_by_label("Name").fill(name)
        group.get_by_label("Email").fill(f"{kind.lower()}@one.acme.test")
    padmin.get_by_role("button", name="Save profile").click()
    expect(padmin.get_by_text("Profile saved. It is now 100% complete")).to_be_visible()
    expect(completion).to_have_text("Profile 100% complete")
    expect(padmin.locator("#profile-missing")).to_have_count(0)
    shot("profile-after", padmin)

    # The next sweep resolves the CAM's alert.
    milestone_sweep_all_tenants(now=timezone.now())
    cam.reload()
    expect(_alert_row(cam, partner, PROFILE_ALERT)).to_have_count(0)
    cam.goto(site(HOST, "/console/alerts/?status=resolved"))
    resolved = _alert_row(cam, partner, PROFILE_ALERT)
    expect(resolved.locator(".badge", has_text="Resolved")).to_be_visible()

    # The partner's Milestones tab: the milestone is done.
    cam.goto(site(HOST, f"/console/partners/{program.partner.pk}/milestones/"))
    item = cam.locator(".ms-item").filter(
        has_text="Portal access confirmed and partner profile complete"
    )
    expect(item.locator(".badge", has_text="Done")).to_be_visible()
    expect(item.locator(".ms-item__alerts")).to_have_count(0)


def test_an_admin_moves_an_alert_day_and_sees_it_on_the_timeline(day_six, browser, site, shot):
    program = day_six
    admin = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(admin, site, "admin@acme.test", "pw-admin-123456")
    admin.wait_for_url("**/console/**")

    # Before: the welcome call (not yet due at day 6) alerts at day 7.
    tab = site(HOST, f"/console/partners/{program.partner.pk}/milestones/")
    admin.goto(tab)
    welcome = admin.locator(".ms-item").filter(has_text="Welcome call completed")
    expect(welcome.locator(".ms-item__rules")).to_contain_text("day 7")

    admin.goto(site(HOST, "/console/settings/milestones/"))
    expect(admin.get_by_role("heading", name="Milestone tracks")).to_be_visible()
    shot("tracks-overview", admin)
    admin.get_by_role("link", name="Edit the Reseller / VAR track").click()
    expect(admin.get_by_role("heading", name="Reseller / VAR track")).to_be_visible()

    rule = admin.locator(".ms-rule").filter(has_text=WELCOME_ALERT)
    rule.get_by_label(f"Edit rule “{WELCOME_ALERT}”").click()
    rule.get_by_label("Alert day").fill("9")
    rule.get_by_label("Label").fill("Welcome call not logged at day 9")
    rule.scroll_into_view_if_needed()
    shot("track-page-rule-edit", admin, full_page=False)
    rule.get_by_role("button", name="Save rule").click()
    confirm = admin.get_by_text("This would make the alert due now")
    if confirm.is_visible():
        admin.get_by_role("button", name="Apply from now on").click()
    expect(admin.get_by_text("Alert rule saved.")).to_be_visible()
    moved = admin.locator(".ms-rule").filter(has_text="Welcome call not logged at day 9")
    expect(moved).to_be_visible()
    shot("track-page", admin)
    admin.locator("#activation").screenshot(path=str(SHOTS / "track-page-activation.png"))

    # The partner's timeline shows the rule at its new day.
    admin.goto(tab)
    welcome = admin.locator(".ms-item").filter(has_text="Welcome call completed")
    expect(welcome.locator(".ms-item__rules")).to_have_text(re.compile(r"\bday 9\b", re.I))
    expect(welcome.locator(".ms-item__rules")).not_to_contain_text("day 7")
    shot("milestones-tab", admin)

    # Moving it earlier, into the partner's past, asks first; "from now on" raises nothing.
    admin.goto(site(HOST, "/console/settings/milestones/"))
    admin.get_by_role("link", name="Edit the Reseller / VAR track").click()
    rule = admin.locator(".ms-rule").filter(has_text="Welcome call not logged at day 9")
    rule.get_by_label("Edit rule “Welcome call not logged at day 9”").click()
    rule.get_by_label("Alert day").fill("4")
    rule.get_by_label("Label").fill("Welcome call not logged at day 4")
    rule.get_by_role("button", name="Save rule").click()
    expect(admin.get_by_text("This would make the alert due now for 1 partner")).to_be_visible()
    shot("track-page-confirm", admin)
    admin.get_by_role("button", name="Apply from now on").click()
    expect(admin.get_by_text("Alert rule saved.")).to_be_visible()

    milestone_sweep_all_tenants(now=timezone.now())
    admin.goto(site(HOST, "/console/alerts/"))
    expect(_alert_row(admin, program.partner.name, PROFILE_ALERT)).to_be_visible()
    expect(_alert_row(admin, program.partner.name, "Welcome call not logged")).to_have_count(0)
    admin.goto(tab)
    welcome = admin.locator(".ms-item").filter(has_text="Welcome call completed")
    expect(welcome.locator(".ms-item__rules")).to_contain_text("day 4")
