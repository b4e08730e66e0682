"""Writes for the Help center: articles, their addresses (slugs), search index and status.
Every mutation is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, transaction
from django.db.models import TextField, Value
from django.utils import timezone
from django.utils.text import slugify

from apps.audit.services import audit_record
from apps.content import verbs
from apps.content.models import Article, ArticleCategory, ArticleStatus
from apps.content.rendering import render_markdown
from apps.content.services.errors import ContentError
from apps.content.services.transitions import (
    ARTICLE_EVENT_VERBS,
    ARTICLE_TRANSITIONS,
    transition_target,
)
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User

SEARCH_CONFIG = "english"


def _slug_free(*, tenant: Tenant, slug: str, exclude_pk: int | None) -> bool:
    rows = Article.objects.filter(tenant=tenant, slug=slug)
    if exclude_pk:
        rows = rows.exclude(pk=exclude_pk)
    return not rows.exists()


def _slug_for(*, tenant: Tenant, title: str, slug: str, exclude_pk: int | None) -> str:
    if slug:
        slug = slugify(slug)[:120]
        if not slug:
            raise ContentError("The address may use letters, numbers and hyphens.")
        if not _slug_free(tenant=tenant, slug=slug, exclude_pk=exclude_pk):
            raise ContentError(f"Another article already uses the address “{slug}”.")
        return slug
    base = slugify(title)[:100] or "article"
    candidate, n = base, 2
    while not _slug_free(tenant=tenant, slug=candidate, exclude_pk=exclude_pk):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _search_vector_update(*, article: Article) -> None:
    Article.objects.filter(tenant_id=article.tenant_id, pk=article.pk).update(
        search_vector=SearchVector(
            Value(article.title, output_field=TextField()), weight="A", config=SEARCH_CONFIG
        )
        + SearchVector(
            Value(article.body_text, output_field=TextField()), weight="B", config=SEARCH_CONFIG
        )
    )


@transaction.atomic
def article_save(
    *,
    tenant: Tenant,
    actor: User | None,
    article: Article | None = None,
    title: str,
    body_markdown: str,
    category: str = ArticleCategory.OTHER,
    slug: str = "",
    publish: bool = False,
) -> Article:
    """Create (article=None) or change an article; render, sanitise and index it.

    `slug` blank: made from the title on creation (kept afterwards). `publish=True` also
    publishes a draft, in the same transaction.
    """
    title = title.strip()
    if not title:
        raise ContentError("Give the article a title.")
    if category not in ArticleCategory.values:
        raise ContentError("Unknown category.")
    if article is not None:
        article = Article.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=article.pk)
    if article is not None and not slug:
        slug = article.slug
    slug = _slug_for(
        tenant=tenant, title=title, slug=slug, exclude_pk=article.pk if article else None
    )
    rendered = render_markdown(body_markdown)
    new = {
        "title": title,
        "slug": slug,
        "category": category,
        "body_markdown": body_markdown,
        "body_html": rendered.html,
        "body_text": rendered.text,
        "excerpt": rendered.excerpt,
    }
    now = timezone.now()
    try:
        with transaction.atomic():
            if article is None:
                article = Article.objects.create(
                    tenant=tenant,
                    created_by=actor,
                    updated_by=actor,
                    created_at=now,
                    updated_at=now,
                    **new,
                )
                verb, data = verbs.ARTICLE_CREATED, {"title": title, "slug": slug}
            else:
                changed = {
                    f: {"from": getattr(article, f), "to": v}
                    for f, v in new.items()
                    if f in ("title", "slug", "category") and getattr(article, f) != v
                }
                body_changed = article.body_markdown != body_markdown
                if not changed and not body_changed:
                    verb = None
                else:
                    for field, value in new.items():
                        setattr(article, field, value)
                    article.updated_by = actor
                    article.updated_at = now
                    article.save(update_fields=[*new.keys(), "updated_by", "updated_at"])
                    verb = verbs.ARTICLE_UPDATED
                    data = {"changed": changed, "body_changed": body_changed}
    except IntegrityError as exc:
        raise ContentError(f"Another article already uses the address “{slug}”.") from exc
    if verb is not None:
        _search_vector_update(article=article)
        audit_record(tenant=tenant, actor=actor, verb=verb, target=article, data=data)
    if publish and article.status in ARTICLE_TRANSITIONS["publish"][0]:
        article = article_publish(tenant=tenant, actor=actor, article=article)
    return article


def _article_transition(
    *, tenant: Tenant, actor: User | None, article: Article, event: str
) -> Article:
    article = Article.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=article.pk)
    target = transition_target(
        ARTICLE_TRANSITIONS,
        event=event,
        status=article.status,
        refusal=f"This article is already {article.get_status_display().lower()}.",
    )
    previous = article.status
    article.status = target
    fields = ["status"]
    if target == ArticleStatus.PUBLISHED:
        article.published_at = timezone.now()
        fields.append("published_at")
    article.save(update_fields=fields)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=ARTICLE_EVENT_VERBS[event],
        target=article,
        data={"from": previous, "to": target},
    )
    return article


@transaction.atomic
def article_publish(*, tenant: Tenant, actor: User | None, article: Article) -> Article:
    """Make a draft visible in the portal's Help center."""
    return _article_transition(tenant=tenant, actor=actor, article=article, event="publish")


@transaction.atomic
def article_unpublish(*, tenant: Tenant, actor: User | None, article: Article) -> Article:
    """Back to draft: gone from the portal, kept for editing."""
    return _article_transition(tenant=tenant, actor=actor, article=article, event="unpublish")
