"""The OpenAPI 3.1 document at /api/v1/schema/, generated from the code, and the docs page."""

import json

import pytest

pytestmark = pytest.mark.django_db


def _document(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_the_schema_is_valid_openapi_for_the_programs_host(acme, globex, client_for):
    document = _document(client_for(acme))
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://acme.localhost/api/v1"}]
    assert _document(client_for(globex))["servers"] == [{"url": "http://globex.localhost/api/v1"}]
    assert {"post", "get"} <= set(document["paths"]["/events"])
    operation = document["paths"]["/events"]["post"]
    assert {"200", "201", "400", "401", "403", "404", "409", "422", "429"} <= set(
        operation["responses"]
    )
    assert operation["parameters"][0]["name"] == "Idempotency-Key"
    assert operation["security"] == [{"ApiKeyAuth": ["events:write"]}]
    assert "Scope: `events:write`" in operation["description"]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_every_operation_is_documented(acme, client_for):
    document = _document(client_for(acme))
    seen = set()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), where
            assert operation["operationId"] not in seen, where
            seen.add(operation["operationId"])
            assert operation.get("summary") and operation.get("description"), where
            assert operation["security"][0]["ApiKeyAuth"], f"{where}: no scope"
            assert {"401", "403", "429"} <= set(operation["responses"]), where
            if method == "get":
                assert "304" in operation["responses"], where


def test_one_definition_settles_the_fuzzers_two_disagreements(acme, post_event, client_for):
    """The hand-written schema forbade `occurred_at: null` (the API accepted it) and allowed
    an empty `partner_domain` (the API refused it). Now both come from one pydantic class."""
    properties = _document(client_for(acme))["components"]["schemas"]["EventIn"]["properties"]
    assert {"type": "null"} in properties["occurred_at"]["anyOf"]
    accepted = post_event(
        {"partner_id": acme.partner.pk, "type": "deal.registered", "occurred_at": None}
    )
    assert accepted.status_code == 201, accepted.content
    assert properties["partner_domain"]["minLength"] == 1
    assert properties["partner_domain"]["pattern"] == r"^@?[^@\x00-\x20\x7f]+$"
    refused = post_event({"partner_domain": "", "type": "deal.registered"})
    assert refused.status_code == 400
    assert "partner_domain" in refused.json()["error"]["fields"]


def test_the_root_lists_the_endpoints(acme, client_for):
    body = client_for(acme).get("/api/v1/").json()
    assert body["schema"].endswith("/api/v1/schema/")
    assert body["docs"].endswith("/api/v1/docs")
    assert body["endpoints"]["events"].endswith("/api/v1/events")


def test_the_docs_page_is_served_without_a_cdn_and_without_inline_script(acme, client_for):
    response = client_for(acme).get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "/static/ninja/swagger-ui-init.js" in page
    # Every <script> is either a file of ours or a JSON data block (not executed).
    import re

    for tag in re.findall(r"<script[^>]*>", page):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "script-src 'self'" in response["Content-Security-Policy"]
    from django.contrib.staticfiles import finders

    assert finders.find("ninja/swagger-ui-bundle.js") and finders.find("ninja/swagger-ui.css")


def test_an_unknown_path_is_404_in_the_envelope(acme, client_for):
    from django.test import Client

    for method in ("get", "post"):
        client = Client(headers={"host": acme.host}, enforce_csrf_checks=True)
        response = getattr(client, method)("/api/v1/nothing/here")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
