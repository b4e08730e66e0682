"""API keys in the console: program admins create (shown once) and revoke them."""

import pytest
from django_scopes import scope

from apps.api.models import ApiKey
from apps.api.services import ApiKeyError, api_key_authenticate, api_key_create
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

KEYS = "/console/settings/api-keys/"


def test_an_admin_creates_a_key_and_sees_it_once(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(KEYS, {"name": "Learning platform"})
    assert response.status_code == 302
    page = client.get(KEYS).content.decode()
    with scope(tenant=acme.tenant):
        key = ApiKey.objects.get()
        assert AuditEvent.objects.filter(verb="api_key.created").count() == 1
    assert "it will not be shown again" in page
    start = page.index("onr_" + key.prefix + "_")
    secret = page[start : page.index("<", start)]
    assert len(secret) > 40 and key.secret_hash not in page
    with scope(tenant=acme.tenant):
        assert api_key_authenticate(tenant=acme.tenant, raw=secret) == key
    # Shown once: the next visit only has the prefix.
    again = client.get(KEYS).content.decode()
    assert secret not in again and f"onr_{key.prefix}_…" in again


def test_the_secret_is_stored_hashed(acme):
    with scope(tenant=acme.tenant):
        created = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM")
        stored = ApiKey.objects.get(pk=created.key.pk)
    assert created.secret not in (stored.secret_hash, stored.prefix)
    assert created.secret.startswith(f"onr_{stored.prefix}_")


def test_revoke(acme, client_for):
    with scope(tenant=acme.tenant):
        created = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM")
    client = client_for(acme, acme.admin)
    assert client.post(f"{KEYS}{created.key.pk}/revoke/").status_code == 302
    with scope(tenant=acme.tenant):
        assert api_key_authenticate(tenant=acme.tenant, raw=created.secret) is None
        assert ApiKey.objects.get().revoked_by == acme.admin
    # Twice: a message, no change.
    page = client.post(f"{KEYS}{created.key.pk}/revoke/", follow=True).content.decode()
    assert "already revoked" in page


def test_a_name_is_required(acme, client_for):
    assert client_for(acme, acme.admin).post(KEYS, {"name": " "}).status_code == 422


def test_cams_are_refused_and_partners_and_strangers_get_404(acme, globex, client_for):
    with scope(tenant=acme.tenant):
        key = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM").key
    assert client_for(acme, acme.cam).get(KEYS).status_code == 403
    assert client_for(acme, acme.cam).post(KEYS, {"name": "x"}).status_code == 403
    assert client_for(acme, acme.partner_admin).get(KEYS).status_code == 404
    assert client_for(acme, globex.admin).get(KEYS).status_code == 404
    # globex's admin on their own host, aiming at acme's key.
    assert client_for(globex, globex.admin).post(f"{KEYS}{key.pk}/revoke/").status_code == 404
    with scope(tenant=acme.tenant):
        assert ApiKey.objects.get().revoked_at is None
        with pytest.raises(ApiKeyError):
            api_key_create(tenant=acme.tenant, actor=acme.cam, name="x")


def test_the_key_list_query_count_is_constant(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.admin)
    with scope(tenant=acme.tenant):
        api_key_create(tenant=acme.tenant, actor=acme.admin, name="one")
    client.get(KEYS)
    with django_assert_max_num_queries(20) as captured:
        client.get(KEYS)
    with scope(tenant=acme.tenant):
        for i in range(10):
            api_key_create(tenant=acme.tenant, actor=acme.admin, name=f"k{i}")
    with django_assert_max_num_queries(len(captured)):
        client.get(KEYS)
