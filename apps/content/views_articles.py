"""Console (write, publish) and portal (read, search) views of the Help center."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.content import selectors
from apps.content.forms import ArticleForm, ConsoleArticleFilterForm, HelpSearchForm
from apps.content.models import Article, ArticleCategory, OpenKind
from apps.content.rendering import render_markdown
from apps.content.services.articles import article_publish, article_save, article_unpublish
from apps.content.services.errors import ContentError
from apps.content.services.opens import content_open_record
from apps.content.services.transitions import article_events
from apps.content.uses import content_uses_warn
from apps.partners.models import PartnerAccount
from apps.partners.selectors import partner_account_of_membership
from apps.tenancy.access import console_view, portal_view

CONSOLE_PAGE_SIZE = 25
PORTAL_PAGE_SIZE = 24


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _partner_account(request: HttpRequest) -> PartnerAccount | None:
    return partner_account_of_membership(membership=request.membership)


# Console: help center --------------------------------------------------------------------------


@console_view
def console_article_list(request: HttpRequest) -> HttpResponse:
    form = ConsoleArticleFilterForm(request.GET or None)
    queryset = selectors.console_articles(tenant=request.tenant, filters=form.filters())
    page = Paginator(queryset, CONSOLE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return render(
        request,
        "content/console_article_list.html",
        {"nav": "help", "form": form, "page": page, "query": _query_without_page(request)},
    )


def _article_editor(request: HttpRequest, *, article: Article | None) -> HttpResponse:
    """Create or edit. Buttons: intent=preview (no save), save, publish."""
    preview = None
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST)
        intent = request.POST.get("intent", "save")
        if intent == "preview":
            preview = render_markdown(request.POST.get("body", "")).html
        elif form.is_valid():
            data = form.cleaned_data
            try:
                article = article_save(
                    tenant=request.tenant,
                    actor=request.user,
                    article=article,
                    title=data["title"],
                    slug=data["slug"],
                    category=data["category"],
                    body_markdown=data["body"],
                    publish=intent == "publish",
                )
            except ContentError as exc:
                form.add_error("slug" if "address" in str(exc) else None, str(exc))
                status = 422
            else:
                messages.success(
                    request,
                    "Article published." if article.is_published else "Article saved.",
                )
                return redirect("content_console:article_edit", pk=article.pk)
        else:
            status = 422
    elif article is not None:
        form = ArticleForm(
            initial={
                "title": article.title,
                "slug": article.slug,
                "category": article.category,
                "body": article.body_markdown,
            }
        )
        preview = article.body_html
    else:
        form = ArticleForm(initial={"category": ArticleCategory.GETTING_STARTED})
    return render(
        request,
        "content/console_article_edit.html",
        {
            "nav": "help",
            "form": form,
            "article": article,
            "events": article_events(article),
            "preview": preview,
        },
        status=status,
    )


@console_view
def console_article_create(request: HttpRequest) -> HttpResponse:
    return _article_editor(request, article=None)


def _console_article(request: HttpRequest, pk: int) -> Article:
    try:
        return selectors.article_get(tenant=request.tenant, pk=pk)
    except Article.DoesNotExist as exc:
        raise Http404 from exc


@console_view
def console_article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _article_editor(request, article=_console_article(request, pk))


@console_view
@require_POST
def console_article_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the rendered, sanitised Markdown of the editor (nothing is saved)."""
    preview = render_markdown(request.POST.get("body", "")[:200_000]).html
    return render(request, "content/console_article_edit.html#preview", {"preview": preview})


def _article_status_change(
    request: HttpRequest, pk: int, service: Callable[..., Article], done: str
) -> HttpResponse:
    article = _console_article(request, pk)
    try:
        service(tenant=request.tenant, actor=request.user, article=article)
    except ContentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
        if service is article_unpublish:  # the pipelines that still send partners to it
            content_uses_warn(request, tenant=request.tenant, article=article)
    return redirect("content_console:article_edit", pk=article.pk)


@console_view
@require_POST
def console_article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _article_status_change(
        request, pk, article_publish, "Article published: partners can read it now."
    )


@console_view
@require_POST
def console_article_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    return _article_status_change(
        request, pk, article_unpublish, "Article unpublished: it is a draft again."
    )


# Portal ----------------------------------------------------------------------------------------


@portal_view
def portal_article_list(request: HttpRequest) -> HttpResponse:
    account = _partner_account(request)
    form = HelpSearchForm(request.GET or None)
    q, category = form.values()
    if q:
        queryset = selectors.articles_search(tenant=request.tenant, q=q, category=category)
    else:
        queryset = selectors.articles_published(tenant=request.tenant, category=category)
    page = Paginator(queryset, PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    counts = selectors.help_categories(tenant=request.tenant)
    categories = [
        (value, label, counts[value]) for value, label in ArticleCategory.choices if value in counts
    ]
    return render(
        request,
        "content/portal_article_list.html",
        {
            "nav": "help",
            "partner_account": account,
            "form": form,
            "q": q,
            "category": category,
            "category_label": dict(ArticleCategory.choices).get(category, ""),
            "page": page,
            "categories": categories,
            "total": sum(counts.values()),
            "query": _query_without_page(request),
        },
    )


@portal_view
def portal_article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    account = _partner_account(request)
    try:
        article = selectors.article_get_published(tenant=request.tenant, slug=slug)
    except Article.DoesNotExist as exc:
        raise Http404 from exc
    if account is not None:
        content_open_record(
            tenant=request.tenant,
            user=request.user,
            partner_account=account,
            article=article,
            kind=OpenKind.READ,
        )
    return render(
        request,
        "content/portal_article_detail.html",
        {
            "nav": "help",
            "partner_account": account,
            "article": article,
            "related": selectors.article_related(tenant=request.tenant, article=article),
            "help_url": reverse("content_portal:article_list"),
        },
    )
