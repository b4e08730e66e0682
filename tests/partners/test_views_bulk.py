"""The Explorer's Unassigned CAM filter and its bulk CAM/tier change (issue 10, point 2)."""

import pytest
from django_scopes import scopes_disabled

from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerType
from apps.tenancy.models import Membership

pytestmark = pytest.mark.django_db


def _names(response):
    return [p.name for p in response.context["page"].object_list]


def test_unassigned_lists_partners_without_an_active_cam(acme, globex, client_for):
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(cam=None)
        types = PartnerType.objects.filter(tenant=acme.tenant)
        PartnerAccount.objects.create(
            tenant=acme.tenant, name="Acme Partner Three", partner_type=types[0], cam=acme.admin
        )
    client = client_for(acme, acme.admin)
    assert _names(client.get("/console/partners/", {"cam": "unassigned"})) == ["Acme Partner Two"]
    with scopes_disabled():
        Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    assert _names(client.get("/console/partners/", {"cam": "unassigned"})) == [
        "Acme Partner One",
        "Acme Partner Two",
    ]
    # Everyone still listed without the filter; Three's CAM is active.
    assert len(_names(client.get("/console/partners/"))) == 3


def test_the_explorer_offers_checkboxes_and_the_bulk_form(acme, client_for):
    response = client_for(acme, acme.cam).get("/console/partners/")
    html = response.content.decode()
    assert 'action="/console/partners/bulk/"' in html
    assert f'name="partner" value="{acme.partner.pk}"' in html


def test_bulk_assign_and_tier_redirects_back_with_filters(acme, client_for):
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(cam=None)
    client = client_for(acme, acme.cam)
    response = client.post(
        "/console/partners/bulk/",
        {
            "partner": [acme.partner.pk, acme.other_partner.pk],
            "cam": acme.admin.pk,
            "tier": "silver",
            "query": "cam=unassigned&sort=-name",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/partners/?cam=unassigned&sort=-name"
    with scopes_disabled():
        assert set(
            PartnerAccount.objects.filter(tenant=acme.tenant).values_list("cam_id", "tier")
        ) == {(acme.admin.pk, "silver")}
        assert AuditEvent.objects.filter(verb="partner.updated", actor=acme.cam).count() == 2
    page = client.get(response["Location"])
    assert "2 partner accounts updated." in [str(m) for m in page.context["messages"]]


def test_forged_ids_of_another_tenant_change_nothing(acme, globex, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(
        "/console/partners/bulk/",
        {"partner": [acme.partner.pk, globex.partner.pk], "tier": "platinum"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not PartnerAccount.objects.filter(tier="platinum").exists()
        assert not AuditEvent.objects.filter(verb="partner.updated").exists()


def test_an_inactive_staff_member_cannot_be_assigned(acme, client_for):
    with scopes_disabled():
        Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
        PartnerAccount.objects.filter(tenant=acme.tenant).update(cam=None)
    response = client_for(acme, acme.admin).post(
        "/console/partners/bulk/", {"partner": [acme.partner.pk], "cam": acme.cam.pk}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert PartnerAccount.objects.get(pk=acme.partner.pk).cam_id is None


@pytest.mark.parametrize("who", ["partner_admin", "partner_user"])
def test_a_partner_user_cannot_bulk_update(acme, client_for, who):
    response = client_for(acme, getattr(acme, who)).post(
        "/console/partners/bulk/", {"partner": [acme.partner.pk], "tier": "gold"}
    )
    assert response.status_code in (403, 404)
    with scopes_disabled():
        assert not PartnerAccount.objects.filter(tier="gold").exists()


def test_bulk_only_accepts_post(acme, client_for):
    assert client_for(acme, acme.admin).get("/console/partners/bulk/").status_code == 405


@pytest.mark.parametrize("count", [3, 50])
def test_bulk_query_count_is_bounded(acme, client_for, django_assert_max_num_queries, count):
    with scopes_disabled():
        types = list(PartnerType.objects.filter(tenant=acme.tenant))
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(tenant=acme.tenant, name=f"Bulk {i:03d}", partner_type=types[0])
            for i in range(count)
        )
    client = client_for(acme, acme.cam)
    client.get("/console/partners/")  # warm the session
    # Assigning oneself notifies no one: host, session, user, membership, CAMs, savepoint,
    # staff check, CAM check, lock, update, audit insert, savepoint release, session save.
    with django_assert_max_num_queries(15):
        response = client.post(
            "/console/partners/bulk/",
            {"partner": [a.pk for a in accounts], "cam": acme.cam.pk, "tier": "gold"},
        )
    assert response.status_code == 302
    with scopes_disabled():
        assert PartnerAccount.objects.filter(cam=acme.cam, tier="gold").count() == count
