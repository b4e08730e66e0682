"""The pipeline builder in a real browser: a program admin builds and starts a pipeline."""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from apps.content.services import article_save, asset_create
from apps.onboarding.models import Action, ActionType, Enrollment, Pipeline, PipelineAssignment
from apps.onboarding.services import partner_enroll
from apps.onboarding.services.pipelines import action_create
from apps.partners.models import PartnerType
from apps.partners.services import partner_account_create
from tests.onboarding.conftest import DEFAULT_SPEC, build_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(acme):
    """An existing reseller pipeline with a partner in it, content, and MSPs to onboard."""
    tenant, admin = acme.tenant, acme.admin
    _, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    with scope(tenant=tenant):
        asset = asset_create(
            tenant=tenant,
            actor=admin,
            title="Partner program guide",
            url="https://example.com/program-guide",
        )
        action_create(
            tenant=tenant,
            actor=admin,
            stage=stages[3],
            type=ActionType.VIEW_ASSET,
            title="Read the program guide",
            asset=asset,
        )
        article = article_save(
            tenant=tenant,
            actor=admin,
            title="Registering your first deal",
            body_markdown="Register deals in the portal.",
            publish=True,
        )
        action_create(
            tenant=tenant,
            actor=admin,
            stage=stages[3],
            type=ActionType.READ_ARTICLE,
            title="Learn deal registration",
            article=article,
        )
        partner_enroll(tenant=tenant, actor=admin, account=acme.partner)
        msp = PartnerType.objects.get(name="Managed Service Provider")
        for name, domain in (
            ("Northwind Managed IT", "northwind.test"),
            ("Contoso Cloud Services", "contoso.test"),
        ):
            partner_account_create(
                tenant=tenant,
                actor=admin,
                name=name,
                partner_type=msp,
                domains=[domain],
                cam=acme.cam,
            )
    return acme


def _sign_in(page, site, email, password):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def shot(page, screenshot):
    """A full-page screenshot from the top (fixed and sticky parts sit where they belong)."""

    def take(name):
        page.evaluate('window.scrollTo({top: 0, behavior: "instant"})')
        screenshot(name)

    return take


def _stage(page, name):
    return page.locator("section.stage-card", has=page.get_by_role("heading", name=name))


