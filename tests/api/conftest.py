import json

import pytest
from django_scopes import scope

from apps.api.services import api_key_create


@pytest.fixture
def api_key(acme):
    """(ApiKey, secret) of acme."""
    with scope(tenant=acme.tenant):
        created = api_key_create(tenant=acme.tenant, actor=acme.admin, name="LMS")
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
