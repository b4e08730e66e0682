import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.tenancy.models import Membership, Role

GLOBEX_LINK = 'href="http://globex.localhost/"'


def _join(program, user, role):
    Membership.objects.create(tenant=program.tenant, user=user, role=role)


@pytest.mark.parametrize(
    ("who", "url_name", "role"),
    [
        ("cam", "console:home", Role.CHANNEL_MANAGER),
        ("partner_user", "portal:home", Role.PARTNER_USER),
    ],
)
def test_user_in_two_programs_sees_the_other(
    acme, globex, client_for, unscoped, who, url_name, role
):
    user = getattr(acme, who)
    _join(globex, user, role)
    response = client_for(acme, user).get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Switch program" in html
    assert GLOBEX_LINK in html
    assert "Globex Program" in html
    # The current program is not offered.
    assert 'href="http://acme.localhost/"' not in html


@pytest.mark.parametrize(
    ("who", "url_name"), [("cam", "console:home"), ("partner_user", "portal:home")]
)
def test_user_in_one_program_sees_no_switcher(acme, globex, client_for, who, url_name):
    response = client_for(acme, getattr(acme, who)).get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Switch program" not in html
    assert GLOBEX_LINK not in html


def test_inactive_membership_is_not_offered(acme, globex, client_for, unscoped):
    _join(globex, acme.cam, Role.CHANNEL_MANAGER)
    Membership.objects.filter(tenant=globex.tenant, user=acme.cam).update(is_active=False)
    html = client_for(acme, acme.cam).get(reverse("console:home")).content.decode()
    assert "Switch program" not in html
    assert GLOBEX_LINK not in html


def test_console_home_queries_do_not_grow_with_a_second_program(acme, globex, client_for, unscoped):
    client = client_for(acme, acme.cam)
    url = reverse("console:home")
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as one_program:
        assert client.get(url).status_code == 200
    _join(globex, acme.cam, Role.CHANNEL_MANAGER)
    with CaptureQueriesContext(connection) as two_programs:
        response = client.get(url)
    assert GLOBEX_LINK in response.content.decode()
    assert len(two_programs) <= len(one_program) + 1


def test_one_program_user_pays_no_switcher_query(acme, globex, client_for, monkeypatch):
    from apps.tenancy import context_processors

    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return []

    monkeypatch.setattr(context_processors, "memberships_of_user_all_tenants", spy)
    response = client_for(acme, acme.cam).get(reverse("console:home"))
    assert response.status_code == 200
    assert calls == []


def test_two_program_user_is_read_once_per_page(acme, globex, client_for, unscoped, monkeypatch):
    from apps.tenancy import context_processors

    _join(globex, acme.cam, Role.CHANNEL_MANAGER)
    real = context_processors.memberships_of_user_all_tenants
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(context_processors, "memberships_of_user_all_tenants", spy)
    response = client_for(acme, acme.cam).get(reverse("console:home"))
    # The account partial renders twice (mobile menu and sidebar); the list is read once.
    assert response.content.decode().count(GLOBEX_LINK) == 2
    assert len(calls) == 1