def test_admin_builds_a_pipeline_and_enrolls_a_partner(program, page, site, shot):
    _sign_in(page, site, program.admin.email, "pw-admin-123456")
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="Pipelines").first.click()
    expect(page.get_by_role("heading", name="Pipelines", level=1)).to_be_visible()
    shot("pipelines-list")

    # New pipeline.
    page.get_by_label("Name").fill("MSP onboarding")
    page.get_by_label("Description").fill("For managed service providers joining the program.")
    page.get_by_role("button", name="Create pipeline").click()
    expect(page.get_by_text("“MSP onboarding” is created")).to_be_visible()
    shot("pipeline-empty")

    # Two stages.
    new_stage = page.locator("#new-stage")
    for name, description in (
        ("Company details", "Who the partner is and how to reach them."),
        ("Contract", "The signed partner agreement."),
    ):
        new_stage.get_by_label("Name").fill(name)
        new_stage.get_by_label("Description").fill(description)
        new_stage.get_by_role("button", name="Add stage").click()
        expect(page.get_by_text(f"Stage “{name}” added")).to_be_visible()

    # A Provide information action with two fields, from the form designer.
    details = _stage(page, "Company details")
    details.get_by_text("Add action").click()
    shot("pipeline-add-action-menu")
    details.get_by_role("link", name="Provide information").click()
    expect(page.get_by_role("heading", name="New action")).to_be_visible()
    expect(page.get_by_label("Needs approval")).to_be_checked()  # default on
    page.get_by_label("Title").fill("Company profile")
    page.get_by_label("Instructions").fill("Tell us about your company so we can set you up.")
    page.get_by_label("Field 1 label").fill("Legal company name")
    page.locator("#id_fields-0-required").check()
    page.get_by_label("Field 2 label").fill("Company size")
    page.locator("#id_fields-1-kind").select_option("choice")
    page.locator("#id_fields-1-choices").fill("1–10 employees\n11–50 employees\n51+ employees")
    # "Add more fields" (htmx in place) keeps what was typed.
    page.get_by_role("button", name="Add more fields").click()
    expect(page.get_by_label("Field 6 label")).to_be_visible()
    expect(page.get_by_label("Field 1 label")).to_have_value("Legal company name")
    expect(page.get_by_label("Title")).to_have_value("Company profile")
    page.get_by_label("Field 3 label").fill("Website")
    page.locator("#id_fields-2-kind").select_option("url")
    shot("pipeline-form-designer")
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("“Company profile” added to “Company details”")).to_be_visible()

    # An Upload document action in the second stage.
    contract = _stage(page, "Contract")
    contract.get_by_text("Add action").click()
    contract.get_by_role("link", name="Upload document").click()
    page.get_by_label("Title").fill("Signed partner agreement")
    page.get_by_label("PNG", exact=True).uncheck()
    page.get_by_label("JPEG", exact=True).uncheck()
    page.get_by_label("Max number of files").fill("2")
    shot("pipeline-upload-action")
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("“Signed partner agreement” added")).to_be_visible()

    # Default for a partner type.
    types = page.locator("#partner-types")
    types.get_by_label("Managed Service Provider").check()
    types.get_by_role("button", name="Save types").click()
    expect(page.get_by_text("New partners of these types start “MSP onboarding”")).to_be_visible()

    # Enroll a partner by hand, finding them with the search box.
    enroll = page.locator("#enroll-card")
    enroll.get_by_label("Search partners to enroll").fill("northwind")
    expect(enroll.locator("#id_account option")).to_have_count(2)  # placeholder + match
    enroll.get_by_label("Partner", exact=True).select_option(
        label="Northwind Managed IT · Managed Service Provider"
    )
    enroll.get_by_role("button", name="Enroll partner").click()
    expect(page.get_by_text("Northwind Managed IT is enrolled in “MSP onboarding”")).to_be_visible()
    expect(_stage(page, "Company details").get_by_text("1 partner here now")).to_be_visible()
    shot("pipeline-built")

    with scope(tenant=program.tenant):
        pipeline = Pipeline.objects.get(name="MSP onboarding")
        stages = list(pipeline.stages.order_by("position").values_list("name", flat=True))
        assert stages == ["Company details", "Contract"]
        profile = Action.objects.get(title="Company profile")
        assert [f["label"] for f in profile.form_fields] == [
            "Legal company name",
            "Company size",
            "Website",
        ]
        assert profile.form_fields[1]["choices"] == [
            "1–10 employees",
            "11–50 employees",
            "51+ employees",
        ]
        assert profile.requires_approval
        upload = Action.objects.get(title="Signed partner agreement")
        assert (upload.upload_types, upload.upload_max_files) == (["pdf"], 2)
        assert (
            PipelineAssignment.objects.get(partner_type__name="Managed Service Provider").pipeline
            == pipeline
        )
        enrollment = Enrollment.objects.get(partner_account__name="Northwind Managed IT")
        assert (
            enrollment.pipeline == pipeline and enrollment.current_stage.name == "Company details"
        )

    # The list now shows both pipelines.
    page.get_by_role("link", name="Pipelines").first.click()
    expect(page.get_by_role("link", name="MSP onboarding")).to_be_visible()
    shot("pipelines-list-after")


def test_the_builder_works_without_javascript(program, browser, site, screenshot):
    context = browser.new_context(
        viewport={"width": 1366, "height": 860}, java_script_enabled=False
    )
    page = context.new_page()
    _sign_in(page, site, program.admin.email, "pw-admin-123456")
    page.goto(site("acme.localhost", "/console/pipelines/"))
    page.get_by_role("link", name="Reseller onboarding").click()
    # Move a stage down, add a designer row, and archive an action: plain form posts.
    _stage(page, "Company details").get_by_role(
        "button", name="Move “Company details” down"
    ).click()
    expect(page.get_by_text("Stage “Company details” moved down")).to_be_visible()
    kick_off = _stage(page, "Kick-off call")
    kick_off.get_by_text("Add action").click()
    kick_off.get_by_role("link", name="Provide information").click()
    page.get_by_label("Field 1 label").fill("Preferred call date")
    page.get_by_role("button", name="Add more fields").click()
    expect(page.get_by_label("Field 6 label")).to_be_visible()
    expect(page.get_by_label("Field 1 label")).to_have_value("Preferred call date")
    page.get_by_label("Title").fill("Schedule the kick-off")
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("“Schedule the kick-off” added")).to_be_visible()
    tax = page.locator("li.action-row", has_text="Tax form")
    tax.locator("summary", has_text="Archive").click()
    tax.get_by_role("button", name="Archive action").click()
    expect(page.get_by_text("“Tax form” archived")).to_be_visible()
    expect(page.get_by_text("1 archived action hidden")).to_be_visible()
    page.goto(page.url.split("#")[0])  # from the top: no script may scroll the page
    screenshot("pipeline-no-js", page)
    context.close()
