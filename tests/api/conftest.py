"""Shared fixtures of the API tests.

`api_client_for(scopes, program=acme)` gives a Django test client on the program's host
that sends `Authorization: Bearer <a new key with those scopes>`:

    def test_x(acme, api_client_for):
        client = api_client_for(["partners:read"])            # acme's key
        response = client.get("/api/v1/partners")
        client.api_key          # the ApiKey row;  client.secret: the full key
        other = api_client_for(ALL_SCOPES, program=globex)      # another program's key
        client.post("/api/v1/events", {"partner_id": 1, "type": "a.b"},
                    content_type="application/json")
"""

import json

import pytest
from django.test import Client
from django_scopes import scope

from apps.api.models import ApiScope
from apps.api.services import api_key_create

ALL_SCOPES = list(ApiScope.values)


@pytest.fixture
def api_client_for(acme):
    def make(scopes=None, program=None, *, tenant=None, host=None, name="Test key", **create):
        program = program or tenant or acme
        with scope(tenant=program.tenant):
            created = api_key_create(
                tenant=program.tenant,
                actor=program.admin,
                name=name,
                scopes=ALL_SCOPES if scopes is None else scopes,
                **create,
            )
        client = Client(
            headers={"host": host or program.host, "authorization": f"Bearer {created.secret}"}
        )
        client.api_key = created.key
        client.secret = created.secret
        return client

    return make


@pytest.fixture
def api_key(acme):
    """(ApiKey, secret) of acme, with the scope keys had before scopes existed."""
    with scope(tenant=acme.tenant):
        created = api_key_create(
            tenant=acme.tenant, actor=acme.admin, name="LMS", scopes=["events:write"]
        )
    return created.key, created.secret


@pytest.fixture
def post_event(client_for, acme, api_key):
    """POST /api/v1/events on acme's host with acme's key (override key=/host program)."""

    def post(body, *, key=None, program=None, idempotency_key=None, raw=None, **headers):
        client = client_for(program or acme)
        if key is not False:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key or api_key[1]}"
        if idempotency_key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return client.post(
            "/api/v1/events",
            data=raw if raw is not None else json.dumps(body),
            content_type="application/json",
            **headers,
        )

    return post
