"""The Explorer's search reads the trigram indexes, never every account (issue 15)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType
from apps.partners.selectors import ExplorerFilters
from apps.partners.selectors_explorer import partner_explorer_page

pytestmark = pytest.mark.django_db

WORDS = ["Alpha", "Bravo", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor"]


def _many(program, n):
    with scopes_disabled():
        types = list(PartnerType.objects.filter(tenant=program.tenant))
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(
                tenant=program.tenant,
                # 1 in 100 is a "Northwind"; the rest mix words without "north".
                name=("Northwind " if i % 100 == 0 else "")
                + f"{WORDS[i % 8]} {WORDS[(i // 8) % 8]} {i}",
                partner_type=types[i % len(types)],
            )
            for i in range(n)
        )
        PartnerDomain.objects.bulk_create(
            PartnerDomain(tenant=program.tenant, account=a, domain=f"co{a.pk}.example")
            for a in accounts
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partneraccount")
        cursor.execute("ANALYZE partners_partnerdomain")


def _plans(tenant, filters):
    with scope(tenant=tenant), CaptureQueriesContext(connection) as captured:
        page = partner_explorer_page(tenant=tenant, filters=filters, type_order=[], tier_order=[])
    plans = []
    for query in captured.captured_queries:
        if query["sql"].startswith("EXPLAIN") or 'partners_partnerdomain"."id"' in query["sql"]:
            continue  # the estimate itself, the page's domains (by account id)
        plans.append(_explain_without_shortcuts(query["sql"]))
    return page, plans


class _Rollback(Exception):
    pass


def _explain_without_shortcuts(sql):
    """EXPLAIN as at 100,000 partners: a test table is so small that a sequential scan, or
    reading the whole program through one of its btree indexes on `tenant_id`, costs less
    than any trigram lookup. Forbid both (the index drops are rolled back), so the plan shows
    the path the query allows; bench/explorer.py shows what PostgreSQL picks at full size."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename IN "
                "('partners_partneraccount', 'partners_partnerdomain') "
                "AND indexdef NOT LIKE '%%gin_trgm_ops%%' AND indexdef NOT LIKE '%%UNIQUE%%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
            cursor.execute(
                "ALTER TABLE partners_partnerdomain "
                "DROP CONSTRAINT partners_domain_unique_per_tenant"
            )
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            raise _Rollback
    except _Rollback:
        pass
    return plan


def test_name_and_domain_search_use_the_trigram_indexes(acme):
    _many(acme, 6000)
    page, plans = _plans(acme.tenant, ExplorerFilters(q="north"))
    assert page.count == 60 and not page.count_is_estimate
    assert len(plans) == 2  # the bounded count, the page
    for plan in plans:
        # Both lookups can read their trigram index (UPPER(name), UPPER(domain)).
        assert "upper((name)::text) ~~ '%NORTH%'" in plan, plan
        assert "upper((domain)::text) ~~ '%NORTH%'" in plan, plan
        assert "Bitmap Index Scan on partners_acct_name_trgm" in plan, plan
        assert "Bitmap Index Scan on partners_domain_trgm" in plan, plan
        # The matching accounts are then read by primary key, not every account of the
        # program hash-joined against the matches.
        assert "Index Cond: (id = ANY ($0))" in plan, plan
        assert "Seq Scan" not in plan and "Hash Join" not in plan, plan


def test_search_keeps_matching_names_and_domains(acme, client_for):
    _many(acme, 300)
    with scopes_disabled():
        target = PartnerAccount.objects.filter(tenant=acme.tenant).order_by("pk")[5]
        domain = PartnerDomain.objects.get(account=target).domain
    client = client_for(acme, acme.cam)
    by_domain = client.get("/console/partners/", {"q": domain.upper()})
    assert [p.pk for p in by_domain.context["page"].object_list] == [target.pk]
    by_name = client.get("/console/partners/", {"q": "northWIND", "sort": "-name"})
    names = [p.name for p in by_name.context["page"].object_list]
    assert len(names) == 3 and all(n.startswith("Northwind") for n in names)
    assert names == sorted(names, key=str.lower, reverse=True)
