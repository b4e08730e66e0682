import csv
import io

import pytest
from django_scopes import scope, scopes_disabled

from apps.partners.models import PartnerAccount, PartnerDomain, PartnerStatus, PartnerType, Tier

pytestmark = pytest.mark.django_db


def _bulk_partners(program, n, **fields):
    with scopes_disabled():
        types = list(PartnerType.objects.filter(tenant=program.tenant))
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(
                tenant=program.tenant,
                name=f"Bulk {i:04d}",
                partner_type=types[i % len(types)],
                cam=program.cam if i % 2 else None,
                **fields,
            )
            for i in range(n)
        )
        PartnerDomain.objects.bulk_create(
            PartnerDomain(tenant=program.tenant, account=a, domain=f"bulk{a.pk}.test")
            for a in accounts
        )
    return accounts


def _names(response):
    return [p.name for p in response.context["page"].object_list]


def test_lists_only_this_tenants_partners(acme, globex, client_for):
    names = _names(client_for(acme, acme.cam).get("/console/partners/"))
    assert names == ["Acme Partner One", "Acme Partner Two"]


def test_search_by_name_and_by_domain(acme, client_for):
    client = client_for(acme, acme.cam)
    assert _names(client.get("/console/partners/", {"q": "one"})) == ["Acme Partner One"]
    assert _names(client.get("/console/partners/", {"q": "two.acme"})) == ["Acme Partner Two"]
    assert _names(client.get("/console/partners/", {"q": "nothing-like-it"})) == []


def test_filters_combine(acme, client_for, unscoped):
    PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(
        tier=Tier.GOLD, status=PartnerStatus.SUSPENDED, region="emea", cam=acme.admin
    )
    client = client_for(acme, acme.cam)
    assert _names(client.get("/console/partners/", {"tier": "gold"})) == ["Acme Partner Two"]
    assert _names(client.get("/console/partners/", {"status": "active"})) == ["Acme Partner One"]
    assert _names(client.get("/console/partners/", {"cam": acme.cam.pk})) == ["Acme Partner One"]
    assert _names(client.get("/console/partners/", {"region": "emea", "tier": "gold"})) == [
        "Acme Partner Two"
    ]
    msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
    assert _names(client.get("/console/partners/", {"type": msp.pk})) == []


def test_forged_filter_values_are_ignored_not_trusted(acme, globex, client_for, unscoped):
    client = client_for(acme, acme.cam)
    foreign_type = PartnerType.objects.filter(tenant=globex.tenant).first()
    for params in [
        {"type": foreign_type.pk},  # another tenant's type id: not a valid choice here
        {"type": "x"},
        {"cam": globex.cam.pk},
        {"sort": "password"},
        {"tier": "diamond"},
        {"page": "999999"},
    ]:
        response = client.get("/console/partners/", params)
        assert response.status_code == 200, params
        assert set(_names(response)) <= {"Acme Partner One", "Acme Partner Two"}


def test_sort_and_paginate(acme, client_for):
    _bulk_partners(acme, 60)
    client = client_for(acme, acme.cam)
    first = client.get("/console/partners/", {"sort": "name"})
    assert first.context["page"].paginator.count == 62
    assert _names(first)[:2] == ["Acme Partner One", "Acme Partner Two"]
    assert len(_names(first)) == 25
    last = client.get("/console/partners/", {"sort": "-name", "page": 3})
    assert len(_names(last)) == 12
    assert _names(last)[-1] == "Acme Partner One"


def test_htmx_request_gets_only_the_results(acme, client_for):
    response = client_for(acme, acme.cam).get(
        "/console/partners/", {"q": "one"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Acme Partner One" in html
    assert "<nav" not in html.split("Acme Partner One")[0]  # no page chrome before the table
    assert "<html" not in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


@pytest.mark.parametrize("count", [10, 200])
def test_explorer_query_count_is_constant(acme, client_for, django_assert_max_num_queries, count):
    _bulk_partners(acme, count)
    client = client_for(acme, acme.cam)
    client.get("/console/partners/")  # warm the session
    # host, session, user, membership, types, CAMs, count, rows, domains, unread count
    with django_assert_max_num_queries(10):
        response = client.get("/console/partners/", {"sort": "type"})
    assert response.status_code == 200
    assert len(_names(response)) == 25 if count > 25 else count + 2


def test_csv_export_follows_filters_and_neutralises_formulas(acme, globex, client_for, unscoped):
    PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(name="=HYPERLINK(1)")
    client = client_for(acme, acme.cam)
    response = client.get("/console/partners/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "company", "type"]
    names = sorted(r[1] for r in rows[1:])
    assert names == ["'=HYPERLINK(1)", "Acme Partner One"]
    filtered = client.get("/console/partners/export.csv", {"q": "one"})
    rows = list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode())))
    assert [r[1] for r in rows[1:]] == ["Acme Partner One"]


def test_partner_detail_shows_domains_users_and_timeline(acme, globex, client_for):
    client = client_for(acme, acme.cam)
    response = client.get(f"/console/partners/{acme.partner.pk}/")
    html = response.content.decode()
    assert "one.acme.test" in html
    assert acme.partner_admin.email in html
    assert [e.verb for e in response.context["timeline"]][-1] == "partner.created"
    assert client.get(f"/console/partners/{globex.partner.pk}/").status_code == 404


def test_partner_detail_query_count(acme, client_for, django_assert_max_num_queries):
    from apps.audit.services import audit_record

    with scope(tenant=acme.tenant):
        for i in range(40):
            audit_record(
                tenant=acme.tenant,
                actor=acme.cam,
                verb="partner.user_added",
                data={"user": f"user{i}@one.acme.test"},
                target=acme.partner,
                partner_id=acme.partner.pk,
            )
    client = client_for(acme, acme.cam)
    client.get("/console/")
    with django_assert_max_num_queries(10):
        assert client.get(f"/console/partners/{acme.partner.pk}/").status_code == 200
