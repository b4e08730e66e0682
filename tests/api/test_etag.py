"""ETag / If-None-Match on every GET of the API: 304 with no body when unchanged."""

import pytest

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"


def test_a_get_has_an_etag_and_if_none_match_gives_304(acme, api_client_for):
    client = api_client_for(["partners:read", "events:write"])
    first = client.get(EVENTS)
    assert first.status_code == 200
    tag = first["ETag"]
    assert tag.startswith('"') and first["Cache-Control"] == "private, no-cache"
    again = client.get(EVENTS, HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == tag and "RateLimit-Remaining" in again
    assert client.get(EVENTS, HTTP_IF_NONE_MATCH=f'"other", W/{tag}').status_code == 304
    assert client.get(EVENTS, HTTP_IF_NONE_MATCH="*").status_code == 304
    # A change: a new tag, a full answer.
    client.post(
        EVENTS, {"partner_id": acme.partner.pk, "type": "deal.registered"}, "application/json"
    )
    changed = client.get(EVENTS, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed["ETag"] != tag


def test_errors_and_writes_have_no_etag(acme, api_client_for, client_for):
    client = api_client_for(["events:write"])
    assert "ETag" not in client.get(EVENTS)  # 403
    assert "ETag" not in client_for(acme).get(EVENTS)  # 401
    created = client.post(
        EVENTS, {"partner_id": acme.partner.pk, "type": "deal.registered"}, "application/json"
    )
    assert created.status_code == 201 and "ETag" not in created


def test_the_schema_has_an_etag_too(acme, client_for):
    first = client_for(acme).get("/api/v1/schema/")
    assert (
        client_for(acme).get("/api/v1/schema/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    )
