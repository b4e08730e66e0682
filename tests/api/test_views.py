"""POST /api/v1/events (on django-ninja): API-key auth, idempotency, validation, tenant
isolation. The contract is the one the hand-written endpoint had, except that validation
errors now have the code every endpoint uses, `invalid` (was `invalid_request`)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scope

from apps.api.services import api_key_create, api_key_revoke
from apps.milestones.models import AlertStatus
from apps.partners.models import PartnerEvent
from tests.milestones.conftest import alerts, day, item, start_tracking, sweep

pytestmark = pytest.mark.django_db


def _events(program):
    with scope(tenant=program.tenant):
        return list(PartnerEvent.objects.filter(source="api").order_by("id"))


def test_an_event_is_recorded_and_applied(milestone_template, acme, post_event):
    start_tracking(acme)
    sweep(day(50))
    with time_machine.travel(day(50), tick=False):
        response = post_event(
            {
                "partner_id": acme.partner.pk,
                "type": "certification.passed",
                "reference": "sales",
                "occurred_at": day(49).isoformat(),
                "data": {"course": "Sales Foundations", "score": 92},
            },
            idempotency_key="lms-attempt-881",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["partner_id"] == acme.partner.pk and body["source"] == "api"
    assert body["milestones_completed"] == ["sales-certification"]
    assert body["alerts_resolved"] == 2  # no attempt at day 30, not passed at day 45
    assert item(acme, "sales-certification").completed_at == day(49)
    resolved = [a for a in alerts(acme) if a.status == AlertStatus.RESOLVED]
    assert {a.rule.day for a in resolved} == {30, 45}


def test_the_partner_can_be_named_by_its_email_domain(acme, post_event):
    response = post_event(
        {"partner_domain": "@ONE.acme.test", "type": "deal.registered", "reference": "DR-1"}
    )
    assert response.status_code == 201
    assert response.json()["partner_id"] == acme.partner.pk


def test_a_retried_request_records_one_event(acme, post_event):
    body = {"partner_id": acme.partner.pk, "type": "deal.registered", "reference": "DR-9"}
    first = post_event(body, idempotency_key="crm-deal-9")
    second = post_event(body, idempotency_key="crm-deal-9")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert len(_events(acme)) == 1
    # The same key for a different event is refused.
    other = post_event({**body, "type": "mdf.requested"}, idempotency_key="crm-deal-9")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # Without a key, each request records an event.
    post_event(body)
    post_event(body)
    assert len(_events(acme)) == 3


@pytest.mark.parametrize(
    "key",
    [False, "onr_nope_nope", "Basic abc", "onr_"],
    ids=["missing", "unknown", "malformed", "empty"],
)
def test_bad_keys_get_401(acme, post_event, key):
    response = post_event({"partner_id": acme.partner.pk, "type": "deal.registered"}, key=key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _events(acme) == []


def test_a_revoked_key_gets_401(acme, post_event, api_key):
    with scope(tenant=acme.tenant):
        api_key_revoke(tenant=acme.tenant, actor=acme.admin, key_id=api_key[0].pk)
    response = post_event({"partner_id": acme.partner.pk, "type": "deal.registered"})
    assert response.status_code == 401


def test_another_tenants_key_gets_401(acme, globex, post_event):
    with scope(tenant=globex.tenant):
        globex_key = api_key_create(tenant=globex.tenant, actor=globex.admin, name="x").secret
    response = post_event({"partner_id": acme.partner.pk, "type": "x.y"}, key=globex_key)
    assert response.status_code == 401


def test_another_tenants_partner_is_404(acme, globex, post_event):
    for body in (
        {"partner_id": globex.partner.pk, "type": "deal.registered"},
        {"partner_domain": "one.globex.test", "type": "deal.registered"},
        {"partner_id": 999999, "type": "deal.registered"},
    ):
        response = post_event(body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    with scope(tenant=globex.tenant):
        assert not PartnerEvent.objects.filter(source="api").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "deal.registered"}, "partner"),
        ({"partner_id": 1, "partner_domain": "a.test", "type": "deal.registered"}, "partner"),
        ({"partner_id": "7", "type": "deal.registered"}, "partner_id"),
        ({"partner_id": True, "type": "deal.registered"}, "partner_id"),
        ({"partner_id": 1}, "type"),
        ({"partner_id": 1, "type": "Deal Registered"}, "type"),
        ({"partner_id": 1, "type": "onboarding.completed"}, "type"),
        ({"partner_id": 1, "type": "milestone.checked_off"}, "type"),
        ({"partner_id": 1, "type": "deal.registered", "occurred_at": "yesterday"}, "occurred_at"),
        (
            {"partner_id": 1, "type": "deal.registered", "occurred_at": "2026-01-01T10:00:00"},
            "occurred_at",
        ),
        ({"partner_id": 1, "type": "deal.registered", "data": [1]}, "data"),
        ({"partner_id": 1, "type": "deal.registered", "data": {"x": "y" * 20000}}, "data"),
        ({"partner_id": 1, "type": "deal.registered", "reference": 5}, "reference"),
        ({"partner_id": 1, "type": "deal.registered", "colour": "red"}, "colour"),
    ],
)
def test_invalid_requests_get_400_with_the_field(acme, post_event, body, field):
    response = post_event(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error


def test_a_future_date_is_refused(acme, post_event):
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = post_event(
        {"partner_id": acme.partner.pk, "type": "deal.registered", "occurred_at": future}
    )
    assert response.status_code == 400 and "occurred_at" in response.json()["error"]["fields"]


def test_bodies_that_are_not_json_objects_get_400(acme, post_event):
    assert post_event(None, raw="{not json").status_code == 400
    assert post_event(None, raw="[1, 2]").status_code == 400
    assert post_event(None, raw="", idempotency_key="x" * 200).status_code == 400


def test_other_methods_are_405_in_the_envelope(acme, client_for, api_key):
    # GET lists events now (scope partners:read); PUT and DELETE are not allowed.
    client = client_for(acme)
    for method in ("put", "delete", "patch"):
        response = getattr(client, method)(
            "/api/v1/events", HTTP_AUTHORIZATION=f"Bearer {api_key[1]}"
        )
        assert response.status_code == 405 and response["Allow"] == "GET, POST"
        assert response.json()["error"]["code"] == "method_not_allowed"


def test_sessions_do_not_authenticate_the_api(acme, client_for):
    # Signed in as the program admin, but without a key: refused (and no CSRF needed).
    client = client_for(acme, acme.admin)
    response = client.post(
        "/api/v1/events",
        data={"partner_id": acme.partner.pk, "type": "deal.registered"},
        content_type="application/json",
    )
    assert response.status_code == 401


def test_an_unknown_host_is_404(acme, client_for, api_key):
    from django.test import Client

    response = Client(headers={"host": "nobody.localhost"}).post(
        "/api/v1/events", data={}, content_type="application/json"
    )
    assert response.status_code == 404


def test_the_query_count_is_constant(
    milestone_template, acme, post_event, django_assert_max_num_queries
):
    start_tracking(acme)
    sweep(day(50))
    body = {"partner_id": acme.partner.pk, "type": "certification.passed", "reference": "sales"}
    with time_machine.travel(day(50), tick=False):
        with django_assert_max_num_queries(24) as first:
            assert post_event(body, idempotency_key="a").status_code == 201
        with django_assert_max_num_queries(len(first)):
            assert post_event(body, idempotency_key="a").status_code == 200
        with django_assert_max_num_queries(len(first)):
            assert post_event({**body, "type": "deal.registered"}).status_code == 201


def test_a_suspended_partners_events_are_refused_until_reactivated(acme, post_event):
    from apps.partners.services import partner_reactivate, partner_suspend

    body = {"partner_id": acme.partner.pk, "type": "deal.registered", "reference": "DR-5"}
    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk)
    for named in (body, {**body, "partner_id": None, "partner_domain": "one.acme.test"}):
        named = {k: v for k, v in named.items() if v is not None}
        response = post_event(named, idempotency_key="crm-deal-5")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "partner_suspended"
    assert _events(acme) == []
    with scope(tenant=acme.tenant):
        partner_reactivate(tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk)
    assert post_event(body, idempotency_key="crm-deal-5").status_code == 201
