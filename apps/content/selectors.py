"""Reads for the Assets library and the Help center."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from apps.content.models import (
    Article,
    ArticleStatus,
    Asset,
    AssetAudienceAccount,
    AssetAudienceType,
    AssetStatus,
    AssetVersion,
    Audience,
    ContentOpen,
    OpenKind,
)
from apps.content.verbs import ARTICLE_READ_EVENT, ASSET_DOWNLOADED_EVENT, ASSET_VIEWED_EVENT
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType
from apps.tenancy.models import Tenant

SEARCH_CONFIG = "english"
# Control characters never present in body_text (rendering strips them); the template escapes
# the snippet, then turns these into <mark>.
HEADLINE_START = "\x02"
HEADLINE_STOP = "\x03"


# Visibility: the one rule --------------------------------------------------------------------


def assets_visible_to(*, tenant, partner_account: PartnerAccount | None) -> QuerySet[Asset]:
    """Active assets that this partner account may see, as one SQL query (no per-row checks).

    Visible when the audience is everyone, or when the audience is "selected" and either the
    account is named, or it matches the segment: at least one of partner types / tiers is
    set, and each one that is set contains the account's type / tier.
    """
    if partner_account is None or partner_account.tenant_id != tenant.pk:
        return Asset.objects.none()
    type_rules = AssetAudienceType.objects.filter(tenant=tenant, asset=OuterRef("pk"))
    has_type_rule = Exists(type_rules)
    type_ok = Exists(type_rules.filter(partner_type_id=partner_account.partner_type_id))
    has_tier_rule = ~Q(audience_tiers=[])
    tier_ok = Q(audience_tiers__contains=[partner_account.tier])
    named = Exists(
        AssetAudienceAccount.objects.filter(
            tenant=tenant, asset=OuterRef("pk"), account_id=partner_account.pk
        )
    )
    segment = (
        (Q(has_type_rule) | has_tier_rule)
        & (~Q(has_type_rule) | Q(type_ok))
        & (~has_tier_rule | tier_ok)
    )
    return Asset.objects.filter(tenant=tenant, status=AssetStatus.ACTIVE).filter(
        Q(audience=Audience.ALL) | (Q(audience=Audience.SELECTED) & (segment | Q(named)))
    )


def asset_get_visible(*, tenant, partner_account, pk: int) -> Asset:
    """One asset the partner may see (raises Asset.DoesNotExist otherwise)."""
    return (
        assets_visible_to(tenant=tenant, partner_account=partner_account)
        .select_related("current_version")
        .get(pk=pk)
    )


# Portal library ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryFilters:
    q: str = ""
    category: str = ""


def _asset_search(rows: QuerySet[Asset], q: str) -> QuerySet[Asset]:
    term = q.strip()
    if not term:
        return rows
    return rows.filter(
        Q(title__icontains=term) | Q(description__icontains=term) | Q(tags__contains=[term.lower()])
    )


def portal_library(*, tenant, partner_account, filters: LibraryFilters) -> QuerySet[Asset]:
    """The partner's library page: visible assets, searched and filtered, newest first.

    Each row carries `opened` (someone of this account opened it already).
    """
    rows = assets_visible_to(tenant=tenant, partner_account=partner_account)
    rows = _asset_search(rows, filters.q)
    if filters.category:
        rows = rows.filter(category=filters.category)
    if partner_account is not None:
        rows = rows.annotate(
            opened=Exists(
                ContentOpen.objects.filter(
                    tenant=tenant, partner_account=partner_account, asset=OuterRef("pk")
                )
            )
        )
    return rows.select_related("current_version").order_by("-updated_at", "-id")


def portal_library_categories(*, tenant, partner_account) -> dict[str, int]:
    """{category: number of visible assets}, in one aggregate query."""
    rows = (
        assets_visible_to(tenant=tenant, partner_account=partner_account)
        .order_by()
        .values("category")
        .annotate(n=Count("id"))
    )
    return {row["category"]: row["n"] for row in rows}


# Console library -----------------------------------------------------------------------------

CONSOLE_SORTS = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "title": (Lower("title").asc(), "id"),
    "-title": (Lower("title").desc(), "-id"),
}


@dataclass(frozen=True)
class ConsoleAssetFilters:
    q: str = ""
    category: str = ""
    kind: str = ""
    status: str = AssetStatus.ACTIVE
    audience: str = ""
    sort: str = "-updated"


def _count_of(model, tenant, field: str):
    return Coalesce(
        Subquery(
            model.objects.filter(tenant=tenant, **{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(n=Count("*"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def console_assets(*, tenant, filters: ConsoleAssetFilters) -> QuerySet[Asset]:
    rows = Asset.objects.filter(tenant=tenant)
    if filters.status:
        rows = rows.filter(status=filters.status)
    rows = _asset_search(rows, filters.q)
    if filters.category:
        rows = rows.filter(category=filters.category)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.audience:
        rows = rows.filter(audience=filters.audience)
    return rows.order_by(*CONSOLE_SORTS.get(filters.sort, CONSOLE_SORTS["-updated"]))


def console_asset_page_rows(*, tenant, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
    """One page of the console library with what the table shows, in one query."""
    return queryset.select_related("current_version").annotate(
        open_count=_count_of(ContentOpen, tenant, "asset"),
        type_count=_count_of(AssetAudienceType, tenant, "asset"),
        account_count=_count_of(AssetAudienceAccount, tenant, "asset"),
    )


def asset_get(*, tenant, pk: int) -> Asset:
    return Asset.objects.select_related("current_version", "created_by").get(tenant=tenant, pk=pk)


def asset_versions(*, tenant, asset: Asset) -> QuerySet[AssetVersion]:
    return (
        AssetVersion.objects.filter(tenant=tenant, asset=asset)
        .select_related("uploaded_by")
        .order_by("-number")
    )


def asset_version_get(*, tenant, asset_pk: int, pk: int) -> AssetVersion:
    return AssetVersion.objects.select_related("asset").get(tenant=tenant, asset_id=asset_pk, pk=pk)


def asset_audience(*, tenant, asset: Asset) -> tuple[list[PartnerType], list[PartnerAccount]]:
    types = PartnerType.objects.filter(
        tenant=tenant,
        pk__in=AssetAudienceType.objects.filter(tenant=tenant, asset=asset).values(
            "partner_type_id"
        ),
    ).order_by("position", "name")
    accounts = PartnerAccount.objects.filter(
        tenant=tenant,
        pk__in=AssetAudienceAccount.objects.filter(tenant=tenant, asset=asset).values("account_id"),
    ).order_by(Lower("name"))
    return list(types), list(accounts)


def asset_recent_opens(*, tenant, asset: Asset, limit: int = 15) -> list[ContentOpen]:
    return list(
        ContentOpen.objects.filter(tenant=tenant, asset=asset)
        .select_related("user", "partner_account", "asset_version")
        .order_by("-created_at", "-id")[:limit]
    )


def partner_accounts_by_name_or_domain(
    *, tenant, entries: list[str]
) -> tuple[list[PartnerAccount], list[str]]:
    """Resolve "Northwind Solutions" or "northwind.test" lines to partner accounts.

    Returns (accounts, problems): a problem is an entry that matches none, or a name shared
    by several accounts (use the email domain then). Two queries whatever the count.
    """
    cleaned = [" ".join(e.split()) for e in entries if e.strip()]
    domains = {e.lower().lstrip("@") for e in cleaned}
    by_domain = {
        d.domain: d.account
        for d in PartnerDomain.objects.filter(tenant=tenant, domain__in=domains).select_related(
            "account"
        )
    }
    names = {e.lower() for e in cleaned if e.lower().lstrip("@") not in by_domain}
    by_name: dict[str, list[PartnerAccount]] = {}
    if names:
        for account in PartnerAccount.objects.annotate(lname=Lower("name")).filter(
            tenant=tenant, lname__in=names
        ):
            by_name.setdefault(account.lname, []).append(account)
    found: dict[int, PartnerAccount] = {}
    problems = []
    for entry in cleaned:
        domain = entry.lower().lstrip("@")
        if domain in by_domain:
            found[by_domain[domain].pk] = by_domain[domain]
        elif len(by_name.get(entry.lower(), [])) == 1:
            account = by_name[entry.lower()][0]
            found[account.pk] = account
        elif by_name.get(entry.lower()):
            problems.append(f"Several partner accounts are called “{entry}”: use its email domain.")
        else:
            problems.append(f"No partner account is called “{entry}” or uses that email domain.")
    return list(found.values()), problems


# Help center ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleArticleFilters:
    q: str = ""
    status: str = ""
    category: str = ""


def console_articles(*, tenant, filters: ConsoleArticleFilters) -> QuerySet[Article]:
    rows = Article.objects.filter(tenant=tenant)
    if filters.q.strip():
        rows = rows.filter(title__icontains=filters.q.strip())
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.category:
        rows = rows.filter(category=filters.category)
    return (
        rows.defer("body_markdown", "body_html", "body_text", "search_vector")
        .select_related("updated_by")
        .annotate(read_count=_count_of(ContentOpen, tenant, "article"))
        .order_by("-updated_at", "-id")
    )


def article_get(*, tenant, pk: int) -> Article:
    return Article.objects.get(tenant=tenant, pk=pk)


def articles_published(*, tenant, category: str = "") -> QuerySet[Article]:
    rows = Article.objects.filter(tenant=tenant, status=ArticleStatus.PUBLISHED)
    if category:
        rows = rows.filter(category=category)
    return rows.defer("body_markdown", "body_html", "body_text", "search_vector").order_by(
        "-updated_at", "-id"
    )


def articles_search(*, tenant, q: str, category: str = "") -> QuerySet[Article]:
    """Published articles matching a web-search style query, best first.

    PostgreSQL full-text search on the stored vector (title weight A, body weight B, GIN
    index), ranked with ts_rank; each row has `rank` and a `headline` snippet.
    """
    query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
    rows = Article.objects.filter(
        tenant=tenant, status=ArticleStatus.PUBLISHED, search_vector=query
    )
    if category:
        rows = rows.filter(category=category)
    return (
        rows.defer("body_markdown", "body_html")
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(
                "body_text",
                query,
                config=SEARCH_CONFIG,
                start_sel=HEADLINE_START,
                stop_sel=HEADLINE_STOP,
                max_words=30,
                min_words=12,
                max_fragments=2,
            ),
        )
        .order_by("-rank", "-updated_at", "-id")
    )


def article_get_published(*, tenant, slug: str) -> Article:
    return Article.objects.get(tenant=tenant, slug=slug, status=ArticleStatus.PUBLISHED)


def article_related(*, tenant, article: Article, limit: int = 5) -> list[Article]:
    return list(
        articles_published(tenant=tenant, category=article.category).exclude(pk=article.pk)[:limit]
    )


def help_categories(*, tenant) -> dict[str, int]:
    """{category: number of published articles} in one aggregate query."""
    rows = (
        Article.objects.filter(tenant=tenant, status=ArticleStatus.PUBLISHED)
        .order_by()
        .values("category")
        .annotate(n=Count("id"))
    )
    return {row["category"]: row["n"] for row in rows}


# Open/read events ----------------------------------------------------------------------------


def content_opens_since(
    *,
    tenant,
    since: datetime,
    partner_account: PartnerAccount | int | None = None,
    kind: str | None = None,
    asset: Asset | int | None = None,
    article: Article | int | None = None,
) -> QuerySet[ContentOpen]:
    """Open/read events recorded at or after `since`, oldest first.

    This is how higher layers react to opens (there is no signal): e.g. the onboarding engine
    completes View asset / Read article actions from the rows of a partner account.
    """
    rows = ContentOpen.objects.filter(tenant=tenant, created_at__gte=since)
    if partner_account is not None:
        rows = rows.filter(partner_account=partner_account)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if asset is not None:
        rows = rows.filter(asset=asset)
    if article is not None:
        rows = rows.filter(article=article)
    return rows.order_by("created_at", "id")


# What an open is in the partner event log (apps.partners), by open kind.
OPEN_EVENT_TYPES: dict[str, str] = {
    OpenKind.DOWNLOAD: ASSET_DOWNLOADED_EVENT,
    OpenKind.VIEW: ASSET_VIEWED_EVENT,
    OpenKind.READ: ARTICLE_READ_EVENT,
}


def content_opens_as_partner_events_all_tenants(*, since: datetime) -> tuple[str, list[object]]:
    """The opens recorded at or after `since`, in every program, as partner event rows: a
    SELECT (SQL and positional parameters) returning the columns of
    `apps.partners.services.PARTNER_EVENT_ROW_COLUMNS`, for `partner_events_record_many`.

    The event type follows OPEN_EVENT_TYPES; the reference is `asset:<id>` or
    `article:<id>`; the data holds the title and an asset's category (milestones count
    co-marketing categories only); the open's id is the idempotency key
    (`content-open:<id>`), so an open becomes one event however often it is read.
    One index range scan per tenant on (tenant, created_at).
    """
    sql = f"""
        SELECT o.tenant_id, o.partner_account_id AS account_id,
               CASE o.kind WHEN %s THEN %s WHEN %s THEN %s ELSE %s END AS type,
               o.created_at AS occurred_at,
               CASE WHEN o.asset_id IS NOT NULL THEN 'asset:' || o.asset_id
                    ELSE 'article:' || o.article_id END AS reference,
               jsonb_strip_nulls(jsonb_build_object(
                   'title', COALESCE(s.title, r.title), 'category', s.category
               )) AS data,
               'content-open:' || o.id AS idempotency_key,
               o.user_id AS recorded_by_id
        FROM {Tenant._meta.db_table} t
        JOIN LATERAL (
            SELECT * FROM {ContentOpen._meta.db_table} o
            WHERE o.tenant_id = t.id AND o.created_at >= %s
        ) o ON true
        LEFT JOIN {Asset._meta.db_table} s ON s.id = o.asset_id
        LEFT JOIN {Article._meta.db_table} r ON r.id = o.article_id
    """  # noqa: S608 - the tables are the models' own, values are parameters
    params: list[object] = [
        OpenKind.DOWNLOAD.value,
        OPEN_EVENT_TYPES[OpenKind.DOWNLOAD],
        OpenKind.VIEW.value,
        OPEN_EVENT_TYPES[OpenKind.VIEW],
        OPEN_EVENT_TYPES[OpenKind.READ],
        since,
    ]
    return sql, params
