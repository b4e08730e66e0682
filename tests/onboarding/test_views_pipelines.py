"""apps/onboarding/views_pipelines.py: the pipeline list and page, and the builder as a whole
(who may use it, query counts). Stages and actions: test_views_stages.py, test_views_actions.py.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.content.services import article_save, asset_create
from apps.onboarding.models import (
    ActionType,
    Enrollment,
    Pipeline,
    PipelineAssignment,
)
from apps.onboarding.services import partner_enroll
from apps.onboarding.services.pipelines import (
    action_create,
    pipeline_assign_types,
    pipeline_create,
    stage_create,
)
from apps.partners.models import PartnerType
from tests.onboarding.pipeline_builder import PI, UP, in_scope, snapshot, url

pytestmark = pytest.mark.django_db


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
