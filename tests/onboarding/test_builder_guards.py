"""services/pipelines.py, `_check_action`: the builder refuses actions partners could not do.

A View asset action on an archived asset or on one the pipeline's partner types cannot see,
a Read article action on an unpublished article, and unknown upload types are refused with a
message that says why; `requires_approval` defaults to yes where the type allows it.
"""

import pytest
from django.urls import reverse
from django_scopes import scope

from apps.content.models import Audience
from apps.content.services import article_unpublish, asset_archive
from apps.onboarding.forms_pipelines import ActionForm
from apps.onboarding.models import Action, ActionType
from apps.onboarding.services import (
    PipelineError,
    action_create,
    action_update,
    pipeline_assign_types,
)
from apps.partners.models import PartnerType, Tier
from tests.content.factories import article, link_asset
from tests.onboarding.factories import DEFAULT_SPEC, LEGAL_FIELDS, PI, UP, build_pipeline
from tests.onboarding.pipeline_builder import snapshot

pytestmark = pytest.mark.django_db

VIEW = ActionType.VIEW_ASSET
READ = ActionType.READ_ARTICLE


@pytest.fixture
def pipeline(acme):
    """ "Reseller onboarding", the Reseller / VAR default."""
    return build_pipeline(acme, stages_spec=DEFAULT_SPEC)


def _types(program, *names):
    with scope(tenant=program.tenant):
        return [PartnerType.objects.get(tenant=program.tenant, name=n) for n in names]


def _create(program, stage, type_, title="New action", **fields):
    with scope(tenant=program.tenant):
        return action_create(
            tenant=program.tenant,
            actor=program.admin,
            stage=stage,
            type=type_,
            title=title,
            **fields,
        )


def _refused(program, stage, type_, match, **fields):
    before = snapshot(program)
    with pytest.raises(PipelineError, match=match):
        _create(program, stage, type_, **fields)
    assert snapshot(program) == before


# --- View asset --------------------------------------------------------------------------------


def test_an_asset_everyone_sees_is_accepted(acme, pipeline):
    _, stages, _ = pipeline
    asset = link_asset(acme, "Price list")
    action = _create(acme, stages[0], VIEW, asset=asset)
    assert action.asset_id == asset.pk
    assert action.requires_approval is False


def test_an_archived_asset_is_refused(acme, pipeline):
    _, stages, _ = pipeline
    asset = link_asset(acme, "Old price list")
    with scope(tenant=acme.tenant):
        asset_archive(tenant=acme.tenant, actor=acme.admin, asset=asset)
        asset.refresh_from_db()
    _refused(acme, stages[0], VIEW, "“Old price list” is archived", asset=asset)


def test_an_asset_for_other_partner_types_is_refused_naming_the_types(acme, pipeline):
    _, stages, _ = pipeline
    msp = _types(acme, "Managed Service Provider")
    asset = link_asset(acme, "MSP playbook", audience=Audience.SELECTED, partner_types=msp)
    _refused(
        acme,
        stages[0],
        VIEW,
        r"Partners of these types cannot see “MSP playbook”: Reseller / VAR\.",
        asset=asset,
    )


def test_an_asset_for_the_pipelines_types_is_accepted(acme, pipeline):
    _, stages, _ = pipeline
    types = _types(acme, "Reseller / VAR", "Distributor")
    asset = link_asset(acme, "Reseller kit", audience=Audience.SELECTED, partner_types=types)
    assert _create(acme, stages[0], VIEW, asset=asset).asset_id == asset.pk


def test_an_asset_limited_to_some_tiers_is_refused(acme, pipeline):
    _, stages, _ = pipeline
    asset = link_asset(acme, "Gold deck", audience=Audience.SELECTED, tiers=[Tier.GOLD])
    _refused(
        acme,
        stages[0],
        VIEW,
        r"Not every partner of these types can see “Gold deck” .*Gold.*: Reseller / VAR",
        asset=asset,
    )


def test_an_asset_shown_to_named_accounts_only_is_refused(acme, pipeline):
    _, stages, _ = pipeline
    asset = link_asset(acme, "For one partner", audience=Audience.SELECTED, accounts=[acme.partner])
    _refused(acme, stages[0], VIEW, "cannot see “For one partner”", asset=asset)


def test_a_pipeline_with_no_partner_type_only_checks_the_archive(acme):
    from apps.onboarding.services import pipeline_create, stage_create

    with scope(tenant=acme.tenant):
        pipeline = pipeline_create(tenant=acme.tenant, actor=acme.admin, name="By hand")
        stage = stage_create(tenant=acme.tenant, actor=acme.admin, pipeline=pipeline, name="One")
    msp = _types(acme, "Managed Service Provider")
    asset = link_asset(acme, "MSP playbook", audience=Audience.SELECTED, partner_types=msp)
    assert _create(acme, stage, VIEW, asset=asset).asset_id == asset.pk


def test_assigning_a_type_that_cannot_see_an_asset_of_the_pipeline_is_refused(acme, pipeline):
    built, stages, _ = pipeline
    reseller = _types(acme, "Reseller / VAR")
    asset = link_asset(acme, "Reseller kit", audience=Audience.SELECTED, partner_types=reseller)
    _create(acme, stages[0], VIEW, asset=asset)
    before = snapshot(acme)
    with scope(tenant=acme.tenant), pytest.raises(PipelineError, match="Distributor"):
        pipeline_assign_types(
            tenant=acme.tenant,
            actor=acme.admin,
            pipeline=built,
            partner_types=reseller + _types(acme, "Distributor"),
        )
    assert snapshot(acme) == before


