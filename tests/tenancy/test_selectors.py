import pytest

from apps.tenancy.models import Membership, Role, TenantHost
from apps.tenancy.selectors import ProgramLink, memberships_of_user_all_tenants


@pytest.fixture
def cam_in_both(acme, globex, unscoped):
    Membership.objects.create(tenant=globex.tenant, user=acme.cam, role=Role.CHANNEL_MANAGER)
    return acme.cam


def test_lists_other_programs_on_their_primary_host(acme, globex, cam_in_both):
    links = memberships_of_user_all_tenants(user=cam_in_both, exclude=acme.tenant)
    assert links == [
        ProgramLink(
            tenant_id=globex.tenant.pk, name="Globex Program", url="http://globex.localhost/"
        )
    ]


def test_without_exclude_lists_every_program_by_name(acme, globex, cam_in_both):
    links = memberships_of_user_all_tenants(user=cam_in_both)
    assert [link.name for link in links] == ["Acme Program", "Globex Program"]


def test_uses_primary_host_and_site_port(acme, globex, cam_in_both, settings, unscoped):
    TenantHost.objects.create(tenant=globex.tenant, hostname="aaa.globex.test", is_primary=False)
    settings.SITE_SCHEME = "https"
    settings.SITE_PORT = "8443"
    (link,) = memberships_of_user_all_tenants(user=cam_in_both, exclude=acme.tenant)
    assert link.url == "https://globex.localhost:8443/"


def test_inactive_membership_is_not_listed(acme, globex, cam_in_both, unscoped):
    Membership.objects.filter(tenant=globex.tenant, user=cam_in_both).update(is_active=False)
    assert memberships_of_user_all_tenants(user=cam_in_both, exclude=acme.tenant) == []


def test_single_program_user_has_none(acme, globex):
    assert memberships_of_user_all_tenants(user=acme.cam, exclude=acme.tenant) == []


def test_anonymous_has_none(db):
    from django.contrib.auth.models import AnonymousUser

    assert memberships_of_user_all_tenants(user=AnonymousUser()) == []
    assert memberships_of_user_all_tenants(user=None) == []


def test_is_one_query(acme, globex, cam_in_both, django_assert_num_queries):
    with django_assert_num_queries(1):
        links = memberships_of_user_all_tenants(user=cam_in_both, exclude=acme.tenant)
    assert len(links) == 1


def test_membership_get_flags_users_with_other_programs(acme, globex, unscoped):
    from apps.tenancy.selectors import membership_get

    assert membership_get(tenant=acme.tenant, user=acme.cam).has_other_programs is False
    _ = Membership.objects.create(tenant=globex.tenant, user=acme.cam, role=Role.CHANNEL_MANAGER)
    assert membership_get(tenant=acme.tenant, user=acme.cam).has_other_programs is True
    Membership.objects.filter(tenant=globex.tenant, user=acme.cam).update(is_active=False)
    assert membership_get(tenant=acme.tenant, user=acme.cam).has_other_programs is False
