"""The middleware's tenant-per-host cache (apps/tenancy/selectors.py): a hit costs no
query, and any change to a program or its addresses takes effect on the next request, in
this process and (through the shared generation) in every other one."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django_scopes import scope

from apps.home.services_settings import (
    program_settings_update,
    tenant_host_add,
    tenant_host_make_primary,
    tenant_host_remove,
)
from apps.tenancy import selectors
from apps.tenancy.models import TenantHost
from apps.tenancy.selectors import (
    HOST_CACHE_GENERATION_KEY,
    tenant_for_host_cached_all_tenants,
)

pytestmark = pytest.mark.django_db


def _console(host: str, user) -> int:
    client = Client(headers={"host": host})
    client.force_login(user)
    return client.get("/console/").status_code


def test_a_cached_host_costs_no_query(acme, django_assert_num_queries):
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") == acme.tenant
    with django_assert_num_queries(0):
        assert tenant_for_host_cached_all_tenants(hostname="ACME.localhost:8000") == acme.tenant
        assert tenant_for_host_cached_all_tenants(hostname="") is None


def test_unknown_hosts_are_cached_too(acme, django_assert_num_queries):
    assert tenant_for_host_cached_all_tenants(hostname="nobody.localhost") is None
    with django_assert_num_queries(0):
        assert tenant_for_host_cached_all_tenants(hostname="nobody.localhost") is None


def test_each_caller_gets_its_own_copy(acme):
    first = tenant_for_host_cached_all_tenants(hostname="acme.localhost")
    first.name = "Changed by one request only"
    second = tenant_for_host_cached_all_tenants(hostname="acme.localhost")
    assert second.name == "Acme Program" and second is not first


def test_an_added_host_serves_at_once(acme, globex):
    assert _console("partners.acme.localhost", acme.admin) == 404  # cached as unknown
    with scope(tenant=acme.tenant):
        tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="partners.acme.localhost")
    assert _console("partners.acme.localhost", acme.admin) == 200
    assert tenant_for_host_cached_all_tenants(hostname="partners.acme.localhost") == acme.tenant


def test_a_removed_host_stops_serving_at_once(acme):
    with scope(tenant=acme.tenant):
        row = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="old.acme.localhost")
    assert _console("old.acme.localhost", acme.admin) == 200  # now cached
    with scope(tenant=acme.tenant):
        tenant_host_remove(
            tenant=acme.tenant, actor=acme.admin, host_id=row.pk, current_host="acme.localhost"
        )
    assert _console("old.acme.localhost", acme.admin) == 404
    assert tenant_for_host_cached_all_tenants(hostname="old.acme.localhost") is None


def test_a_host_moved_to_another_program_never_serves_the_old_one(acme, globex, unscoped):
    row = TenantHost.objects.create(tenant=acme.tenant, hostname="shared.localhost")
    assert tenant_for_host_cached_all_tenants(hostname="shared.localhost") == acme.tenant
    assert _console("shared.localhost", acme.admin) == 200
    row.delete()
    TenantHost.objects.create(tenant=globex.tenant, hostname="shared.localhost")
    assert tenant_for_host_cached_all_tenants(hostname="shared.localhost") == globex.tenant
    # Acme's admin is a stranger on Globex's host now; Globex's admin is at home.
    assert _console("shared.localhost", acme.admin) == 404
    assert _console("shared.localhost", globex.admin) == 200


def test_a_changed_host_row_is_seen_at_once(acme, globex, unscoped):
    row = TenantHost.objects.get(hostname="acme.localhost")
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") == acme.tenant
    row.hostname = "renamed.localhost"
    row.save(update_fields=["hostname"])
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") is None
    assert tenant_for_host_cached_all_tenants(hostname="renamed.localhost") == acme.tenant


def test_program_settings_are_seen_at_once(acme):
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost").name == "Acme Program"
    with scope(tenant=acme.tenant):
        program_settings_update(
            tenant=acme.tenant,
            actor=acme.admin,
            name="Acme Partners",
            brand_color=acme.tenant.brand_color,
            support_email=acme.tenant.support_email,
            time_zone=acme.tenant.time_zone,
            language=acme.tenant.language,
        )
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost").name == "Acme Partners"


def test_making_a_host_primary_keeps_serving(acme):
    with scope(tenant=acme.tenant):
        row = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="new.acme.localhost")
        tenant_host_make_primary(tenant=acme.tenant, actor=acme.admin, host_id=row.pk)
    assert _console("new.acme.localhost", acme.admin) == 200
    assert _console("acme.localhost", acme.admin) == 200


def test_another_process_change_is_seen_through_the_shared_generation(acme, unscoped):
    """Another server process changed a host: this process's dict still holds the old row,
    but the generation in the shared cache moved on, so it reads the host again."""
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") == acme.tenant
    # The other process's change: the row, and its bump of the shared generation only
    # (a queryset update sends no signal, so this process's dict is not cleared).
    TenantHost.objects.filter(hostname="acme.localhost").update(hostname="moved.localhost")
    assert "acme.localhost" in selectors._host_cache
    cache.set(HOST_CACHE_GENERATION_KEY, "set-by-another-process", timeout=None)
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") is None
    assert tenant_for_host_cached_all_tenants(hostname="moved.localhost") == acme.tenant


def test_a_cached_entry_expires(acme, unscoped, monkeypatch):
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") == acme.tenant
    TenantHost.objects.filter(hostname="acme.localhost").update(hostname="gone.localhost")
    monkeypatch.setattr(selectors, "HOST_CACHE_SECONDS", 0.0)
    assert tenant_for_host_cached_all_tenants(hostname="acme.localhost") is None


@pytest.mark.django_db(transaction=True)
def test_the_generation_moves_again_after_commit(acme):
    """A request that read the host between the change and its commit cached the old row
    under the first new generation; the bump on commit retires it."""
    with scope(tenant=acme.tenant):
        tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="late.acme.localhost")
        before = cache.get(HOST_CACHE_GENERATION_KEY)
        row = TenantHost.objects.get(hostname="late.acme.localhost")
        with transaction.atomic():
            row.delete()
            inside = cache.get(HOST_CACHE_GENERATION_KEY)
        after = cache.get(HOST_CACHE_GENERATION_KEY)
    assert len({before, inside, after}) == 3
    assert tenant_for_host_cached_all_tenants(hostname="late.acme.localhost") is None
