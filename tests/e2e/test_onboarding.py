"""The onboarding journey in a real browser: partner and CAM, as new users would do it."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope
from playwright.sync_api import expect

from apps.content.services import article_save, asset_create
from apps.core.uploads import UploadPolicy, validate_upload
from apps.onboarding.models import ActionType, Enrollment
from apps.onboarding.services import partner_enroll
from apps.onboarding.services.pipelines import (
    action_create,
    pipeline_assign_types,
    pipeline_create,
    stage_create,
)
from apps.partners.models import PartnerType
from tests.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

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
def program(acme, settings, tmp_path):
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
        pipeline = pipeline_create(tenant=tenant, actor=admin, name="Reseller onboarding")
        pipeline_assign_types(
            tenant=tenant,
            actor=admin,
            pipeline=pipeline,
            partner_types=[PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")],
        )
        s1 = stage_create(tenant=tenant, actor=admin, pipeline=pipeline, name="Welcome")
        action_create(
            tenant=tenant,
            actor=admin,
            stage=s1,
            type=ActionType.VIEW_ASSET,
            title="View the partner badge",
            asset=asset,
        )
        action_create(
            tenant=tenant,
            actor=admin,
            stage=s1,
            type=ActionType.READ_ARTICLE,
            title="Take the portal tour",
            article=article,
        )
        action_create(
            tenant=tenant,
            actor=admin,
            stage=s1,
            type=ActionType.UPLOAD_DOCUMENT,
            title="Upload the signed NDA",
            requires_approval=True,
            upload_types=["pdf"],
        )
        action_create(
            tenant=tenant,
            actor=admin,
            stage=s1,
            type=ActionType.PROVIDE_INFORMATION,
            title="Company details",
            requires_approval=True,
            form_fields=[{"label": "Legal name", "kind": "text", "required": True}],
        )
        action_create(
            tenant=tenant,
            actor=admin,
            stage=s1,
            type=ActionType.UPLOAD_DOCUMENT,
            title="Upload your logo",
            upload_types=["png"],
        )
        s2 = stage_create(tenant=tenant, actor=admin, pipeline=pipeline, name="Kick-off call")
        s3 = stage_create(tenant=tenant, actor=admin, pipeline=pipeline, name="Enablement")
        action_create(
            tenant=tenant,
            actor=admin,
            stage=s3,
            type=ActionType.PROVIDE_INFORMATION,
            title="Sales plan",
            form_fields=[{"label": "Target", "kind": "text"}],
        )
        partner_enroll(tenant=tenant, actor=acme.cam, account=acme.partner)
    acme.stages = (s1, s2, s3)
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

    assert wait_for(
        lambda: onboarding_reconcile() >= 0 and _current_stage(program) == program.stages[1].pk,
        timeout=20,
    )
    cam.reload()
    expect(cam.get_by_role("button", name="Move partner to the next stage")).to_be_visible()
    screenshot("onboarding-tab-stage-without-actions", cam)
    cam.get_by_role("button", name="Move partner to the next stage").click()
    expect(cam.get_by_text("moved to the next stage")).to_be_visible()
    # Enablement's only action was skipped: the cascade completes the onboarding.
    assert wait_for(
        lambda: onboarding_reconcile() >= 0 and _current_stage(program) is None, timeout=20
    )
    partner.goto(site("acme.localhost", "/portal/"))
    expect(partner.get_by_text("Onboarding completed").first).to_be_visible()
    screenshot("portal-home-completed", partner)
