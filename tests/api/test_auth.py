"""API keys on the API: scopes (403), other programs' keys, revoked and expired keys (401),
the per-key request log, last use."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_scopes import scope

from apps.api.models import ApiKey, ApiRequestLog
from apps.api.services import api_key_revoke
from apps.audit.models import AuditEvent
from tests.api.conftest import ALL_SCOPES

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"


def _log(program, key=None):
    with scope(tenant=program.tenant):
        rows = ApiRequestLog.objects.filter(tenant=program.tenant).order_by("id")
        if key is not None:
            rows = rows.filter(key=key)
        return list(rows.values_list("method", "path", "status"))


def test_a_key_without_the_scope_gets_403_and_one_with_it_200(acme, api_client_for):
    writer = api_client_for(["events:write"])
    response = writer.get(EVENTS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert 'scope="partners:read"' in response["WWW-Authenticate"]
    reader = api_client_for(["partners:read"])
    assert reader.get(EVENTS).status_code == 200
    refused = reader.post(
        EVENTS, {"partner_id": acme.partner.pk, "type": "deal.registered"}, "application/json"
    )
    assert refused.status_code == 403


def test_another_programs_key_is_401_on_this_host(acme, globex, api_client_for):
    globex_key = api_client_for(ALL_SCOPES, program=globex)
    on_acme = Client(headers={"host": acme.host, "authorization": f"Bearer {globex_key.secret}"})
    response = on_acme.get(EVENTS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _log(acme) == [] and _log(globex) == []


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Token abc", "Bearer onr_x_y"])
def test_missing_or_malformed_keys_are_401(acme, client_for, header):
    client = client_for(acme)
    response = client.get(EVENTS, HTTP_AUTHORIZATION=header) if header else client.get(EVENTS)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}


def test_a_revoked_key_is_401_and_the_refusal_is_logged_against_it(acme, api_client_for):
    client = api_client_for(["partners:read"])
    assert client.get(EVENTS).status_code == 200
    with scope(tenant=acme.tenant):
        api_key_revoke(tenant=acme.tenant, actor=acme.admin, key_id=client.api_key.pk)
    response = client.get(EVENTS)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
    assert _log(acme, client.api_key) == [("GET", "/events", 200), ("GET", "/events", 401)]


def test_an_expired_key_is_401(acme, api_client_for):
    expires = timezone.now() + timedelta(days=1)
    client = api_client_for(["partners:read"], expires_at=expires)
    assert client.get(EVENTS).status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1)):
        response = client.get(EVENTS)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_last_used_is_recorded_at_most_every_few_minutes(
    acme, api_client_for, django_assert_max_num_queries
):
    client = api_client_for(["partners:read"])
    assert client.api_key.last_used_at is None
    client.get(EVENTS)
    with scope(tenant=acme.tenant):
        first = ApiKey.objects.get(pk=client.api_key.pk).last_used_at
    assert first is not None
    client.get(EVENTS)
    with scope(tenant=acme.tenant):
        assert ApiKey.objects.get(pk=client.api_key.pk).last_used_at == first


def test_each_request_writes_one_log_row_with_the_route_not_the_path(acme, api_client_for):
    client = api_client_for(ALL_SCOPES)
    client.get(f"{EVENTS}?partner_id={acme.partner.pk}&limit=5")
    client.post(
        EVENTS,
        {"partner_id": acme.partner.pk, "type": "deal.registered", "reference": "DR-1"},
        "application/json",
    )
    client.post(EVENTS, {"partner_id": 999999, "type": "deal.registered"}, "application/json")
    client.put(EVENTS)
    assert _log(acme, client.api_key) == [
        ("GET", "/events", 200),
        ("POST", "/events", 201),
        ("POST", "/events", 404),
        ("PUT", "/events", 405),
    ]
    with scope(tenant=acme.tenant):
        row = ApiRequestLog.objects.filter(tenant=acme.tenant).first()
    assert row.latency_ms >= 0 and row.created_at is not None


def test_a_key_acts_as_itself_in_the_audit_log(acme):
    with scope(tenant=acme.tenant):
        from apps.api.services import api_key_create

        key = api_key_create(
            tenant=acme.tenant, actor=acme.admin, name="CRM sync", scopes=["partners:write"]
        ).key
        assert key.audit_label == f"API key CRM sync (onr_{key.prefix}…)"
        created = AuditEvent.objects.get(verb="api_key.created")
    assert created.data["scopes"] == ["partners:write"]


def test_a_server_error_is_logged_against_the_key(acme, api_client_for, monkeypatch):
    client = api_client_for(["partners:read"])
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("apps.api.routers.events.events_for", broken)
    assert client.get(EVENTS).status_code == 500
    assert _log(acme, client.api_key) == [("GET", "/events", 500)]
