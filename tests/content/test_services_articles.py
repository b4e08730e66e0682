"""apps/content/services/articles.py and the Article.status transition table."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.content.models import Article, ArticleStatus
from apps.content.services import (
    ContentError,
    InvalidTransition,
    article_publish,
    article_save,
    article_unpublish,
)
from apps.content.services.transitions import (
    ARTICLE_EVENT_VERBS,
    ARTICLE_TRANSITIONS,
    article_events,
)
from tests.content.factories import article

pytestmark = pytest.mark.django_db


def _verbs(program):
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(tenant=program.tenant, verb__startswith="article.")
            .order_by("id")
            .values_list("verb", flat=True)
        )


def test_article_save_renders_sanitises_and_indexes(acme):
    body = "# Welcome\n\nRead the **guide**.<script>alert(1)</script>"
    saved = article(acme, title="Welcome aboard", body=body, publish=False)
    with scope(tenant=acme.tenant):
        saved.refresh_from_db()
    assert saved.slug == "welcome-aboard"
    assert saved.status == "draft"
    assert "<h1>Welcome</h1>" in saved.body_html and "<strong>guide</strong>" in saved.body_html
    assert "script" not in saved.body_html
    assert saved.body_text == "Welcome Read the guide."
    assert saved.excerpt == "Read the guide."  # paragraphs, not headings
    assert "welcom" in saved.search_vector and "guid" in saved.search_vector


def test_article_slugs_are_unique_per_tenant(acme, globex):
    first = article(acme, title="Deal registration")
    second = article(acme, title="Deal registration")
    other_tenant = article(globex, title="Deal registration")
    assert (first.slug, second.slug, other_tenant.slug) == (
        "deal-registration",
        "deal-registration-2",
        "deal-registration",
    )
    with scope(tenant=acme.tenant), pytest.raises(ContentError, match="already uses"):
        article_save(
            tenant=acme.tenant,
            actor=acme.cam,
            article=second,
            title="Deal registration",
            slug="deal-registration",
            body_markdown="x",
        )


def test_article_edit_keeps_slug_and_audits_changes(acme):
    saved = article(acme, title="Getting started", body="One")
    with scope(tenant=acme.tenant):
        article_save(
            tenant=acme.tenant,
            actor=acme.admin,
            article=saved,
            title="Getting started fast",
            body_markdown="Two",
        )
        saved.refresh_from_db()
        # No change: no event.
        article_save(
            tenant=acme.tenant,
            actor=acme.admin,
            article=saved,
            title="Getting started fast",
            body_markdown="Two",
        )
        events = list(AuditEvent.objects.filter(verb="article.updated"))
    assert saved.slug == "getting-started" and saved.body_text == "Two"
    assert saved.updated_by == acme.admin
    assert len(events) == 1 and events[0].data["body_changed"] is True


def test_publish_and_unpublish(acme):
    draft = article(acme, publish=False)
    with scope(tenant=acme.tenant):
        article_publish(tenant=acme.tenant, actor=acme.cam, article=draft)
        with pytest.raises(InvalidTransition):
            article_publish(tenant=acme.tenant, actor=acme.cam, article=draft)
        draft.refresh_from_db()
        assert draft.is_published and draft.published_at is not None
        article_unpublish(tenant=acme.tenant, actor=acme.cam, article=draft)
        assert Article.objects.get(pk=draft.pk).status == "draft"
    assert _verbs(acme) == ["article.created", "article.published", "article.unpublished"]


# The transition table, walked: every (event, status) pair --------------------------------------

ARTICLE_EVENT_SERVICES = {"publish": article_publish, "unpublish": article_unpublish}


def test_every_article_event_has_a_service():
    assert set(ARTICLE_EVENT_SERVICES) == set(ARTICLE_TRANSITIONS) == set(ARTICLE_EVENT_VERBS)


def test_a_new_article_is_a_draft_that_may_be_published():
    assert article_events(None) == {"publish"}


@pytest.mark.parametrize("event", sorted(ARTICLE_TRANSITIONS))
@pytest.mark.parametrize("status", ArticleStatus.values)
def test_article_event_from_each_status_follows_the_table(acme, status, event):
    doc = article(acme, publish=False)
    published_at = timezone.now() - timedelta(days=3)
    with scopes_disabled():
        Article.objects.filter(pk=doc.pk).update(status=status, published_at=published_at)
    sources, target = ARTICLE_TRANSITIONS[event]
    service = ARTICLE_EVENT_SERVICES[event]
    with scope(tenant=acme.tenant):
        doc.refresh_from_db()
        assert (event in article_events(doc)) == (status in sources)
        if status in sources:
            service(tenant=acme.tenant, actor=acme.cam, article=doc)
        else:
            with pytest.raises(InvalidTransition):
                service(tenant=acme.tenant, actor=acme.cam, article=doc)
        doc.refresh_from_db()
    if status in sources:
        assert doc.status == target
        assert _verbs(acme)[-1] == f"article.{event}ed"
        if target == ArticleStatus.PUBLISHED:
            assert doc.published_at > published_at
    else:
        assert (doc.status, doc.published_at) == (status, published_at)
        assert _verbs(acme) == ["article.created"]
