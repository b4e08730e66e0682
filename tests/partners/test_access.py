"""apps/partners/access.py: a partner account's views resolve it once, within the tenant."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django_scopes import scope

from apps.partners.access import (
    console_admin_partner_view,
    console_partner_view,
    portal_partner_account,
)
from apps.tenancy import access
from apps.tenancy.selectors import membership_get

pytestmark = pytest.mark.django_db


def _request(program, user):
    request = RequestFactory(headers={"host": program.host}).get("/console/partners/x/")
    request.tenant = program.tenant
    request.user = user or AnonymousUser()
    with scope(tenant=program.tenant):
        request.membership = membership_get(tenant=program.tenant, user=user)
    return request


@console_partner_view
def _shows_partner(request, partner_id: int):
    account = request.partner_account
    # What the console's partner header shows: type and CAM come with the account.
    return HttpResponse(f"{account.name}|{account.partner_type.name}|{account.cam.email}")


@console_admin_partner_view
def _admin_only(request, partner_id: int):
    return HttpResponse(request.partner_account.name)


def _call(view, program, user, partner_id):
    with scope(tenant=program.tenant):
        return view(_request(program, user), partner_id=partner_id)


def test_the_views_declare_the_console_rules_for_the_isolation_walker():
    assert _shows_partner.access == access.CONSOLE
    assert _admin_only.access == access.CONSOLE_ADMIN


def test_the_account_is_resolved_once_with_its_type_and_cam(acme, django_assert_num_queries):
    request = _request(acme, acme.cam)
    with scope(tenant=acme.tenant), django_assert_num_queries(1):
        response = _shows_partner(request, partner_id=acme.partner.pk)
    assert response.content.decode() == (f"{acme.partner.name}|Reseller / VAR|{acme.cam.email}")
    assert request.partner_account == acme.partner


def test_another_tenants_partner_id_is_404(acme, globex):
    with pytest.raises(Http404):
        _call(_shows_partner, acme, acme.cam, globex.partner.pk)
    with pytest.raises(Http404):
        _call(_shows_partner, acme, acme.admin, 10**9)


def test_partner_users_get_404_before_any_look_up(acme, django_assert_num_queries):
    for user in (acme.partner_admin, acme.partner_user):
        request = _request(acme, user)
        with scope(tenant=acme.tenant), django_assert_num_queries(0), pytest.raises(Http404):
            _shows_partner(request, partner_id=acme.partner.pk)
        assert not hasattr(request, "partner_account")


def test_a_cam_gets_403_on_admin_views_and_anonymous_visitors_sign_in(acme):
    with pytest.raises(PermissionDenied):
        _call(_admin_only, acme, acme.cam, acme.partner.pk)
    assert _call(_admin_only, acme, acme.admin, acme.partner.pk).status_code == 200
    response = _call(_shows_partner, acme, None, acme.partner.pk)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_partner_page_of_another_tenant_is_404_through_the_urls(acme, globex, client_for):
    client = client_for(acme, acme.admin)
    for suffix in ("", "onboarding/", "milestones/", "milestones/review/"):
        assert client.get(f"/console/partners/{globex.partner.pk}/{suffix}").status_code == 404
        assert client.get(f"/console/partners/{acme.partner.pk}/{suffix}").status_code in (
            200,
            302,
        )


def test_portal_partner_account_is_the_users_own_account(acme):
    with scope(tenant=acme.tenant):
        for user, account in (
            (acme.partner_admin, acme.partner),
            (acme.partner_user, acme.partner),
            (acme.other_partner_user, acme.other_partner),
        ):
            assert portal_partner_account(_request(acme, user)) == account


def test_portal_partner_account_is_404_for_staff(acme):
    with scope(tenant=acme.tenant):
        for user in (acme.admin, acme.cam, None):
            with pytest.raises(Http404):
                portal_partner_account(_request(acme, user))
