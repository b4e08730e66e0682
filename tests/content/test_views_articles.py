"""apps/content/views_articles.py: the Help center in the console and the portal, through HTTP."""

import pytest
from django_scopes import scopes_disabled

from apps.content.models import Article
from tests.content.factories import article, file_asset

pytestmark = pytest.mark.django_db


# Console: help center -------------------------------------------------------------------------


def test_cam_writes_previews_and_publishes_an_article(acme, client_for):
    client = client_for(acme, acme.cam)
    body = "# Deal registration\n\nRegister **early**.<script>alert(1)</script>"
    data = {"title": "How deal registration works", "category": "deals", "body": body}
    preview = client.post("/console/help/new/", {**data, "intent": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "<strong>early</strong>" in html and "<script>alert(1)" not in html
    with scopes_disabled():
        assert not Article.objects.exists()  # preview saves nothing
    fragment = client.post("/console/help/preview/", {"body": body}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<strong>early</strong>" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    response = client.post("/console/help/new/", {**data, "intent": "save"})
    assert response.status_code == 302
    with scopes_disabled():
        saved = Article.objects.get()
    assert saved.slug == "how-deal-registration-works" and saved.status == "draft"
    portal = client_for(acme, acme.partner_user)
    assert portal.get(f"/portal/help/{saved.slug}/").status_code == 404
    assert client.post(f"/console/help/{saved.pk}/publish/").status_code == 302
    assert portal.get(f"/portal/help/{saved.slug}/").status_code == 200
    listing = client.get("/console/help/").content.decode()
    assert "How deal registration works" in listing and "Published" in listing
    assert client.post(f"/console/help/{saved.pk}/unpublish/").status_code == 302
    assert portal.get(f"/portal/help/{saved.slug}/").status_code == 404


def test_article_save_and_publish_in_one_step_and_slug_errors(acme, client_for):
    article(acme, title="Taken", slug="taken")
    client = client_for(acme, acme.cam)
    response = client.post(
        "/console/help/new/",
        {"title": "Other", "slug": "taken", "category": "other", "body": "x", "intent": "publish"},
    )
    assert response.status_code == 422
    assert "already uses the address" in response.content.decode()
    response = client.post(
        "/console/help/new/",
        {"title": "Other", "slug": "", "category": "other", "body": "x", "intent": "publish"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Article.objects.get(title="Other").is_published


# Portal --------------------------------------------------------------------------------------


def test_portal_pages_render(acme, client_for):
    asset = file_asset(acme, description="For your first calls", tags=["pitch"])
    doc = article(acme, title="Getting started", body="## Hello\n\nWelcome.", category="deals")
    article(acme, title="Another deals article", category="deals")
    client = client_for(acme, acme.partner_user)
    library = client.get("/portal/assets/").content.decode()
    assert "Partner guide" in library and 'aria-current="page">Assets' in library
    detail = client.get(f"/portal/assets/{asset.pk}/").content.decode()
    assert "For your first calls" in detail and f"/portal/assets/{asset.pk}/download/" in detail
    help_page = client.get("/portal/help/").content.decode()
    assert "How can we help?" in help_page and "Getting started" in help_page
    reading = client.get(f"/portal/help/{doc.slug}/").content.decode()
    assert "<h2>Hello</h2>" in reading and "Another deals article" in reading
    assert client.get("/portal/help/no-such-article/").status_code == 404


def test_the_editor_offers_the_status_changes_the_table_allows(acme, client_for):
    client = client_for(acme, acme.cam)
    new = client.get("/console/help/new/").content.decode()
    assert 'value="publish"' in new and "Save draft" in new
    draft = article(acme, title="Draft", publish=False)
    page = client.get(f"/console/help/{draft.pk}/").content.decode()
    assert f"/console/help/{draft.pk}/publish/" in page
    assert f"/console/help/{draft.pk}/unpublish/" not in page
    assert 'value="publish"' in page
    client.post(f"/console/help/{draft.pk}/publish/")
    page = client.get(f"/console/help/{draft.pk}/").content.decode()
    assert f"/console/help/{draft.pk}/unpublish/" in page
    assert f"/console/help/{draft.pk}/publish/" not in page
    assert 'value="publish"' not in page and "Save changes" in page
