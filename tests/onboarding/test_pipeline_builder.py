"""The pipeline builder at /console/pipelines/: every operation through the views."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from apps.content.services import article_save, asset_create
from apps.onboarding.models import (
    Action,
    ActionProgress,
    ActionStatus,
    ActionType,
    Enrollment,
    Pipeline,
    PipelineAssignment,
    Stage,
)
from apps.onboarding.services import partner_enroll
from apps.onboarding.services.pipelines import (
    action_create,
    pipeline_assign_types,
    pipeline_create,
    stage_create,
)
from apps.partners.models import PartnerType
from tests.onboarding.conftest import DEFAULT_SPEC, build_pipeline

pytestmark = pytest.mark.django_db

PI = ActionType.PROVIDE_INFORMATION
UP = ActionType.UPLOAD_DOCUMENT


def url(name, **kwargs):
    return reverse(f"pipelines:{name}", kwargs=kwargs)


def in_scope(program, fn):
    with scope(tenant=program.tenant):
        return fn()


def snapshot(program):
    """Every builder-owned row of a tenant: any write through the builder changes it."""

    def read():
        return (
            list(Pipeline.objects.order_by("pk").values()),
            list(PipelineAssignment.objects.order_by("pk").values()),
            list(Stage.objects.order_by("pk").values()),
            list(Action.objects.order_by("pk").values()),
            list(Enrollment.objects.order_by("pk").values()),
            list(ActionProgress.objects.order_by("pk").values("pk", "status")),
        )

    return in_scope(program, read)


@pytest.fixture
def built(acme):
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    return pipeline, stages, actions


@pytest.fixture
def admin(acme, client_for):
    return client_for(acme, acme.admin)


@pytest.fixture
def content(acme):
    with scope(tenant=acme.tenant):
        asset = asset_create(
            tenant=acme.tenant,
            actor=acme.admin,
            title="Partner price list",
            url="https://example.com/prices",
        )
        article = article_save(
            tenant=acme.tenant,
            actor=acme.admin,
            title="How deal registration works",
            body_markdown="Register deals early.",
            publish=True,
        )
        draft = article_save(
            tenant=acme.tenant,
            actor=acme.admin,
            title="Unpublished draft",
            body_markdown="Not yet.",
        )
    return {"asset": asset, "article": article, "draft": draft}


def live_actions(program, stage):
    return in_scope(
        program,
        lambda: list(
            Action.objects.filter(stage=stage, archived_at__isnull=True)
            .order_by("position", "id")
            .values_list("title", flat=True)
        ),
    )


def stage_names(program, pipeline):
    return in_scope(
        program,
        lambda: list(
            Stage.objects.filter(pipeline=pipeline, archived_at__isnull=True)
            .order_by("position", "id")
            .values_list("name", flat=True)
        ),
    )


# --- Pipelines -----------------------------------------------------------------------------


def test_list_shows_each_pipeline_with_its_types_and_counts(acme, admin, built):
    pipeline, _, _ = built
    with scope(tenant=acme.tenant):
        partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.partner)
    response = admin.get(url("list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reseller onboarding" in html and "Reseller / VAR" in html
    assert url("detail", pipeline_id=pipeline.pk) in html
    assert "1 in progress" in html
    assert 'aria-current="page"' in html and ">Pipelines<" in html  # the nav link
    # Types without a pipeline are pointed out.
    assert "Managed Service Provider" in html


def test_create_pipeline_then_land_on_its_page(acme, admin):
    response = admin.post(url("create"), {"name": "  MSP onboarding ", "description": "For MSPs"})
    pipeline = in_scope(acme, lambda: Pipeline.objects.get(name="MSP onboarding"))
    assert response.status_code == 302
    assert response["Location"] == url("detail", pipeline_id=pipeline.pk)
    page = admin.get(response["Location"]).content.decode()
    assert "is created" in page and "For MSPs" in page


def test_create_pipeline_with_an_empty_name_is_refused(acme, admin):
    before = snapshot(acme)
    response = admin.post(url("create"), {"name": "   ", "description": "x"})
    assert response.status_code == 422
    assert "Give the pipeline a name." in response.content.decode()
    assert snapshot(acme) == before


def test_create_pipeline_with_a_taken_name_shows_the_service_message(acme, admin, built):
    before = snapshot(acme)
    response = admin.post(url("create"), {"name": "Reseller onboarding"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()
    assert snapshot(acme) == before


def test_edit_pipeline_details(acme, admin, built):
    pipeline, _, _ = built
    response = admin.post(
        url("edit", pipeline_id=pipeline.pk), {"name": "Resellers", "description": "Updated"}
    )
    assert response.status_code == 302
    pipeline = in_scope(acme, lambda: Pipeline.objects.get(pk=pipeline.pk))
    assert (pipeline.name, pipeline.description) == ("Resellers", "Updated")
    bad = admin.post(url("edit", pipeline_id=pipeline.pk), {"name": ""})
    assert bad.status_code == 422
    assert in_scope(acme, lambda: Pipeline.objects.get(pk=pipeline.pk).name) == "Resellers"


def test_assign_types_takes_them_from_other_pipelines_and_says_so(acme, admin, built):
    pipeline, _, _ = built
    with scope(tenant=acme.tenant):
        other = pipeline_create(tenant=acme.tenant, actor=acme.admin, name="MSP onboarding")
        reseller = PartnerType.objects.get(name="Reseller / VAR")
        msp = PartnerType.objects.get(name="Managed Service Provider")
    page = admin.get(url("detail", pipeline_id=other.pk)).content.decode()
    assert "Now in “Reseller onboarding”" in page  # the reseller type belongs elsewhere
    response = admin.post(
        url("types", pipeline_id=other.pk), {"partner_types": [reseller.pk, msp.pk]}
    )
    assert response.status_code == 302
    owners = in_scope(
        acme,
        lambda: dict(PipelineAssignment.objects.values_list("partner_type_id", "pipeline_id")),
    )
    assert owners == {reseller.pk: other.pk, msp.pk: other.pk}
    # Unticking everything leaves the pipeline default for nothing.
    admin.post(url("types", pipeline_id=other.pk), {})
    assert in_scope(acme, lambda: PipelineAssignment.objects.count()) == 0


def test_assigning_another_tenants_partner_type_is_refused(acme, globex, admin, built):
    pipeline, _, _ = built
    foreign = in_scope(globex, lambda: PartnerType.objects.first())
    before = snapshot(acme)
    response = admin.post(url("types", pipeline_id=pipeline.pk), {"partner_types": [foreign.pk]})
    assert response.status_code == 422
    assert snapshot(acme) == before


# --- Stages --------------------------------------------------------------------------------


def test_add_a_stage_at_the_end(acme, admin, built):
    pipeline, _, _ = built
    response = admin.post(
        url("stage_create", pipeline_id=pipeline.pk),
        {"name": "Certification", "description": "Pass the exam"},
    )
    assert response.status_code == 302
    assert stage_names(acme, pipeline)[-1] == "Certification"


def test_add_a_stage_without_a_name_is_refused(acme, admin, built):
    pipeline, _, _ = built
    before = snapshot(acme)
    response = admin.post(url("stage_create", pipeline_id=pipeline.pk), {"name": ""})
    assert response.status_code == 422
    assert "Give the stage a name." in response.content.decode()
    assert snapshot(acme) == before


def test_rename_and_describe_a_stage(acme, admin, built):
    pipeline, stages, _ = built
    response = admin.post(
        url("stage_edit", pipeline_id=pipeline.pk, stage_id=stages[1].pk),
        {"name": "Contract & NDA", "description": "Sign both"},
    )
    assert response.status_code == 302
    stage = in_scope(acme, lambda: Stage.objects.get(pk=stages[1].pk))
    assert (stage.name, stage.description) == ("Contract & NDA", "Sign both")
    # An invalid edit re-renders with that stage's form open and changes nothing.
    bad = admin.post(
        url("stage_edit", pipeline_id=pipeline.pk, stage_id=stages[1].pk), {"name": ""}
    )
    assert bad.status_code == 422
    assert '<details class="popover" open>' in bad.content.decode()
    assert in_scope(acme, lambda: Stage.objects.get(pk=stages[1].pk).name) == "Contract & NDA"


def test_archive_a_stage_hides_it_with_a_note(acme, admin, built):
    pipeline, stages, _ = built
    response = admin.post(url("stage_archive", pipeline_id=pipeline.pk, stage_id=stages[2].pk))
    assert response.status_code == 302
    assert "Kick-off call" not in stage_names(acme, pipeline)
    assert in_scope(acme, lambda: Stage.objects.get(pk=stages[2].pk).archived_at) is not None
    page = admin.get(url("detail", pipeline_id=pipeline.pk)).content.decode()
    assert "1 archived stage hidden" in page
    # An archived stage is gone from the builder: acting on it is a 404.
    gone = admin.post(
        url("stage_move", pipeline_id=pipeline.pk, stage_id=stages[2].pk), {"direction": "up"}
    )
    assert gone.status_code == 404


def test_move_a_stage_up_and_down(acme, admin, built):
    pipeline, stages, _ = built
    move = url("stage_move", pipeline_id=pipeline.pk, stage_id=stages[2].pk)
    assert admin.post(move, {"direction": "up"}).status_code == 302
    assert stage_names(acme, pipeline) == [
        "Company details",
        "Kick-off call",
        "Contract",
        "Enablement",
    ]
    admin.post(move, {"direction": "down"})
    admin.post(move, {"direction": "down"})
    assert stage_names(acme, pipeline)[-1] == "Kick-off call"
    assert admin.post(move, {"direction": "sideways"}).status_code == 400


# --- Actions -------------------------------------------------------------------------------


def test_the_add_action_page_offers_the_four_types(acme, admin, built):
    pipeline, stages, _ = built
    new = url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk)
    html = admin.get(new).content.decode()
    for label in ("View asset", "Read article", "Provide information", "Upload document"):
        assert label in html
    form = admin.get(new + "?type=provide_information").content.decode()
    assert "checked" in re.search(r"<input[^>]*requires_approval[^>]*>", form).group()
    assert 'name="fields-TOTAL_FORMS" value="3"' in form
    asset_form = admin.get(new + "?type=view_asset").content.decode()
    assert 'name="requires_approval"' not in asset_form  # never needs approval


def test_add_a_view_asset_action(acme, admin, built, content):
    pipeline, stages, _ = built
    response = admin.post(
        url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk),
        {"type": "view_asset", "title": "Open the price list", "asset": content["asset"].pk},
    )
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(title="Open the price list"))
    assert (action.type, action.asset_id, action.requires_approval) == (
        "view_asset",
        content["asset"].pk,
        False,
    )
    page = admin.get(url("detail", pipeline_id=pipeline.pk)).content.decode()
    assert "Partner price list" in page


def test_add_a_read_article_action_offers_only_published_articles(acme, admin, built, content):
    pipeline, stages, _ = built
    new = url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk)
    form = admin.get(new + "?type=read_article").content.decode()
    assert "How deal registration works" in form and "Unpublished draft" not in form
    refused = admin.post(
        new, {"type": "read_article", "title": "Read", "article": content["draft"].pk}
    )
    assert refused.status_code == 422
    response = admin.post(
        new, {"type": "read_article", "title": "Read about deals", "article": content["article"].pk}
    )
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(title="Read about deals"))
    assert action.article_id == content["article"].pk


def _designer(rows, extra_empty=1):
    data = {"fields-TOTAL_FORMS": str(len(rows) + extra_empty), "fields-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"fields-{i}-{key}"] = value
    return data


def test_add_a_provide_information_action_with_the_form_designer(acme, admin, built):
    pipeline, stages, _ = built
    data = {
        "type": "provide_information",
        "title": "Company profile",
        "instructions": "Tell us about you",
        "requires_approval": "on",
        **_designer(
            [
                {"label": "Legal name", "kind": "text", "required": "on", "help": "As registered"},
                {"label": "Company size", "kind": "choice", "choices": "1-10\n11-50\n\n51+\n"},
                {"label": "Website", "kind": "url"},
            ]
        ),
    }
    response = admin.post(
        url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk), data
    )
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(title="Company profile"))
    assert action.requires_approval is True
    assert action.form_fields == [
        {
            "key": "legal_name",
            "label": "Legal name",
            "kind": "text",
            "required": True,
            "choices": [],
            "help": "As registered",
        },
        {
            "key": "company_size",
            "label": "Company size",
            "kind": "choice",
            "required": False,
            "choices": ["1-10", "11-50", "51+"],
            "help": "",
        },
        {
            "key": "website",
            "label": "Website",
            "kind": "url",
            "required": False,
            "choices": [],
            "help": "",
        },
    ]


def test_add_an_upload_document_action(acme, admin, built):
    pipeline, stages, _ = built
    response = admin.post(
        url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk),
        {
            "type": "upload_document",
            "title": "Insurance certificate",
            "upload_types": ["pdf", "docx"],
            "upload_max_mb": "10",
            "upload_max_files": "2",
        },
    )
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(title="Insurance certificate"))
    assert (action.upload_types, action.upload_max_mb, action.upload_max_files) == (
        ["pdf", "docx"],
        10,
        2,
    )
    assert action.requires_approval is False  # unticked
    page = admin.get(url("detail", pipeline_id=pipeline.pk)).content.decode()
    assert "PDF, Word · up to 10 MB · 2 files" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "read_article", "title": "Read"}, "Choose the article to read."),
        (
            {
                "type": "provide_information",
                "title": "Profile",
                **_designer([{"label": "Size", "kind": "choice", "choices": "Small"}]),
            },
            "Give at least two choices, one per line.",
        ),
        (
            {"type": "provide_information", "title": "Profile", **_designer([])},
            "Add at least one field to the form.",
        ),
        (
            {
                "type": "upload_document",
                "title": "Files",
                "upload_max_mb": "25",
                "upload_max_files": "5",
            },
            "Allow at least one file type.",
        ),
        (
            {
                "type": "upload_document",
                "title": "Files",
                "upload_types": ["exe"],
                "upload_max_mb": "25",
                "upload_max_files": "5",
            },
            "is not one of the available",
        ),
        ({"type": "view_asset", "title": ""}, "Give the action a title."),
    ],
)
def test_invalid_actions_are_refused_and_change_nothing(acme, admin, built, data, message):
    pipeline, stages, _ = built
    before = snapshot(acme)
    response = admin.post(
        url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk), data
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot(acme) == before


def test_approval_on_a_view_asset_action_is_refused_by_the_service(acme, admin, built, content):
    pipeline, stages, _ = built
    before = snapshot(acme)
    response = admin.post(
        url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk),
        {
            "type": "view_asset",
            "title": "Open",
            "asset": content["asset"].pk,
            "requires_approval": "on",
        },
    )
    assert response.status_code == 422
    assert "Only Provide information and Upload document can need approval." in (
        response.content.decode()
    )
    assert snapshot(acme) == before


def test_another_tenants_asset_cannot_be_chosen(acme, globex, admin, built):
    pipeline, stages, _ = built
    with scope(tenant=globex.tenant):
        foreign = asset_create(
            tenant=globex.tenant,
            actor=globex.admin,
            title="Globex secret",
            url="https://globex.example/secret",
        )
    before = snapshot(acme)
    new = url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk)
    assert "Globex secret" not in admin.get(new + "?type=view_asset").content.decode()
    response = admin.post(new, {"type": "view_asset", "title": "Open", "asset": foreign.pk})
    assert response.status_code == 422
    assert snapshot(acme) == before


def test_add_more_fields_keeps_what_was_typed_and_saves_nothing(acme, admin, built):
    pipeline, stages, _ = built
    before = snapshot(acme)
    new = url("action_create", pipeline_id=pipeline.pk, stage_id=stages[2].pk)
    data = {
        "type": "provide_information",
        "title": "",
        "more": "1",
        **_designer([{"label": "Legal name", "kind": "text"}], extra_empty=2),
    }
    response = admin.post(new, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="fields-TOTAL_FORMS" value="6"' in html  # 3 rows + 3 more
    assert 'value="Legal name"' in html
    assert "field__error" not in html  # nothing validated yet
    approval = re.search(r"<input[^>]*requires_approval[^>]*>", html).group()
    assert "checked" not in approval  # the unticked approval stays unticked
    assert snapshot(acme) == before
    # With htmx, only the designer comes back.
    partial = admin.post(new, data, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'name="fields-TOTAL_FORMS" value="6"' in partial


def test_edit_a_form_keeps_field_keys_so_answers_stay_linked(acme, admin, built):
    pipeline, _, actions = built
    action = actions["Legal details"]
    page = admin.get(url("action_edit", pipeline_id=pipeline.pk, action_id=action.pk))
    assert page.status_code == 200
    assert 'value="legal_name"' in page.content.decode()  # the hidden key
    data = {
        "type": "provide_information",
        "title": "Legal details (updated)",
        "requires_approval": "on",
        **_designer(
            [
                {"key": "legal_name", "label": "Registered company name", "kind": "text"},
                {"key": "vat_number", "label": "", "kind": "text"},  # cleared: removed
                {"label": "Country", "kind": "text"},
            ]
        ),
    }
    response = admin.post(url("action_edit", pipeline_id=pipeline.pk, action_id=action.pk), data)
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(pk=action.pk))
    assert action.title == "Legal details (updated)"
    assert [(f["key"], f["label"]) for f in action.form_fields] == [
        ("legal_name", "Registered company name"),
        ("country", "Country"),
    ]


def test_edit_an_upload_action(acme, admin, built):
    pipeline, _, actions = built
    action = actions["Signed NDA"]
    response = admin.post(
        url("action_edit", pipeline_id=pipeline.pk, action_id=action.pk),
        {
            "title": "Signed NDA",
            "upload_types": ["pdf"],
            "upload_max_mb": "5",
            "upload_max_files": "1",
            "requires_approval": "on",
        },
    )
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(pk=action.pk))
    assert (action.upload_types, action.upload_max_mb, action.upload_max_files) == (["pdf"], 5, 1)
    assert action.requires_approval is True


def test_archive_an_action_keeps_it_with_a_note(acme, admin, built):
    pipeline, stages, actions = built
    response = admin.post(
        url("action_archive", pipeline_id=pipeline.pk, action_id=actions["Tax form"].pk)
    )
    assert response.status_code == 302
    assert live_actions(acme, stages[0]) == ["Legal details"]
    assert in_scope(acme, lambda: Action.objects.filter(pk=actions["Tax form"].pk).exists())
    page = admin.get(url("detail", pipeline_id=pipeline.pk)).content.decode()
    assert "1 archived action hidden" in page
    again = admin.get(url("action_edit", pipeline_id=pipeline.pk, action_id=actions["Tax form"].pk))
    assert again.status_code == 404


def test_move_an_action(acme, admin, built):
    pipeline, stages, actions = built
    move = url("action_move", pipeline_id=pipeline.pk, action_id=actions["Tax form"].pk)
    assert admin.post(move, {"direction": "up"}).status_code == 302
    assert live_actions(acme, stages[0]) == ["Tax form", "Legal details"]
    admin.post(move, {"direction": "down"})
    assert live_actions(acme, stages[0]) == ["Legal details", "Tax form"]
    # htmx: the redirect is followed and the stage list is swapped in place.
    response = admin.post(move, {"direction": "up"}, HTTP_HX_REQUEST="true", follow=True)
    assert response.status_code == 200 and 'id="stages"' in response.content.decode()


# --- Enroll by hand ------------------------------------------------------------------------


def test_enroll_a_partner_by_hand(acme, admin, built):
    pipeline, stages, _ = built
    page = admin.get(url("detail", pipeline_id=pipeline.pk)).content.decode()
    assert "Acme Partner One" in page and "Acme Partner Two" in page
    response = admin.post(url("enroll", pipeline_id=pipeline.pk), {"account": acme.partner.pk})
    assert response.status_code == 302
    enrollment = in_scope(acme, lambda: Enrollment.objects.get(partner_account=acme.partner))
    assert (enrollment.pipeline_id, enrollment.current_stage_id) == (pipeline.pk, stages[0].pk)
    assert "is enrolled in" in admin.get(response["Location"]).content.decode()
    # Enrolled partners leave the list; the search narrows it.
    page = admin.get(url("detail", pipeline_id=pipeline.pk) + "?q=two").content.decode()
    assert "Acme Partner One" not in page and "Acme Partner Two" in page
    partial = admin.get(
        url("detail", pipeline_id=pipeline.pk) + "?q=nobody",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="enroll-choices",
    ).content.decode()
    assert "<html" not in partial and "matches “nobody”" in partial


def test_enrolling_twice_or_another_tenants_partner_is_refused(acme, globex, admin, built):
    pipeline, _, _ = built
    with scope(tenant=acme.tenant):
        partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.partner)
    before = snapshot(acme)
    for account in (acme.partner, globex.partner, None):
        data = {"account": account.pk} if account else {}
        response = admin.post(url("enroll", pipeline_id=pipeline.pk), data)
        assert response.status_code == 422
    assert snapshot(acme) == before


# --- Live edits ----------------------------------------------------------------------------


def test_an_action_added_while_a_partner_is_enrolled_is_pending_for_them(
    acme, admin, client_for, journey
):
    stage = journey.stages[0]  # the partner's current stage
    response = admin.post(
        url("action_create", pipeline_id=journey.pipeline.pk, stage_id=stage.pk),
        {
            "type": "upload_document",
            "title": "Bank details",
            "upload_types": ["pdf"],
            "upload_max_mb": "25",
            "upload_max_files": "5",
            "requires_approval": "on",
        },
    )
    assert response.status_code == 302
    action = in_scope(acme, lambda: Action.objects.get(title="Bank details"))
    progress = in_scope(
        acme, lambda: ActionProgress.objects.get(enrollment=journey.enrollment, action=action)
    )
    assert progress.status == ActionStatus.PENDING
    # The partner sees it on their to-do list.
    portal = client_for(acme, acme.partner_user).get("/portal/onboarding/").content.decode()
    assert "Bank details" in portal
    # The builder says where the partner is.
    page = admin.get(url("detail", pipeline_id=journey.pipeline.pk)).content.decode()
    assert "1 partner here now" in page


# --- Who may do what -----------------------------------------------------------------------


def _builder_urls(pipeline, stage, action):
    p, s, a = pipeline.pk, stage.pk, action.pk
    return [
        url("list"),
        url("create"),
        url("detail", pipeline_id=p),
        url("edit", pipeline_id=p),
        url("types", pipeline_id=p),
        url("enroll", pipeline_id=p),
        url("stage_create", pipeline_id=p),
        url("stage_edit", pipeline_id=p, stage_id=s),
        url("stage_archive", pipeline_id=p, stage_id=s),
        url("stage_move", pipeline_id=p, stage_id=s),
        url("action_create", pipeline_id=p, stage_id=s),
        url("action_edit", pipeline_id=p, action_id=a),
        url("action_archive", pipeline_id=p, action_id=a),
        url("action_move", pipeline_id=p, action_id=a),
    ]


def _posts(pipeline, stage, action, partner):
    """A valid body for each mutation, so a refusal is the access rule, not the form."""
    return {
        url("create"): {"name": "Sneaky"},
        url("edit", pipeline_id=pipeline.pk): {"name": "Sneaky"},
        url("types", pipeline_id=pipeline.pk): {},
        url("enroll", pipeline_id=pipeline.pk): {"account": partner.pk},
        url("stage_create", pipeline_id=pipeline.pk): {"name": "Sneaky"},
        url("stage_edit", pipeline_id=pipeline.pk, stage_id=stage.pk): {"name": "Sneaky"},
        url("stage_move", pipeline_id=pipeline.pk, stage_id=stage.pk): {"direction": "down"},
        url("action_create", pipeline_id=pipeline.pk, stage_id=stage.pk): {
            "type": "upload_document",
            "title": "Sneaky",
            "upload_types": ["pdf"],
            "upload_max_mb": "5",
            "upload_max_files": "1",
        },
        url("action_move", pipeline_id=pipeline.pk, action_id=action.pk): {"direction": "down"},
    }


@pytest.mark.parametrize(
    ("role", "expected"), [("cam", 403), ("partner_admin", 404), ("partner_user", 404)]
)
def test_only_program_admins_reach_the_builder(acme, client_for, built, role, expected):
    pipeline, stages, actions = built
    action = actions["Legal details"]
    client = client_for(acme, getattr(acme, role))
    bodies = _posts(pipeline, stages[0], action, acme.other_partner)
    before = snapshot(acme)
    for path in _builder_urls(pipeline, stages[0], action):
        assert client.get(path).status_code == expected, path
        assert client.post(path, bodies.get(path, {})).status_code == expected, path
    assert snapshot(acme) == before


def test_another_tenants_ids_are_404_and_change_nothing(acme, globex, client_for, built):
    pipeline, stages, actions = built
    action = actions["Legal details"]
    # Globex's program admin, on Globex's own host, aiming at Acme's ids.
    client = client_for(globex, globex.admin)
    bodies = _posts(pipeline, stages[0], action, globex.partner)
    before = snapshot(acme)
    for path in _builder_urls(pipeline, stages[0], action)[2:]:
        get = client.get(path).status_code
        assert get in (404, 405), path  # POST-only views answer 405 to GET before looking up
        assert client.post(path, bodies.get(path, {})).status_code == 404, path
    assert snapshot(acme) == before


def test_a_stage_or_action_of_another_pipeline_is_404(acme, admin, built):
    pipeline, stages, actions = built
    with scope(tenant=acme.tenant):
        other = pipeline_create(tenant=acme.tenant, actor=acme.admin, name="Other")
        other_stage = stage_create(tenant=acme.tenant, actor=acme.admin, pipeline=other, name="S")
        other_action = action_create(
            tenant=acme.tenant, actor=acme.admin, stage=other_stage, type=UP, title="Doc"
        )
    before = snapshot(acme)
    mixed = [
        (url("stage_edit", pipeline_id=pipeline.pk, stage_id=other_stage.pk), {"name": "X"}),
        (url("stage_archive", pipeline_id=pipeline.pk, stage_id=other_stage.pk), {}),
        (url("stage_move", pipeline_id=pipeline.pk, stage_id=other_stage.pk), {"direction": "up"}),
        (
            url("action_create", pipeline_id=pipeline.pk, stage_id=other_stage.pk),
            {
                "type": "upload_document",
                "title": "X",
                "upload_types": ["pdf"],
                "upload_max_mb": "5",
                "upload_max_files": "1",
            },
        ),
        (url("action_edit", pipeline_id=pipeline.pk, action_id=other_action.pk), {"title": "X"}),
        (url("action_archive", pipeline_id=pipeline.pk, action_id=other_action.pk), {}),
        (
            url("action_move", pipeline_id=pipeline.pk, action_id=other_action.pk),
            {"direction": "up"},
        ),
        (url("stage_edit", pipeline_id=other.pk, stage_id=stages[0].pk), {"name": "X"}),
    ]
    for path, body in mixed:
        assert admin.post(path, body).status_code == 404, path
    assert snapshot(acme) == before


# --- Query counts --------------------------------------------------------------------------


def _grow(program, *, prefix: str, pipelines: int, stages: int, actions: int):
    """`pipelines` pipelines, each with `stages` stages of `actions` actions of every type,
    a partner type each (while they last) and an enrolled partner."""
    tenant, actor = program.tenant, program.admin
    kinds = [
        (PI, {"form_fields": [{"label": "Legal name", "kind": "text"}], "requires_approval": True}),
        (UP, {"upload_types": ["pdf"]}),
    ]
    with scope(tenant=tenant):
        asset = asset_create(tenant=tenant, actor=actor, title="Deck", url="https://x.test/d")
        article = article_save(
            tenant=tenant, actor=actor, title=f"Guide {prefix}", body_markdown="Hi", publish=True
        )
        kinds += [
            (ActionType.VIEW_ASSET, {"asset": asset}),
            (ActionType.READ_ARTICLE, {"article": article}),
        ]
        free_types = list(
            PartnerType.objects.exclude(pk__in=PipelineAssignment.objects.values("partner_type_id"))
        )
        created = []
        for p in range(pipelines):
            pipeline = pipeline_create(tenant=tenant, actor=actor, name=f"{prefix} {p:02}")
            if free_types:
                pipeline_assign_types(
                    tenant=tenant,
                    actor=actor,
                    pipeline=pipeline,
                    partner_types=[free_types.pop()],
                )
            for s in range(stages):
                stage = stage_create(tenant=tenant, actor=actor, pipeline=pipeline, name=f"S{s}")
                for a in range(actions):
                    type_, extra = kinds[a % len(kinds)]
                    action_create(
                        tenant=tenant, actor=actor, stage=stage, type=type_, title=f"A{a}", **extra
                    )
            created.append(pipeline)
    return created


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_takes_constant_queries(acme, admin, django_assert_max_num_queries):
    pipelines = _grow(acme, prefix="First", pipelines=3, stages=2, actions=2)
    with scope(tenant=acme.tenant):
        partner_enroll(
            tenant=acme.tenant, actor=acme.admin, account=acme.partner, pipeline=pipelines[0]
        )
    few = _count_queries(admin, url("list"))
    _grow(acme, prefix="More", pipelines=27, stages=2, actions=2)
    with django_assert_max_num_queries(few):
        response = admin.get(url("list"))
    assert response.content.decode().count("/console/pipelines/") >= 30


def test_the_pipeline_page_takes_constant_queries(acme, admin, django_assert_max_num_queries):
    (small,) = _grow(acme, prefix="Small", pipelines=1, stages=3, actions=1)
    (large,) = _grow(acme, prefix="Large", pipelines=1, stages=30, actions=4)
    with scope(tenant=acme.tenant):
        partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.partner, pipeline=small)
        partner_enroll(
            tenant=acme.tenant, actor=acme.admin, account=acme.other_partner, pipeline=large
        )
    few = _count_queries(admin, url("detail", pipeline_id=small.pk))
    with django_assert_max_num_queries(few):
        response = admin.get(url("detail", pipeline_id=large.pk))
    assert response.status_code == 200
    assert response.content.decode().count('class="action-row"') == 120
