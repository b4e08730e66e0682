import pytest
from django.test import Client
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from apps.partners.models import PartnerAccount
from apps.tenancy.models import TenantHost

pytestmark = pytest.mark.django_db


def test_tenant_resolved_from_host(acme, globex, client_for):
    response = client_for(acme, acme.admin).get("/console/")
    assert response.status_code == 200
    assert response.context["tenant"] == acme.tenant
    response = client_for(globex, globex.admin).get("/console/")
    assert response.context["tenant"] == globex.tenant


def test_host_match_ignores_port_and_case(acme):
    client = Client(headers={"host": "ACME.localhost:8000"})
    client.force_login(acme.admin)
    assert client.get("/console/").status_code == 200


def test_unknown_host_is_404_even_for_a_signed_in_member(acme):
    client = Client(headers={"host": "nobody.localhost"})
    client.force_login(acme.admin)
    for path in ["/", "/console/", "/console/partners/", "/portal/", "/accounts/login/"]:
        assert client.get(path).status_code == 404, path


def test_second_hostname_serves_the_same_tenant(acme, unscoped):
    TenantHost.objects.create(tenant=acme.tenant, hostname="partners.acme.localhost")
    client = Client(headers={"host": "partners.acme.localhost"})
    client.force_login(acme.admin)
    response = client.get("/console/")
    assert response.status_code == 200
    assert response.context["tenant"] == acme.tenant


def test_healthz_needs_no_tenant_host(settings):
    # The test database and Redis answer, so the bare host gets the health check itself
    # (not the middleware's unknown-host 404). Heartbeat ages are tested in tests/core.
    settings.HEALTH_MAX_SWEEP_AGE = 10**9
    response = Client(headers={"host": "localhost"}).get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == response.json()["redis"] == "ok"


def test_healthz_reports_503_on_a_bare_host_when_redis_is_unreachable(settings):
    import socket

    with socket.socket() as closed:  # a port nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = Client(headers={"host": "localhost"}).get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


def test_member_of_other_tenant_gets_404_on_this_host(acme, globex, client_for):
    # globex's admin carries a session onto acme's host: a stranger there.
    client = client_for(acme, globex.admin)
    assert client.get("/console/").status_code == 404
    assert client.get("/console/partners/").status_code == 404
    assert client.get("/portal/").status_code == 404


def test_scoped_queries_fail_closed_outside_a_scope(acme):
    with pytest.raises(ScopeError):
        list(PartnerAccount.objects.all())
    # An active scope that names no tenant fails closed as well.
    with scope(), pytest.raises(ScopeError):
        PartnerAccount.objects.filter(name="x").exists()
    with scope(tenant=acme.tenant):
        names = set(PartnerAccount.objects.values_list("name", flat=True))
    assert names == {"Acme Partner One", "Acme Partner Two"}


def test_scope_never_returns_another_tenants_rows(acme, globex):
    with scope(tenant=acme.tenant):
        assert not PartnerAccount.objects.filter(pk=globex.partner.pk).exists()