def test_editing_an_action_that_keeps_its_archived_asset_is_allowed(acme, pipeline):
    """Archiving warned the admin; renaming the action meanwhile is not blocked."""
    _, stages, _ = pipeline
    asset = link_asset(acme, "Price list")
    action = _create(acme, stages[0], VIEW, asset=asset)
    with scope(tenant=acme.tenant):
        asset_archive(tenant=acme.tenant, actor=acme.admin, asset=asset)
        asset.refresh_from_db()
        action_update(
            tenant=acme.tenant, actor=acme.admin, action=action, title="Renamed", asset=asset
        )
        assert Action.objects.get(pk=action.pk).title == "Renamed"


def test_switching_an_action_to_an_archived_asset_is_refused(acme, pipeline):
    _, stages, _ = pipeline
    action = _create(acme, stages[0], VIEW, asset=link_asset(acme, "Price list"))
    old = link_asset(acme, "Old list")
    with scope(tenant=acme.tenant):
        asset_archive(tenant=acme.tenant, actor=acme.admin, asset=old)
        old.refresh_from_db()
        with pytest.raises(PipelineError, match="archived"):
            action_update(tenant=acme.tenant, actor=acme.admin, action=action, title="X", asset=old)
        assert Action.objects.get(pk=action.pk).asset.title == "Price list"


# --- Read article ------------------------------------------------------------------------------


def test_a_published_article_is_accepted(acme, pipeline):
    _, stages, _ = pipeline
    published = article(acme, "Deal registration")
    assert _create(acme, stages[0], READ, article=published).article_id == published.pk


def test_a_draft_article_is_refused(acme, pipeline):
    _, stages, _ = pipeline
    draft = article(acme, "Work in progress", publish=False)
    _refused(acme, stages[0], READ, "“Work in progress” is not published", article=draft)


def test_an_unpublished_article_is_refused(acme, pipeline):
    _, stages, _ = pipeline
    gone = article(acme, "Old process")
    with scope(tenant=acme.tenant):
        gone = article_unpublish(tenant=acme.tenant, actor=acme.admin, article=gone)
    _refused(acme, stages[0], READ, "not published", article=gone)


# --- Upload types ------------------------------------------------------------------------------


def test_unknown_upload_types_are_refused_with_the_accepted_list(acme, pipeline):
    _, stages, _ = pipeline
    _refused(
        acme,
        stages[0],
        UP,
        r"Unknown file type: bat, exe\. Accepted types: PDF \(pdf\), PNG \(png\)",
        upload_types=["pdf", "exe", "bat"],
    )


def test_known_upload_types_are_kept_once_each(acme, pipeline):
    _, stages, _ = pipeline
    action = _create(acme, stages[0], UP, upload_types=["pdf", "docx", "pdf"])
    assert action.upload_types == ["pdf", "docx"]


def test_the_form_refuses_an_unknown_upload_type_listing_the_accepted_ones(acme):
    with scope(tenant=acme.tenant):
        form = ActionForm(
            {
                "title": "Contract",
                "upload_types": ["exe"],
                "upload_max_mb": 5,
                "upload_max_files": 1,
            },
            tenant=acme.tenant,
            action_type=UP,
        )
        assert not form.is_valid()
    error = form.errors["upload_types"][0]
    assert "exe" in error
    assert "Accepted types: PDF, PNG, JPEG" in error


# --- requires_approval defaults to yes --------------------------------------------------------


def test_the_model_default_is_approval():
    assert Action._meta.get_field("requires_approval").default is True


@pytest.mark.parametrize("type_", [PI, UP])
def test_submissions_need_approval_unless_told_otherwise(acme, pipeline, type_):
    _, stages, _ = pipeline
    fields = {"form_fields": LEGAL_FIELDS} if type_ == PI else {}
    assert _create(acme, stages[0], type_, **fields).requires_approval is True
    explicit = _create(
        acme, stages[0], type_, title="No approval", requires_approval=False, **fields
    )
    assert explicit.requires_approval is False


def test_types_that_complete_by_themselves_never_need_approval(acme, pipeline):
    _, stages, _ = pipeline
    assert _create(acme, stages[0], READ, article=article(acme)).requires_approval is False
    _refused(
        acme,
        stages[0],
        VIEW,
        "Only Provide information and Upload document can need approval",
        asset=link_asset(acme),
        requires_approval=True,
    )


# --- Through the builder's pages ---------------------------------------------------------------


def test_the_action_form_shows_the_refusal(acme, pipeline, admin):
    built, stages, _ = pipeline
    msp = _types(acme, "Managed Service Provider")
    asset = link_asset(acme, "MSP playbook", audience=Audience.SELECTED, partner_types=msp)
    before = snapshot(acme)
    response = admin.post(
        reverse("pipelines:action_create", args=[built.pk, stages[0].pk]),
        {"type": "view_asset", "title": "Read the playbook", "asset": asset.pk},
    )
    assert response.status_code == 422
    assert "cannot see “MSP playbook”: Reseller / VAR" in response.content.decode()
    assert snapshot(acme) == before
