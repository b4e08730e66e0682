"""apps/content/uses.py: the registry through which onboarding tells content where an asset or
an article is used, and the warning the console shows when that content leaves the portal."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from apps.content.uses import USE_FINDERS, ContentUse, content_use_register, content_uses
from apps.onboarding.content_uses import pipeline_uses_of_content
from apps.onboarding.models import Pipeline
from apps.onboarding.services import action_archive, action_create, stage_create
from tests.content.factories import article, link_asset
from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

pytestmark = pytest.mark.django_db


def _view_action(program, stage, asset, title="Open the price list"):
    with scope(tenant=program.tenant):
        return action_create(
            tenant=program.tenant,
            actor=program.admin,
            stage=stage,
            type="view_asset",
            title=title,
            asset=asset,
        )


def _read_action(program, stage, art, title="Read the guide"):
    with scope(tenant=program.tenant):
        return action_create(
            tenant=program.tenant,
            actor=program.admin,
            stage=stage,
            type="read_article",
            title=title,
            article=art,
        )


def test_onboarding_registers_its_finder_once():
    assert USE_FINDERS.count(pipeline_uses_of_content) == 1
    content_use_register(pipeline_uses_of_content)
    assert USE_FINDERS.count(pipeline_uses_of_content) == 1


def test_the_pipelines_using_an_asset_with_their_actions(acme):
    built, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    asset, unused = link_asset(acme, "Price list"), link_asset(acme, "Unused")
    _view_action(acme, stages[0], asset, "Open the price list")
    _view_action(acme, stages[1], asset, "Check the prices again")
    gone = _view_action(acme, stages[1], asset, "Removed action")
    with scope(tenant=acme.tenant):
        action_archive(tenant=acme.tenant, actor=acme.admin, action=gone)
        uses = content_uses(tenant=acme.tenant, asset=asset)
        assert content_uses(tenant=acme.tenant, asset=unused) == []
    assert uses == [
        ContentUse(
            name="Reseller onboarding",
            items=["Open the price list", "Check the prices again"],
            url=reverse("pipelines:detail", args=[built.pk]),
        )
    ]
    assert str(uses[0]) == "Reseller onboarding (Open the price list, Check the prices again)"


def test_an_archived_pipeline_is_listed_without_a_link(acme):
    built, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    guide = article(acme, "Guide")
    _read_action(acme, stages[0], guide)
    with scope(tenant=acme.tenant):
        Pipeline.objects.filter(pk=built.pk).update(archived_at=timezone.now())
        (use,) = content_uses(tenant=acme.tenant, article=guide)
    assert (use.name, use.url) == ("Reseller onboarding (archived)", "")


def test_another_programs_pipelines_are_never_listed(acme, globex):
    _, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    asset = link_asset(acme, "Price list")
    _view_action(acme, stages[0], asset)
    with scope(tenant=globex.tenant):
        assert content_uses(tenant=globex.tenant, asset=asset) == []


def test_a_use_query_is_one_query(acme, django_assert_num_queries):
    _, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    asset = link_asset(acme, "Price list")
    for stage in stages:
        _view_action(acme, stage, asset, f"Open in {stage.name}")
    with scope(tenant=acme.tenant), django_assert_num_queries(1):
        content_uses(tenant=acme.tenant, asset=asset)


# --- The console warns --------------------------------------------------------------------------


def test_archiving_a_used_asset_warns_and_lists_the_pipelines(acme, client_for):
    _, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    asset = link_asset(acme, "Price list")
    _view_action(acme, stages[0], asset)
    response = client_for(acme, acme.cam).post(
        reverse("content_console:asset_archive", args=[asset.pk]), follow=True
    )
    page = response.content.decode()
    assert "was archived" in page
    assert "Partners can no longer open “Price list”" in page
    assert "Reseller onboarding (Open the price list)" in page


def test_archiving_an_unused_asset_does_not_warn(acme, client_for):
    asset = link_asset(acme, "Price list")
    response = client_for(acme, acme.cam).post(
        reverse("content_console:asset_archive", args=[asset.pk]), follow=True
    )
    assert "Partners can no longer open" not in response.content.decode()


def test_restoring_an_asset_does_not_warn(acme, client_for):
    _, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    asset = link_asset(acme, "Price list")
    _view_action(acme, stages[0], asset)
    client = client_for(acme, acme.cam)
    archived = client.post(reverse("content_console:asset_archive", args=[asset.pk]), follow=True)
    assert "Partners can no longer open" in archived.content.decode()
    response = client.post(reverse("content_console:asset_restore", args=[asset.pk]), follow=True)
    assert "Partners can no longer open" not in response.content.decode()


def test_unpublishing_a_used_article_warns_and_lists_the_pipelines(acme, client_for):
    _, stages, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    guide = article(acme, "Deal registration")
    _read_action(acme, stages[0], guide, "Learn deal registration")
    response = client_for(acme, acme.admin).post(
        reverse("content_console:article_unpublish", args=[guide.pk]), follow=True
    )
    page = response.content.decode()
    assert "Article unpublished" in page
    assert "Partners can no longer open “Deal registration”" in page
    assert "Reseller onboarding (Learn deal registration)" in page


def test_a_stage_created_later_sees_the_same_rule(acme):
    """Only live actions of live stages count: an archived stage's actions are not listed."""
    built, _, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    asset = link_asset(acme, "Price list")
    with scope(tenant=acme.tenant):
        stage = stage_create(tenant=acme.tenant, actor=acme.admin, pipeline=built, name="Extra")
    _view_action(acme, stage, asset)
    with scope(tenant=acme.tenant):
        from apps.onboarding.services import stage_archive

        stage_archive(tenant=acme.tenant, actor=acme.admin, stage=stage)
        assert content_uses(tenant=acme.tenant, asset=asset) == []
