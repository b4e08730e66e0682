import csv
import io

import pytest
from django_scopes import scope, scopes_disabled

from apps.partners.models import PartnerAccount, PartnerDomain, PartnerStatus, PartnerType, Tier
from apps.tenancy import access

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
    assert first.context["page"].count == 62
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
    # host, session, user, membership, types, tiers, CAMs, count, rows, domains, unread count,
    # + the stage filter's choices and the current stage column (issue 11: registered by
    # onboarding, one query each; the saved views menu and nav are cached).
    with django_assert_max_num_queries(13):
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
    # + 1 for the company profile card (issue 12: the profile and required fields together).
    with django_assert_max_num_queries(11):
        assert client.get(f"/console/partners/{acme.partner.pk}/").status_code == 200


# --- Suspend and reactivate ------------------------------------------------------------------


def _status(program):
    with scope(tenant=program.tenant):
        return PartnerAccount.objects.get(pk=program.partner.pk).status


def _set_status(program, status):
    with scope(tenant=program.tenant):
        PartnerAccount.objects.filter(pk=program.partner.pk).update(status=status)


def test_the_partner_page_offers_suspend_then_reactivate(acme, client_for):
    client = client_for(acme, acme.cam)
    page = client.get(f"/console/partners/{acme.partner.pk}/")
    assert page.context["status_events"] == {"suspend"}
    assert f'action="/console/partners/{acme.partner.pk}/suspend/"' in page.text
    assert "/reactivate/" not in page.text

    response = client.post(f"/console/partners/{acme.partner.pk}/suspend/", {"reason": "Unpaid"})
    assert response.status_code == 302
    assert response["Location"] == f"/console/partners/{acme.partner.pk}/"
    assert _status(acme) == PartnerStatus.SUSPENDED
    page = client.get(response["Location"])
    assert "is suspended" in page.text
    assert page.context["status_events"] == {"reactivate"}
    assert f'action="/console/partners/{acme.partner.pk}/reactivate/"' in page.text
    assert "/suspend/" not in page.text
    assert "Suspended partner account" in page.text  # the timeline

    response = client.post(f"/console/partners/{acme.partner.pk}/reactivate/")
    assert response.status_code == 302
    assert _status(acme) == PartnerStatus.ACTIVE
    assert "is active again" in client.get(response["Location"]).text


@pytest.mark.parametrize(("action", "status"), [("suspend", "suspended"), ("reactivate", "active")])
def test_a_refused_transition_says_so_and_changes_nothing(acme, client_for, action, status):
    _set_status(acme, status)
    client = client_for(acme, acme.admin)
    response = client.post(f"/console/partners/{acme.partner.pk}/{action}/", follow=True)
    assert response.status_code == 200
    assert f"already {status}" in response.text
    assert _status(acme) == status


@pytest.mark.parametrize("action", ["suspend", "reactivate"])
def test_suspend_and_reactivate_only_accept_post(acme, client_for, action):
    response = client_for(acme, acme.cam).get(f"/console/partners/{acme.partner.pk}/{action}/")
    assert response.status_code == 405
    assert _status(acme) == PartnerStatus.ACTIVE


def test_the_other_tenant_gets_404(acme, globex, client_for):
    for user in (globex.admin, globex.cam):
        # Their own host, this program's partner id: not theirs.
        response = client_for(globex, user).post(f"/console/partners/{acme.partner.pk}/suspend/")
        assert response.status_code == 404
        # This program's host: they are strangers here.
        response = client_for(acme, user).post(f"/console/partners/{acme.partner.pk}/suspend/")
        assert response.status_code == 404
    assert _status(acme) == PartnerStatus.ACTIVE


@pytest.mark.parametrize("who", ["partner_admin", "partner_user", "other_partner_user"])
def test_a_partner_user_cannot_suspend(acme, client_for, who):
    client = client_for(acme, getattr(acme, who))
    for account in (acme.partner, acme.other_partner):
        response = client.post(f"/console/partners/{account.pk}/suspend/")
        assert response.status_code == 404
    assert _status(acme) == PartnerStatus.ACTIVE


def _portal_routes():
    from tests.tenancy.test_isolation import product_routes

    return [
        (route, name, callback.access)
        for route, callback, name in product_routes()
        if callback.access in (access.PORTAL, access.PORTAL_ADMIN)
        and name != "partners_portal:suspended"
    ]


@pytest.mark.usefixtures("milestone_template")
@pytest.mark.parametrize("who", ["partner_admin", "partner_user"])
def test_a_suspended_partners_users_get_the_suspended_page_for_every_portal_url(
    acme, client_for, who
):
    from tests.tenancy.test_isolation import _fingerprint, _path, _samples

    samples = _samples(acme)
    routes = _portal_routes()
    assert {"portal:home", "content_portal:asset_download", "onboarding_portal:journey"} <= {
        name for _, name, _ in routes
    }
    _set_status(acme, PartnerStatus.SUSPENDED)
    client = client_for(acme, getattr(acme, who))
    before = _fingerprint()
    for route, name, rule in routes:
        path = _path(route, samples.get(name, {}))
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if rule == access.PORTAL_ADMIN and who == "partner_user":
                # Refused by the role check before the suspension is looked at.
                assert response.status_code == 403, (method, path, response.status_code)
                continue
            assert response.status_code == 302, (method, path, response.status_code)
            assert response["Location"] == "/portal/suspended/", (method, path)
    assert _fingerprint() == before  # no download recorded, no action completed

    page = client.get("/portal/suspended/")
    assert page.status_code == 403
    assert "Your partner account is suspended" in page.text
    assert 'class="portal-nav"' not in page.text  # nothing else to open


def test_the_other_account_is_not_affected(acme, client_for):
    _set_status(acme, PartnerStatus.SUSPENDED)
    client = client_for(acme, acme.other_partner_user)
    assert client.get("/portal/").status_code == 200
    # Not suspended: the suspended page sends them home.
    response = client.get("/portal/suspended/")
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_the_suspended_page_is_for_partners_only(acme, globex, client_for):
    for user in (acme.admin, acme.cam, globex.partner_admin):
        assert client_for(acme, user).get("/portal/suspended/").status_code == 404


def test_reactivation_restores_access(acme, client_for):
    from apps.partners.services import partner_reactivate, partner_suspend

    client = client_for(acme, acme.partner_user)
    assert client.get("/portal/").status_code == 200
    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk)
    response = client.get("/portal/")
    assert response.status_code == 302 and response["Location"] == "/portal/suspended/"
    with scope(tenant=acme.tenant):
        partner_reactivate(tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk)
    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/suspended/")["Location"] == "/portal/"
