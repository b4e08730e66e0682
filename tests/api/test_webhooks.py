"""/api/v1/webhooks: endpoints (list, create with its secret once, get, update, disable and
enable, roll the secret, delete), their deliveries (list, replay) and a test event, with a key
holding `webhooks:manage`; keys without it get 403, another program's ids 404; refused URLs
(production settings) 409 `url_refused` and nothing written; a constant query count."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.webhooks.models import DeliveryStatus, WebhookEndpoint
from tests.webhooks.conftest import (
    allow_local_receiver,
    deliver_due,
    endpoint_create,
    running_receiver,
)
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

SCOPE = "webhooks:manage"
API = "/api/v1/webhooks"


@pytest.fixture
def receiver():
    """A real HTTP receiver on 127.0.0.1 (tests/webhooks/conftest.py)."""
    with running_receiver() as state:
        yield state


@pytest.fixture
def local_receiver_allowed(settings):
    allow_local_receiver(settings)


@pytest.fixture
def manager(api_client_for):
    return api_client_for([SCOPE])


def post(client, path, body=None):
    return client.post(path, body or {}, content_type="application/json")


def patch(client, path, body):
    return client.patch(path, body, content_type="application/json")


def _endpoints(program):
    with scope(tenant=program.tenant):
        return list(WebhookEndpoint.objects.filter(deleted_at__isnull=True).order_by("pk"))


@pytest.mark.usefixtures("local_receiver_allowed")
def test_create_shows_the_secret_once_and_is_audited_as_the_key(acme, manager, receiver):
    response = post(
        manager,
        API,
        {"url": receiver.url, "description": "CRM", "event_types": ["partner.*", "alert.raised"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    (endpoint,) = _endpoints(acme)
    assert body["id"] == endpoint.pk and body["secret"] == endpoint.secret
    assert body["event_types"] == ["alert.raised", "partner.*"] and body["is_active"] is True
    got = manager.get(f"{API}/{endpoint.pk}").json()
    assert "secret" not in got and got["url"] == receiver.url
    listed = manager.get(API).json()
    assert [w["id"] for w in listed["data"]] == [endpoint.pk] and listed["next_cursor"] is None
    assert "secret" not in listed["data"][0]
    with scopes_disabled():
        event = AuditEvent.objects.get(verb="webhook.created")
    assert event.actor_id is None and event.actor_label == manager.api_key.audit_label
    assert endpoint.created_by is None


def test_a_refused_url_is_409_and_writes_nothing(acme, manager, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    for url in ("https://127.0.0.1/hook", "https://10.0.0.1/hook", "http://127.0.0.1:8000/x"):
        response = post(manager, API, {"url": url, "event_types": ["*"]})
        assert response.status_code == 409, url
        error = response.json()["error"]
        assert error["code"] == "url_refused" and "url" in error["fields"]
    assert _endpoints(acme) == []


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://hooks.example.com/x", "event_types": []},
        {"url": "https://hooks.example.com/x", "event_types": ["partner.deleted"]},
        {"url": "not a url", "event_types": ["*"]},
        {"url": "https://hooks.example.com/x", "event_types": ["*"], "secret": "mine"},
        {"event_types": ["*"]},
    ],
)
def test_bad_bodies_are_400_with_fields(acme, manager, body):
    response = post(manager, API, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"]
    assert _endpoints(acme) == []


@pytest.mark.usefixtures("local_receiver_allowed")
def test_update_disable_enable_roll_delete(acme, manager, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    path = f"{API}/{created.endpoint.pk}"
    response = patch(manager, path, {"description": "LMS", "event_types": ["alert.*"]})
    assert response.status_code == 200
    assert response.json()["description"] == "LMS" and response.json()["event_types"] == ["alert.*"]
    response = patch(manager, path, {"is_active": False})
    assert response.json()["is_active"] is False
    assert response.json()["disabled_reason"] == "manual"
    assert post(manager, f"{path}/test").status_code == 409  # disabled
    assert patch(manager, path, {"is_active": True}).json()["is_active"] is True
    rolled = post(manager, f"{path}/roll-secret")
    assert rolled.status_code == 200
    assert rolled.json()["secret"] == _endpoints(acme)[0].secret != created.secret
    assert manager.delete(path).status_code == 204
    assert manager.get(path).status_code == 404
    assert _endpoints(acme) == []


@pytest.mark.usefixtures("local_receiver_allowed")
def test_deliveries_list_test_event_and_replay(acme, manager, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    path = f"{API}/{created.endpoint.pk}"
    queued = post(manager, f"{path}/test")
    assert queued.status_code == 202 and queued.json()["event_type"] == "webhook.test"
    deliver_due()
    listed = manager.get(f"{path}/deliveries").json()
    (delivery,) = listed["data"]
    assert delivery["status"] == "delivered" and delivery["last_response_code"] == 200
    assert delivery["payload"]["type"] == "webhook.test"
    assert manager.get(f"{path}/deliveries?status=failed").json()["data"] == []
    replayed = post(manager, f"{path}/deliveries/{delivery['id']}/replay")
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    deliver_due()
    assert len(receiver.received) == 2
    assert len({r.headers["Onramp-Event-Id"] for r in receiver.received}) == 1


def test_deliveries_page_with_a_constant_query_count(acme, manager, django_assert_max_num_queries):
    with scope(tenant=acme.tenant):
        endpoint = WebhookEndpointFactory(tenant=acme.tenant)
        WebhookDeliveryFactory.create_batch(3, endpoint=endpoint)
    path = f"{API}/{endpoint.pk}/deliveries?limit=100"
    manager.get(path)
    with django_assert_max_num_queries(12) as few:
        assert len(manager.get(path).json()["data"]) == 3
    with scope(tenant=acme.tenant):
        WebhookDeliveryFactory.create_batch(80, endpoint=endpoint, status=DeliveryStatus.FAILED)
    with django_assert_max_num_queries(len(few)):
        assert len(manager.get(path).json()["data"]) == 83
    first = manager.get(f"{API}/{endpoint.pk}/deliveries?limit=50").json()
    second = manager.get(
        f"{API}/{endpoint.pk}/deliveries?limit=50&cursor={first['next_cursor']}"
    ).json()
    ids = [d["id"] for d in first["data"] + second["data"]]
    assert len(ids) == len(set(ids)) == 83 and second["next_cursor"] is None


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "/{id}"),
        ("patch", "/{id}"),
        ("delete", "/{id}"),
        ("post", "/{id}/roll-secret"),
        ("post", "/{id}/test"),
        ("get", "/{id}/deliveries"),
        ("post", "/{id}/deliveries/{delivery}/replay"),
    ],
)
def test_every_operation_needs_the_scope_and_hides_other_programs(
    acme, globex, api_client_for, method, suffix
):
    with scope(tenant=acme.tenant):
        endpoint = WebhookEndpointFactory(tenant=acme.tenant)
        delivery = WebhookDeliveryFactory(endpoint=endpoint)
    path = API + suffix.format(id=endpoint.pk, delivery=delivery.pk)
    body = {"url": "https://hooks.example.com/x", "event_types": ["*"]}
    if method == "patch":
        body = {"description": "changed"}

    def call(client):
        if method in ("post", "patch"):
            return getattr(client, method)(path, body, content_type="application/json")
        return getattr(client, method)(path)

    scopeless = api_client_for(["partners:read", "partners:write", "events:write"])
    response = call(scopeless)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    if "{id}" in suffix:
        # globex's key, on globex's host, naming acme's ids.
        theirs = api_client_for([SCOPE], program=globex)
        assert call(theirs).status_code == 404
    # acme's key on globex's host: not a key of that program.
    assert call(api_client_for([SCOPE], host=globex.host)).status_code == 401
    with scope(tenant=acme.tenant):
        endpoint.refresh_from_db()
    assert endpoint.deleted_at is None and endpoint.description == "CRM sync"
    assert endpoint.is_active
