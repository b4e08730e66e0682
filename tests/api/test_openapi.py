"""The hand-written OpenAPI 3.1 document at /api/v1/schema/."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_with_the_documented_paths(acme, client_for):
    response = client_for(acme).get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://acme.localhost/api/v1"}]
    assert set(document["paths"]) == {"/events"}
    operation = document["paths"]["/events"]["post"]
    assert {"200", "201", "400", "401", "404", "422"} <= set(operation["responses"])
    assert operation["parameters"][0]["name"] == "Idempotency-Key"
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_the_root_lists_the_endpoints(acme, client_for):
    body = client_for(acme).get("/api/v1/").json()
    assert body["schema"].endswith("/api/v1/schema/")
    assert body["endpoints"]["events"].endswith("/api/v1/events")
