"""Partner Explorer pages at any size (issue 15): keyset cursors, the bounded count."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, Tier
from apps.partners.selectors import ExplorerFilters, partner_explorer_queryset
from apps.partners.selectors_explorer import (
    PAGE_NUMBER_LIMIT,
    ExplorerCursor,
    about,
    planner_estimate,
)

pytestmark = pytest.mark.django_db

URL = "/console/partners/"
SORTS = ["name", "-name", "created", "-created", "type", "-type", "tier", "-tier"]
SAME_TIME = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _bulk(program, n, *, names=("Tied Name", "Other Co", "Zed Ltd"), prefix=""):
    """n accounts with few distinct names, one creation time, types and tiers spread."""
    tiers = [Tier.REGISTERED, Tier.SILVER, Tier.GOLD, Tier.PLATINUM]
    with scopes_disabled():
        types = list(PartnerType.objects.filter(tenant=program.tenant))
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(
                tenant=program.tenant,
                name=prefix + names[i % len(names)],
                partner_type=types[i % len(types)],
                tier=tiers[i % len(tiers)],
            )
            for i in range(n)
        )
        PartnerAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(created_at=SAME_TIME)
        PartnerDomain.objects.bulk_create(
            PartnerDomain(tenant=program.tenant, account=a, domain=f"{prefix.lower()}d{a.pk}.test")
            for a in accounts
        )
    return accounts


def _ids(response):
    return [p.pk for p in response.context["page"].object_list]


def _link(response, rel):
    """The query of the page's `rel` link (next/prev), as the template wrote it."""
    html = response.content.decode()
    marker = f'rel="{rel}"'
    if marker not in html:
        return None
    tag_start = html.rindex("<a ", 0, html.index(marker))
    href = html[tag_start:].split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}


def _expected(program, sort):
    with scope(tenant=program.tenant):
        rows = partner_explorer_queryset(tenant=program.tenant, filters=ExplorerFilters(sort=sort))
        return list(rows.values_list("pk", flat=True))


@pytest.mark.parametrize("sort", SORTS)
def test_next_and_previous_walk_every_row_once_with_ties(acme, client_for, sort):
    _bulk(acme, 70)
    client = client_for(acme, acme.cam)
    response = client.get(URL, {"sort": sort})
    pages = [_ids(response)]
    while (query := _link(response, "next")) is not None:
        assert set(query) == {"sort", "after"}
        response = client.get(URL, query)
        assert response.status_code == 200
        pages.append(_ids(response))
    assert [pk for page in pages for pk in page] == _expected(acme, sort)
    assert [len(p) for p in pages] == [25, 25, 22]
    # ... and back with Previous to the first page, the same pages in reverse.
    back = [pages[-1]]
    while (query := _link(response, "prev")) is not None:
        response = client.get(URL, query)
        back.append(_ids(response))
    assert back == pages[::-1]
    assert response.context["page"].is_first


def test_a_link_keeps_its_rows_when_partners_are_added(acme, client_for):
    _bulk(acme, 40)
    client = client_for(acme, acme.cam)
    first = client.get(URL)
    following = _link(first, "next")
    before = _ids(client.get(URL, following))
    _bulk(acme, 10, names=("Aaa First",))  # sort before every row on that page
    assert _ids(client.get(URL, following)) == before
    _bulk(acme, 10, names=("Tied Name",))  # ties with the cursor's row, with later ids
    after = _ids(client.get(URL, following))
    assert after[:4] == before[:4]  # the rest of the tied names come first, then the new


@pytest.mark.parametrize(
    "params",
    [
        {"after": "garbage"},
        {"after": "x,abc"},
        {"before": "1"},
        {"after": "tied name," + "9" * 40},
        {"sort": "created", "after": "2026-13-45T99:00:00.0Z,5"},
        {"sort": "type", "after": "999999,tied name,1"},  # a type of no program
        {"sort": "tier", "after": "diamond,tied name,1"},
        {"sort": "type", "after": "tied name,1"},
        {"after": "a" * 500 + ",1"},
        {"page": "abc"},
    ],
)
def test_forged_cursors_show_the_first_page_never_an_error(acme, client_for, params):
    _bulk(acme, 30)
    client = client_for(acme, acme.cam)
    first = _ids(client.get(URL, {"sort": params.get("sort", "name")}))
    response = client.get(URL, params)
    assert response.status_code == 200
    assert _ids(response) == first
    if "page" not in params:
        assert "not valid here" in response.content.decode()


