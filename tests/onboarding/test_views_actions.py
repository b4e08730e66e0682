"""apps/onboarding/views_actions.py: a stage's actions through the builder's views."""

import re

import pytest
from django_scopes import scope

from apps.content.services import asset_create
from apps.onboarding.models import (
    Action,
    ActionProgress,
    ActionStatus,
)
from tests.onboarding.pipeline_builder import in_scope, live_actions, snapshot, url

pytestmark = pytest.mark.django_db


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
            "Unknown file type: exe. Accepted types: PDF, PNG, JPEG",
        ),
        ({"type": "view_asset", "title": ""}, "Give the action a title."),
        (
            {
                "type": "upload_document",
                "title": "Files",
                "upload_types": ["pdf"],
                "upload_max_mb": "100",
                "upload_max_files": "20",
            },
            "Together, 20 files of 100 MB could reach 2000 MB, more than the 150 MB one upload",
        ),
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
