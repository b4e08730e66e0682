"""`portal.access_confirmed`: the first sign-in of any user of a partner account, through the
real sign-in page, recorded once per account."""

import pytest
from django.test import Client
from django_scopes import scope

from apps.partners.models import PartnerAccount, PartnerEvent

pytestmark = pytest.mark.django_db

EVENT = "portal.access_confirmed"


def _sign_in(program, email, password):
    client = Client(headers={"host": program.host})
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


def _events(program, account):
    with scope(tenant=program.tenant):
        return list(PartnerEvent.objects.filter(account=account, type=EVENT))


def test_first_sign_in_of_any_user_records_one_event_per_account(acme):
    _sign_in(acme, acme.partner_admin.email, "pw-padmin-123456")
    [event] = _events(acme, acme.partner)
    assert event.source == "portal" and event.recorded_by == acme.partner_admin
    assert event.idempotency_key == f"portal-access:{acme.partner.pk}"
    _sign_in(acme, acme.partner_user.email, "pw-puser-123456")
    _sign_in(acme, acme.partner_admin.email, "pw-padmin-123456")
    assert len(_events(acme, acme.partner)) == 1
    assert _events(acme, acme.other_partner) == []
    _sign_in(acme, acme.other_partner_user.email, "pw-other-123456")
    assert len(_events(acme, acme.other_partner)) == 1


def test_staff_sign_in_records_nothing(acme):
    _sign_in(acme, acme.cam.email, "pw-cam-123456")
    with scope(tenant=acme.tenant):
        assert not PartnerEvent.objects.filter(type=EVENT).exists()


def test_a_suspended_partner_records_nothing(acme):
    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(status="suspended")
    _sign_in(acme, acme.partner_user.email, "pw-puser-123456")
    assert _events(acme, acme.partner) == []


def test_an_already_confirmed_account_costs_one_query(acme, django_assert_num_queries):
    from apps.partners.services.profile import portal_access_confirm

    _sign_in(acme, acme.partner_admin.email, "pw-padmin-123456")
    with scope(tenant=acme.tenant), django_assert_num_queries(1):
        assert portal_access_confirm(tenant=acme.tenant, user=acme.partner_user) is False


def test_a_failure_never_breaks_the_sign_in(acme, monkeypatch):
    from apps.partners.services import profile

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(profile, "portal_access_confirm", broken)
    client = _sign_in(acme, acme.partner_admin.email, "pw-padmin-123456")
    assert client.get("/portal/").status_code == 200
    assert _events(acme, acme.partner) == []