def test_a_deep_page_number_falls_back_with_a_message(acme, client_for):
    _bulk(acme, 30)
    client = client_for(acme, acme.cam)
    response = client.get(URL, {"page": str(PAGE_NUMBER_LIMIT + 1)})
    assert response.status_code == 200
    assert response.context["page"].is_first
    assert "Page numbers go up to" in response.content.decode()
    second = client.get(URL, {"page": "2"})
    assert second.context["page"].start == 26 and len(_ids(second)) == 7


def test_another_programs_cursor_shows_only_this_programs_rows(acme, globex, client_for):
    _bulk(acme, 30)
    theirs = _bulk(globex, 30, names=("Globex Co",))
    globex_client = client_for(globex, globex.cam)
    foreign = _link(globex_client.get(URL, {"sort": "type"}), "next")
    client = client_for(acme, acme.cam)
    with scopes_disabled():
        acme_ids = set(
            PartnerAccount.objects.filter(tenant=acme.tenant).values_list("pk", flat=True)
        )
    for params in [foreign, {"after": f"globex co,{theirs[0].pk}"}, {"before": "zzz,1"}]:
        response = client.get(URL, params)
        assert response.status_code == 200
        assert set(_ids(response)) <= acme_ids
        assert not set(_ids(response)) & {a.pk for a in theirs}


def test_the_count_is_exact_below_the_limit_and_an_estimate_above(acme, client_for, settings):
    _bulk(acme, 40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partneraccount")
    client = client_for(acme, acme.cam)
    exact = client.get(URL)
    assert exact.context["page"].count == 42 and not exact.context["page"].count_is_estimate
    assert "42 in all" in exact.content.decode()

    settings.PARTNER_EXPLORER_EXACT_COUNT_LIMIT = 10
    estimated = client.get(URL)
    page = estimated.context["page"]
    assert page.count_is_estimate and page.count >= 11
    assert f"about {page.count}" in estimated.content.decode()
    # A filter under the limit is still counted exactly.
    small = client.get(URL, {"q": "Partner One"})
    assert small.context["page"].count == 1 and not small.context["page"].count_is_estimate


def test_the_estimate_is_the_planners_for_this_tenant_and_filter(acme, globex):
    _bulk(acme, 400)
    _bulk(globex, 40, names=("Globex Co",))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partneraccount")
    with scope(tenant=acme.tenant):
        everyone = PartnerAccount.objects.filter(tenant=acme.tenant)
        assert 300 <= planner_estimate(everyone) <= 500
        gold = everyone.filter(tier=Tier.GOLD)
        assert 50 <= planner_estimate(gold) <= 150
    with scope(tenant=globex.tenant):
        assert planner_estimate(PartnerAccount.objects.filter(tenant=globex.tenant)) <= 100


def test_about_rounds_to_two_significant_figures():
    assert [about(n) for n in (7, 42, 10_001, 99_870, 100_400, 1_234_567)] == [
        7,
        42,
        10_000,
        100_000,
        100_000,
        1_200_000,
    ]


def test_a_cursor_round_trips():
    from apps.partners.selectors_explorer import SORTS

    when = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    for cursor, sort, groups in [
        (ExplorerCursor(key="a, b, c", id=5), SORTS["name"], []),
        (ExplorerCursor(key=when, id=7), SORTS["-created"], []),
        (ExplorerCursor(key="x,y", id=9, group="3"), SORTS["type"], ["3"]),
        (ExplorerCursor(key="x", id=9, group=""), SORTS["tier"], ["gold", ""]),
    ]:
        assert ExplorerCursor.decode(cursor.encode(), sort=sort, groups=groups) == cursor


@pytest.mark.parametrize("limit", [10_000, 5])  # exact count; bounded count + EXPLAIN
@pytest.mark.parametrize("count", [1, 50])
def test_query_count_is_constant(
    acme, client_for, django_assert_max_num_queries, settings, limit, count
):
    settings.PARTNER_EXPLORER_EXACT_COUNT_LIMIT = limit
    _bulk(acme, count)
    client = client_for(acme, acme.cam)
    client.get(URL)  # warm the session
    # 13 as before (issue 11) + 1 for the EXPLAIN above the limit.
    with django_assert_max_num_queries(14):
        first = client.get(URL, {"sort": "type"})
    query = _link(first, "next") or {"sort": "type", "after": "1,a,1"}
    with django_assert_max_num_queries(14):
        assert client.get(URL, query).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(URL, {"q": "tied", "sort": "-created"}).status_code == 200
    # A Previous link that reaches the top reads the first page again (2 queries more).
    with django_assert_max_num_queries(16):
        assert client.get(URL, {"sort": "tier", "before": "gold,zzz,1"}).status_code == 200
