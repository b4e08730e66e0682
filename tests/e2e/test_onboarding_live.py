"""The live Onboarding tab in a real browser with a real Celery worker: a CAM validates the
last waiting action of a stage and, without reloading, watches the tab move the partner to
the next stage, with the tick and date on the finished one. The partner's journey and home
refresh the same way."""

import re

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from apps.onboarding.demo import ActionSpec, StageSpec
from apps.onboarding.models import ActionProgress, ActionType, Enrollment
from apps.onboarding.services import action_complete, partner_enroll
from tests.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PI = ActionType.PROVIDE_INFORMATION
FIELDS = {"form_fields": [{"label": "Legal name", "kind": "text", "required": True}]}


@pytest.fixture
def program(acme, pipeline_for):
    built = pipeline_for(
        acme,
        [
            StageSpec(
                "Company details",
                [
                    ActionSpec("Legal details", PI, requires_approval=True, fields=FIELDS),
                    ActionSpec("Billing contact", PI, requires_approval=True, fields=FIELDS),
                ],
            ),
            StageSpec(
                "Contract", [ActionSpec("Signed NDA", PI, requires_approval=True, fields=FIELDS)]
            ),
        ],
    )
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
        for progress in ActionProgress.objects.filter(
            enrollment=enrollment, action__stage=built.stages[0]
        ):
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                progress_id=progress.pk,
                submission={"legal_name": "Acme Partner One Ltd"},
            )
    acme.stages = tuple(built.stages)
    return acme


def _worker_ready(worker):
    from config.celery import app

    worker.start()
    assert wait_for(lambda: bool(app.control.ping(timeout=0.5)), timeout=60), "no worker"


def _sign_in(page, site, email, password):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _current_stage(program):
    with scope(tenant=program.tenant):
        return Enrollment.objects.get(partner_account=program.partner).current_stage_id


def test_cam_watches_the_tab_move_to_the_next_stage(
    program, browser, site, screenshot, celery_worker_process
):
    _worker_ready(celery_worker_process)
    cam = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(cam, site, program.cam.email, "pw-cam-123456")
    cam.wait_for_url("**/console/")
    cam.goto(site("acme.localhost", f"/console/partners/{program.partner.pk}/onboarding/"))
    stages = cam.locator("#onboarding-stage-list")
    company = stages.locator("li", has_text="Company details")
    contract = stages.locator("li", has_text="Contract")
    expect(company).to_contain_text("Current stage")
    expect(cam.locator("#onboarding-progress")).to_contain_text("0 of 3 actions done")
    # The buttons look like buttons.
    legal = cam.locator("article", has_text="Legal details")
    expect(legal.get_by_role("button", name="Validate")).to_have_class("btn btn--primary btn--sm")
    screenshot("onboarding-live-before", cam)
    cam.evaluate("window.__notReloaded = true")

    legal.get_by_role("button", name="Validate").click()
    expect(legal.locator(".action-card__header .badge")).to_have_text("Completed")
    # The counts and progress follow the card at once (out-of-band).
    expect(cam.locator("#onboarding-progress")).to_contain_text("1 of 3 actions done")
    expect(company).to_contain_text("Current stage")

    billing = cam.locator("article", has_text="Billing contact")
    billing.get_by_role("button", name="Validate").click()
    expect(cam.locator("#onboarding-progress")).to_contain_text("2 of 3 actions done")
    # The worker moves the partner on; the tab asks again and shows it, no reload.
    expect(company).to_have_class("stage-list__item is-done", timeout=20000)
    today = timezone.localdate().strftime("%-d %b %Y")
    expect(company).to_contain_text(f"Completed {today}")
    expect(company.locator(".stage-list__marker")).to_have_text("✓")
    expect(contract).to_contain_text("Current stage")
    expect(cam.locator("#stage-panel h2")).to_have_text("Contract")
    expect(cam.locator("article", has_text="Signed NDA")).to_be_visible()
    expect(cam.locator("#onboarding-live")).to_be_hidden()
    assert cam.evaluate("window.__notReloaded") is True
    assert _current_stage(program) == program.stages[1].pk
    screenshot("onboarding-live-after-move", cam)


def test_partner_journey_shows_the_move_after_the_last_action(
    program, browser, site, screenshot, celery_worker_process
):
    # The CAM validated one action already; the partner's journey is open when the CAM
    # validates the last one and the worker moves the partner on.
    from apps.onboarding.services import action_validate

    with scope(tenant=program.tenant):
        rows = list(
            ActionProgress.objects.filter(
                partner_account=program.partner, action__stage=program.stages[0]
            ).order_by("action__position")
        )
        action_validate(tenant=program.tenant, actor=program.cam, progress_id=rows[0].pk)
    partner = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    _sign_in(partner, site, program.partner_admin.email, "pw-padmin-123456")
    partner.wait_for_url("**/portal/")
    expect(
        partner.get_by_text("Your next step").or_(partner.get_by_text("reviewing"))
    ).to_be_visible()
    _worker_ready(celery_worker_process)
    with scope(tenant=program.tenant):
        action_validate(tenant=program.tenant, actor=program.cam, progress_id=rows[1].pk)
    # The move may already be made, or still pending: the journey shows the truth either way.
    partner.goto(site("acme.localhost", "/portal/onboarding/"))
    partner.evaluate("window.__notReloaded = true")
    contract = partner.locator("#journey-stages li", has_text="Contract")
    expect(contract).to_contain_text("Current stage", timeout=20000)
    expect(partner.locator("#journey-stages li", has_text="Company details")).to_contain_text(
        "Completed"
    )
    expect(partner.locator("#journey-progress")).to_contain_text("2 of 3 actions done")
    assert partner.evaluate("window.__notReloaded") is True
    screenshot("portal-journey-live", partner)
    partner.goto(site("acme.localhost", "/portal/"))
    expect(partner.locator(".next-step")).to_contain_text("Your next step: Signed NDA.")
    expect(partner.get_by_role("link", name="Start now")).to_have_attribute(
        "href", re.compile(r"/portal/onboarding/actions/\d+/$")
    )
    screenshot("portal-home-next-step", partner)
