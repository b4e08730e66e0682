"""The onboarding journey in a real browser: partner and CAM, as new users would do it."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope
from playwright.sync_api import expect

from apps.content.services import article_save, asset_create
from apps.core.uploads import UploadPolicy, validate_upload
from apps.onboarding.demo import ActionSpec, StageSpec
from apps.onboarding.models import ActionType, Enrollment
from apps.onboarding.services import partner_enroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VA, RA = ActionType.VIEW_ASSET, ActionType.READ_ARTICLE
PI, UP = ActionType.PROVIDE_INFORMATION, ActionType.UPLOAD_DOCUMENT
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _png() -> bytes:
    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x4f\x46\xe5" * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def program(acme, settings, tmp_path, pipeline_for):
    settings.MEDIA_ROOT = str(tmp_path)
    tenant, admin = acme.tenant, acme.admin
    with scope(tenant=tenant):
        upload = validate_upload(
            SimpleUploadedFile("badge.png", _png(), "image/png"), UploadPolicy()
        )
        asset = asset_create(tenant=tenant, actor=admin, title="Partner badge", upload=upload)
        article = article_save(
            tenant=tenant,
            actor=admin,
            title="Portal tour",
            publish=True,
            body_markdown="# Welcome\n\nThis is how the **portal** works.",
        )
        built = pipeline_for(
            acme,
            [
                StageSpec(
                    "Welcome",
                    [
                        ActionSpec("View the partner badge", VA, fields={"asset": asset}),
                        ActionSpec("Take the portal tour", RA, fields={"article": article}),
                        ActionSpec(
                            "Upload the signed NDA",
                            UP,
                            requires_approval=True,
                            fields={"upload_types": ["pdf"]},
                        ),
                        ActionSpec(
                            "Company details",
                            PI,
                            requires_approval=True,
                            fields={
                                "form_fields": [
                                    {"label": "Legal name", "kind": "text", "required": True}
                                ]
                            },
                        ),
                        ActionSpec("Upload your logo", UP, fields={"upload_types": ["png"]}),
                    ],
                ),
                StageSpec("Kick-off call"),
                StageSpec(
                    "Enablement",
                    [
                        ActionSpec(
                            "Sales plan",
                            PI,
                            fields={"form_fields": [{"label": "Target", "kind": "text"}]},
                        )
                    ],
                ),
            ],
        )
        partner_enroll(tenant=tenant, actor=acme.cam, account=acme.partner)
    acme.stages = tuple(built.stages)
    acme.tmp = tmp_path
    return acme


def _sign_in(page, site, email, password):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _status(card):
    return card.locator(".action-card__header .badge")


def _current_stage(program):
    with scope(tenant=program.tenant):
        return Enrollment.objects.get(partner_account=program.partner).current_stage_id


def test_partner_and_cam_complete_the_onboarding(program, browser, site, screenshot):
    tmp = program.tmp
    (tmp / "nda.pdf").write_bytes(PDF)
    (tmp / "logo.png").write_bytes(_png())

    partner = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    _sign_in(partner, site, program.partner_admin.email, "pw-padmin-123456")
    partner.wait_for_url("**/portal/")
    expect(partner.get_by_text("Current stage: Welcome")).to_be_visible()
    screenshot("portal-home-start", partner)

    # View asset: opening it completes the action.
    partner.get_by_role("link", name="View the partner badge").click()
    partner.get_by_role("button", name="Open asset").click()
    partner.goto(site("acme.localhost", "/portal/"))
    # Read article.
    partner.get_by_role("link", name="Take the portal tour").click()
    partner.get_by_role("button", name="Read article").click()
    expect(partner.get_by_role("heading", name="Welcome")).to_be_visible()
    partner.goto(site("acme.localhost", "/portal/"))
    # Upload document with approval.
    partner.get_by_role("link", name="Upload the signed NDA").click()
    partner.get_by_label("Files").set_input_files(str(tmp / "nda.pdf"))
    partner.get_by_role("button", name="Upload").click()
    expect(partner.get_by_text("waiting for approval").first).to_be_visible()
    # Provide information with approval.
    partner.get_by_role("link", name="Company details").click()
    partner.get_by_label("Legal name").fill("Acme Partner One Ltd")
    partner.get_by_role("button", name="Submit").click()
    # Upload document without approval.
    partner.get_by_role("link", name="Upload your logo").click()
    partner.get_by_label("Files").set_input_files(str(tmp / "logo.png"))
    partner.get_by_role("button", name="Upload").click()
    expect(partner.get_by_text("3 of 6 actions done")).to_be_visible()
    screenshot("portal-home-waiting", partner)

    # The CAM reviews in the console.
    cam = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _sign_in(cam, site, program.cam.email, "pw-cam-123456")
    cam.wait_for_url("**/console/")
    cam.goto(site("acme.localhost", f"/console/partners/{program.partner.pk}/onboarding/"))
    nda = cam.locator("article", has_text="Upload the signed NDA")
    details = cam.locator("article", has_text="Company details")
    screenshot("onboarding-tab-review", cam)
    nda.get_by_role("button", name="Validate").click()
    expect(_status(nda)).to_have_text("Completed")
    details.get_by_label("Comment for the partner").fill("Please use the registered name.")
    details.get_by_role("button", name="Request changes").click()
    expect(_status(details)).to_have_text("Action required")
    # Invalidate the validated NDA: the partner must redo it.
    nda.get_by_role("button", name="Invalidate").click()
    expect(_status(nda)).to_have_text("Action required")
    # Skip an action of a later stage.
    cam.get_by_role("link", name="Enablement").click()
    cam.locator("article", has_text="Sales plan").get_by_role("button", name="Skip").click()
    expect(_status(cam.locator("article", has_text="Sales plan"))).to_have_text("Skipped")

    # The partner redoes both.
    partner.goto(site("acme.localhost", "/portal/"))
    expect(partner.get_by_text("Please use the registered name.")).to_be_visible()
    partner.get_by_role("link", name="Company details").click()
    partner.get_by_label("Legal name").fill("Acme Partner One Limited")
    partner.get_by_role("button", name="Submit").click()
    partner.get_by_role("link", name="Upload the signed NDA").click()
    partner.get_by_label("Files").set_input_files(str(tmp / "nda.pdf"))
    partner.get_by_role("button", name="Upload").click()

    # The CAM validates both without JavaScript-free fallbacks needed: htmx in place.
    cam.goto(site("acme.localhost", f"/console/partners/{program.partner.pk}/onboarding/"))
    for title in ("Upload the signed NDA", "Company details"):
        card = cam.locator("article", has_text=title)
        card.get_by_role("button", name="Validate").click()
        expect(_status(card)).to_have_text("Completed")

    # The partner moves on automatically (worker-free here: the reconcile pass runs it).
    from apps.onboarding.tasks import onboarding_reconcile

    # No worker runs here, so the queued advance tasks never run: the pass makes the one move
    # (to the stage without actions, where the cascade stops).
    assert onboarding_reconcile() == 1
    assert _current_stage(program) == program.stages[1].pk
    cam.reload()
    expect(cam.get_by_role("button", name="Move partner to the next stage")).to_be_visible()
    screenshot("onboarding-tab-stage-without-actions", cam)
    cam.get_by_role("button", name="Move partner to the next stage").click()
    expect(cam.get_by_text("moved to the next stage")).to_be_visible()
    # Enablement's only action was skipped: the cascade completes the onboarding.
    assert onboarding_reconcile() == 1
    assert _current_stage(program) is None
    partner.goto(site("acme.localhost", "/portal/"))
    expect(partner.get_by_text("Onboarding completed").first).to_be_visible()
    screenshot("portal-home-completed", partner)
