"""API keys in the console: program admins create them (scopes, expiry; shown once), revoke
them and read each key's request log."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scope

from apps.api.models import ApiKey, ApiRequestLog
from apps.api.services import (
    ApiKeyError,
    api_key_authenticate,
    api_key_create,
    api_request_log_record,
)
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

KEYS = "/console/settings/api-keys/"


def test_an_admin_creates_a_key_and_sees_it_once(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(KEYS, {"name": "Learning platform", "scopes": ["events:write"]})
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


def test_scopes_and_expiry_are_chosen_when_creating(acme, client_for):
    client = client_for(acme, acme.admin)
    page = client.get(KEYS).content.decode()
    for scope_name in ("partners:read", "webhooks:manage", "onboarding:write"):
        assert f'value="{scope_name}"' in page
    tomorrow = timezone.now().date() + timedelta(days=1)
    response = client.post(
        KEYS,
        {
            "name": "CRM sync",
            "scopes": ["partners:read", "partners:write"],
            "expires_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        key = ApiKey.objects.get()
    assert key.scopes == ["partners:read", "partners:write"]
    assert key.expires_at == datetime.combine(
        tomorrow + timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )
    listing = client.get(KEYS).content.decode()
    assert "partners:write" in listing and "Until" in listing and "Never used" in listing
    with time_machine.travel(key.expires_at + timedelta(minutes=1)):
        assert "Expired" in client.get(KEYS).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x"},  # no scope
        {"name": "x", "scopes": ["everything:admin"]},
        {"name": "x", "scopes": ["events:write"], "expires_on": "2001-01-01"},
        {"name": "x", "scopes": ["events:write"], "expires_on": "soon"},
    ],
)
def test_bad_choices_are_refused_and_create_nothing(acme, client_for, data):
    assert client_for(acme, acme.admin).post(KEYS, data).status_code == 422
    with scope(tenant=acme.tenant):
        assert not ApiKey.objects.exists()


def test_a_service_refuses_unknown_or_no_scopes_and_a_past_expiry(acme):
    with scope(tenant=acme.tenant):
        for kwargs in (
            {"scopes": []},
            {"scopes": ["root"]},
            {"scopes": ["events:write"], "expires_at": timezone.now() - timedelta(seconds=1)},
        ):
            with pytest.raises(ApiKeyError):
                api_key_create(tenant=acme.tenant, actor=acme.admin, name="x", **kwargs)


def _logged(program, key, n):
    with scope(tenant=program.tenant):
        for i in range(n):
            api_request_log_record(
                key=key,
                method="GET",
                path="/partners/{partner_id}",
                status=200 + i % 3 * 100,
                latency_ms=12,
            )


def test_the_request_log_page(acme, client_for):
    with scope(tenant=acme.tenant):
        key = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM").key
        other = api_key_create(tenant=acme.tenant, actor=acme.admin, name="LMS").key
    _logged(acme, key, 3)
    with scope(tenant=acme.tenant):
        api_request_log_record(key=other, method="POST", path="/events", status=201, latency_ms=5)
    page = client_for(acme, acme.admin).get(f"{KEYS}{key.pk}/log/").content.decode()
    assert page.count("/partners/{partner_id}") == 3 and "/events" not in page
    assert "12 ms" in page and ">400<" in page
    assert "/log/" in client_for(acme, acme.admin).get(KEYS).content.decode()


def test_the_request_log_pages_with_a_cursor(acme, client_for):
    with scope(tenant=acme.tenant):
        key = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM").key
    _logged(acme, key, 105)
    client = client_for(acme, acme.admin)
    first = client.get(f"{KEYS}{key.pk}/log/")
    assert len(first.context["rows"]) == 100 and first.context["next_cursor"]
    second = client.get(f"{KEYS}{key.pk}/log/", {"cursor": first.context["next_cursor"]})
    assert len(second.context["rows"]) == 5 and second.context["next_cursor"] is None
    assert client.get(f"{KEYS}{key.pk}/log/?cursor=forged").status_code == 404


def test_the_request_log_is_for_admins_of_the_program_only(acme, globex, client_for):
    with scope(tenant=acme.tenant):
        key = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM").key
    url = f"{KEYS}{key.pk}/log/"
    assert client_for(acme, acme.cam).get(url).status_code == 403
    assert client_for(acme, acme.partner_admin).get(url).status_code == 404
    assert client_for(acme, globex.admin).get(url).status_code == 404
    assert client_for(globex, globex.admin).get(url).status_code == 404
    assert client_for(acme).get(url).status_code == 302


def test_the_request_log_query_count_is_constant(acme, client_for, django_assert_max_num_queries):
    with scope(tenant=acme.tenant):
        key = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM").key
    client = client_for(acme, acme.admin)
    _logged(acme, key, 1)
    client.get(f"{KEYS}{key.pk}/log/")
    with django_assert_max_num_queries(20) as captured:
        client.get(f"{KEYS}{key.pk}/log/")
    _logged(acme, key, 60)
    with django_assert_max_num_queries(len(captured)):
        client.get(f"{KEYS}{key.pk}/log/")


def test_the_purge_keeps_the_retention_period(acme, settings):
    from apps.api.tasks import api_request_log_purge

    with scope(tenant=acme.tenant):
        key = api_key_create(tenant=acme.tenant, actor=acme.admin, name="CRM").key
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        _logged(acme, key, 2)
    _logged(acme, key, 1)
    assert api_request_log_purge() == 2
    assert api_request_log_purge() == 0
    with scope(tenant=acme.tenant):
        assert ApiRequestLog.objects.count() == 1
