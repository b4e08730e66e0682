"""A CAM's alert inbox, a partner's Milestones tab and the 90-day review, in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from apps.milestones.services import (
    milestone_event_record,
    milestone_sweep_all_tenants,
    partner_track_start,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(milestone_template, acme):
    """acme's partner 80 days into its Reseller track with part of it done, another partner
    20 days in; then the sweep runs."""
    now = timezone.now()
    enrolled = now - timedelta(days=80)
    with scope(tenant=acme.tenant):
        partner_track_start(
            tenant=acme.tenant, actor=acme.cam, account=acme.partner, enrolled_at=enrolled
        )
        partner_track_start(
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.other_partner,
            enrolled_at=now - timedelta(days=20),
        )
        for day, type_, reference, data in [
            (1, "portal.access_confirmed", "", {}),
            (2, "profile.completed", "", {}),
            (19, "certification.attempted", "sales", {"course": "Sales Foundations"}),
            (26, "certification.passed", "sales", {"course": "Sales Foundations", "score": 88}),
            (41, "deal.registered", "DR-1042", {"customer": "Initech", "amount": 48000}),
        ]:
            milestone_event_record(
                tenant=acme.tenant,
                account_id=acme.partner.pk,
                type=type_,
                source="api",
                occurred_at=enrolled + timedelta(days=day),
                reference=reference,
                data=data,
            )
    milestone_sweep_all_tenants()
    return acme


def _sign_in(page, site, email, password):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _row(page, partner, label):
    return page.locator("tr.ms-alert").filter(has_text=partner).filter(has_text=label)


def test_a_cam_works_the_alert_inbox_and_prepares_the_review(program, page, site, screenshot):
    partner = program.partner.name
    _sign_in(page, site, "cam@acme.test", "pw-cam-123456")
    expect(page.get_by_role("heading", name="Welcome back, Casey")).to_be_visible()
    expect(page.locator("#milestone-health")).to_contain_text(partner)
    screenshot("milestones-console-home")

    # The inbox after the sweep: every overdue rule of both partners.
    page.locator(".sidebar").get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    welcome = _row(page, partner, "Welcome call not logged at day 7")
    expect(welcome).to_be_visible()
    expect(_row(page, partner, "No marketing activity at day 60")).to_be_visible()
    expect(_row(page, partner, "90-day review package ready")).to_be_visible()
    screenshot("milestones-alert-inbox")

    # Acknowledge one (htmx swaps the row in place).
    technical = _row(page, partner, "No technical certification attempt at day 45")
    technical.get_by_role("button", name="Acknowledge").click()
    expect(technical.locator(".badge", has_text="Acknowledged")).to_be_visible()

    # Snooze another until next Monday.
    orientation = _row(page, partner, "Less than 50% of orientation completed at day 14")
    orientation.locator("summary", has_text="Snooze").click()
    expect(orientation.get_by_text("Hide this alert until…")).to_be_visible()
    screenshot("milestones-alert-snooze")
    orientation.get_by_role("button", name="Next Monday").click()
    expect(orientation.locator(".badge", has_text="Snoozed")).to_be_visible()

    # Reloaded, the Open tab no longer lists them; the other tabs do.
    page.reload()
    expect(_row(page, partner, "Less than 50% of orientation completed at day 14")).to_have_count(0)
    expect(_row(page, partner, "No technical certification attempt at day 45")).to_have_count(0)
    page.get_by_role("link", name="Snoozed").click()
    expect(_row(page, partner, "Less than 50% of orientation completed at day 14")).to_be_visible()
    page.get_by_role("link", name="Acknowledged").click()
    expect(_row(page, partner, "No technical certification attempt at day 45")).to_be_visible()

    # The partner's Milestones tab: log the welcome call, and its alert resolves.
    page.get_by_role("link", name="Open").first.click()
    _row(page, partner, "Welcome call not logged at day 7").get_by_role(
        "link", name=partner
    ).click()
    expect(page.get_by_role("heading", name="Milestone timeline")).to_be_visible()
    screenshot("milestones-partner-tab")
    log = page.locator("#log-activity")
    log.get_by_label("What happened").select_option(label="Welcome call held")
    log.get_by_label("Note").fill("Walked through the 90-day plan; they want co-selling help.")
    log.get_by_role("button", name="Log activity").click()
    expect(page.get_by_text("1 milestone completed, 1 alert resolved")).to_be_visible()
    welcome_item = page.locator(".ms-item").filter(has_text="Welcome call completed")
    expect(welcome_item.locator(".badge", has_text="Done")).to_be_visible()
    screenshot("milestones-partner-tab-logged")

    page.goto(site("acme.localhost", "/console/alerts/?status=resolved"))
    expect(_row(page, partner, "Welcome call not logged at day 7")).to_be_visible()
    expect(
        _row(page, partner, "Welcome call not logged at day 7").locator(
            ".badge", has_text="Resolved"
        )
    ).to_be_visible()

    # The printable 90-day review package (day 80: prepared at day 75).
    page.goto(site("acme.localhost", f"/console/partners/{program.partner.pk}/milestones/"))
    page.get_by_role("link", name="Open the review package").click()
    expect(page.get_by_role("heading", name=partner)).to_be_visible()
    expect(page.get_by_text("Prepared", exact=False).first).to_be_visible()
    expect(page.get_by_text("Initech")).to_be_visible()
    expect(page.get_by_text("Sales Foundations").first).to_be_visible()
    screenshot("milestones-review-package")
    page.emulate_media(media="print")
    expect(page.locator(".sidebar")).to_be_hidden()
    expect(page.get_by_role("button", name="Record the review")).to_be_hidden()
    screenshot("milestones-review-package-print")
    page.emulate_media(media="screen")

    # Record the review: the milestone is done.
    page.get_by_label("Review notes").fill("Strong first deal; certification on track.")
    page.get_by_label("Initial scorecard reviewed with the partner").check()
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_text("The 90-day review is recorded.")).to_be_visible()
    expect(page.get_by_text("Strong first deal; certification on track.")).to_be_visible()
