"""The library and Help center pages cost the same number of queries at 10 and 200 items."""

import pytest
from django.contrib.postgres.search import SearchVector
from django.utils import timezone
from django_scopes import scopes_disabled

from apps.content.models import (
    Article,
    Asset,
    AssetAudienceAccount,
    AssetAudienceType,
    AssetVersion,
    Audience,
    ContentOpen,
)
from apps.partners.models import PartnerType

pytestmark = pytest.mark.django_db


def _bulk(program, count):
    """`count` assets (files, links, restricted ones) and articles, with opens, in bulk."""
    with scopes_disabled():
        tenant = program.tenant
        reseller = PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")
        assets = Asset.objects.bulk_create(
            Asset(
                tenant=tenant,
                title=f"Asset {i:03d}",
                description="Material",
                category="sales",
                tags=["bulk"],
                kind="link" if i % 3 == 0 else "file",
                url="https://example.com" if i % 3 == 0 else "",
                audience=Audience.SELECTED if i % 2 else Audience.ALL,
                audience_tiers=["registered"] if i % 4 == 1 else [],
            )
            for i in range(count)
        )
        versions = AssetVersion.objects.bulk_create(
            AssetVersion(
                tenant=tenant,
                asset=a,
                number=1,
                file_name=f"tenants/{tenant.pk}/assets/{a.pk}.pdf",
                original_name="x.pdf",
                ext="pdf",
                content_type="application/pdf",
                size=1000,
            )
            for a in assets
            if a.kind == "file"
        )
        for version in versions:
            Asset.objects.filter(pk=version.asset_id).update(current_version=version)
        AssetAudienceType.objects.bulk_create(
            AssetAudienceType(tenant=tenant, asset=a, partner_type=reseller)
            for a in assets
            if a.audience == Audience.SELECTED
        )
        AssetAudienceAccount.objects.bulk_create(
            AssetAudienceAccount(tenant=tenant, asset=a, account=program.partner)
            for a in assets
            if a.audience == Audience.SELECTED
        )
        articles = Article.objects.bulk_create(
            Article(
                tenant=tenant,
                title=f"Article {i:03d}",
                slug=f"article-{i:03d}",
                category="deals",
                body_html="<p>x</p>",
                body_text="x",
                excerpt="x",
                status="published",
                updated_by=program.cam,
                published_at=timezone.now(),
            )
            for i in range(count)
        )
        Article.objects.filter(tenant=tenant).update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("body_text", weight="B", config="english")
        )
        ContentOpen.objects.bulk_create(
            ContentOpen(
                tenant=tenant,
                user=program.partner_user,
                partner_account=program.partner,
                asset=a,
                kind="view",
            )
            for a in assets
        )
        ContentOpen.objects.bulk_create(
            ContentOpen(
                tenant=tenant,
                user=program.partner_user,
                partner_account=program.partner,
                article=a,
                kind="read",
            )
            for a in articles
        )


# host, session, user, membership (middleware); unread notifications (layout); then the page's.
PAGES = [
    # count, rows (with opens/audience counts)
    ("cam", "/console/assets/", {}, 7),
    ("cam", "/console/assets/", {"q": "asset", "category": "sales", "kind": "file"}, 7),
    # count, rows (with read counts and editor)
    ("cam", "/console/help/", {}, 7),
    # partner account, category counts, count, rows (with opened flags)
    ("partner_user", "/portal/assets/", {}, 9),
    ("partner_user", "/portal/assets/", {"q": "asset", "category": "sales"}, 9),
    # partner account, category counts, count, rows
    ("partner_user", "/portal/help/", {}, 9),
    ("partner_user", "/portal/help/", {"q": "article"}, 9),
]


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize(("role", "path", "params", "queries"), PAGES)
def test_query_count_is_constant(
    acme, client_for, django_assert_max_num_queries, count, role, path, params, queries
):
    _bulk(acme, count)
    client = client_for(acme, getattr(acme, role))
    client.get("/portal/" if role.startswith("partner") else "/console/")  # warm the session
    with django_assert_max_num_queries(queries):
        response = client.get(path, params)
    assert response.status_code == 200
    page = response.context["page"]
    assert len(page.object_list) == min(page.paginator.per_page, page.paginator.count)
    assert page.paginator.count > 0
