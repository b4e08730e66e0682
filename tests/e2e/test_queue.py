"""The work queue in a real browser: a CAM validates two waiting actions from /console/queue/."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from apps.onboarding.demo import ActionSpec, StageSpec
from apps.onboarding.models import ActionProgress, ActionStatus, ActionType
from apps.onboarding.services import action_complete, partner_enroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PI = ActionType.PROVIDE_INFORMATION
LEGAL = {"form_fields": [{"label": "Legal name", "kind": "text", "required": True}]}


@pytest.fixture
def waiting(acme, pipeline_for):
    """Two actions of Acme Partner One waiting for approval, submitted by its partner user."""
    built = pipeline_for(
        acme,
        [
            StageSpec(
                "Company details",
                [
                    ActionSpec("Legal entity", PI, requires_approval=True, fields=LEGAL),
                    ActionSpec("Billing entity", PI, requires_approval=True, fields=LEGAL),
                ],
            ),
            StageSpec("Enablement", [ActionSpec("Sales questionnaire", PI, fields=LEGAL)]),
        ],
    )
    tenant = acme.tenant
    with scope(tenant=tenant):
        enrollment = partner_enroll(tenant=tenant, actor=acme.admin, account=acme.partner)
        rows = []
        for title, answer in (("Legal entity", "Acme One Ltd"), ("Billing entity", "Acme Pay BV")):
            progress = ActionProgress.objects.get(
                enrollment=enrollment, action=built.actions[title]
            )
            action_complete(
                tenant=tenant,
                actor=acme.partner_user,
                progress_id=progress.pk,
                submission={"legal_name": answer},
            )
            rows.append(progress)
    return rows


def test_a_cam_validates_two_waiting_actions_from_the_queue(acme, waiting, page, site, screenshot):
    page.goto(site("acme.localhost", "/accounts/login/?next=/console/queue/"))
    page.get_by_label("Email").fill("cam@acme.test")
    page.get_by_label("Password").fill("pw-cam-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/queue/")

    expect(page.get_by_role("heading", name="Work queue")).to_be_visible()
    nav_link = page.locator(".sidebar").get_by_role("link", name="Work queue")
    expect(nav_link.locator(".nav__count")).to_have_text("2 waiting for approval")
    for progress in waiting:
        expect(page.locator(f"#queue-row-{progress.pk}")).to_contain_text("Acme Partner One")
    expect(page.get_by_text("Acme One Ltd")).to_be_visible()
    screenshot("console-queue")

    for progress in waiting:
        row = page.locator(f"#queue-row-{progress.pk}")
        row.get_by_role("button", name="Validate").click()
        # htmx swaps the row for its outcome, in place: no reload.
        expect(row).to_contain_text("Validated")
        expect(row.get_by_role("button", name="Validate")).to_have_count(0)
    screenshot("console-queue-validated")

    with scope(tenant=acme.tenant):
        statuses = set(
            ActionProgress.objects.filter(pk__in=[p.pk for p in waiting]).values_list(
                "status", flat=True
            )
        )
    assert statuses == {ActionStatus.COMPLETED}

    # Reloaded, the queue is empty and the badge gone.
    page.reload()
    expect(page.get_by_text("Nothing waits for you")).to_be_visible()
    expect(nav_link.locator(".nav__count")).to_have_count(0)
