"""POST /api/v1/events with `user`: the event is recorded for that partner user, who must be
an active user of that partner account; the schema documents the field."""

import json

import pytest
from django_scopes import scope

from apps.milestones.models import Milestone
from apps.partners.models import PartnerEvent
from apps.tenancy.models import Membership

pytestmark = pytest.mark.django_db


def _events(program):
    with scope(tenant=program.tenant):
        return list(
            PartnerEvent.objects.filter(tenant=program.tenant, source="api")
            .select_related("recorded_by")
            .order_by("id")
        )


def _body(program, **extra):
    return {
        "partner_id": program.partner.pk,
        "type": "certification.passed",
        "reference": "sales",
        **extra,
    }


def test_the_event_is_recorded_for_the_user(acme, post_event):
    response = post_event(_body(acme, user=acme.partner_user.email.upper()))
    assert response.status_code == 201, response.content
    assert response.json()["user"] == acme.partner_user.email
    (event,) = _events(acme)
    assert event.recorded_by == acme.partner_user and event.source == "api"


def test_without_a_user_the_event_is_the_accounts(acme, post_event):
    response = post_event(_body(acme))
    assert response.status_code == 201
    assert response.json()["user"] is None
    assert _events(acme)[0].recorded_by is None


@pytest.mark.parametrize(
    "who",
    [
        "other_account",
        "other_tenant",
        "unknown",
        "staff",
        "deactivated",
        "malformed",
        "not_a_string",
    ],
)
def test_a_user_who_is_not_an_active_user_of_the_partner_is_refused(acme, globex, post_event, who):
    if who == "deactivated":
        with scope(tenant=acme.tenant):
            Membership.objects.filter(tenant=acme.tenant, user=acme.partner_user).update(
                is_active=False
            )
    user = {
        "other_account": acme.other_partner_user.email,
        "other_tenant": globex.partner_user.email,
        "unknown": "nobody@one.acme.test",
        "staff": acme.cam.email,
        "deactivated": acme.partner_user.email,
        "malformed": "not-an-email",
        "not_a_string": 42,
    }[who]
    response = post_event(_body(acme, user=user), idempotency_key=f"k-{who}")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and list(body["fields"]) == ["user"]
    assert _events(acme) == []


def test_a_user_of_another_tenant_cannot_be_named_on_its_host(acme, globex, post_event):
    # Named by domain, the partner is acme's; globex's user is no user of it.
    response = post_event(
        {
            "partner_domain": "one.acme.test",
            "type": "module.completed",
            "user": "padmin@one.globex.test",
        }
    )
    assert response.status_code == 400
    assert _events(acme) == []


def test_a_retry_with_the_same_key_for_another_user_is_refused(acme, post_event):
    first = post_event(_body(acme, user=acme.partner_user.email), idempotency_key="lms-1")
    again = post_event(_body(acme, user=acme.partner_user.email), idempotency_key="lms-1")
    other = post_event(_body(acme, user=acme.partner_admin.email), idempotency_key="lms-1")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert len(_events(acme)) == 1


def test_a_module_sent_for_a_user_counts_for_them_and_for_the_account(
    milestone_template, acme, client_for, post_event
):
    from tests.milestones.conftest import item, start_tracking

    start_tracking(acme)
    with scope(tenant=acme.tenant):
        Milestone.objects.filter(tenant=acme.tenant, key="orientation").update(
            items=["lms:basics", "lms:pricing"]
        )
    response = post_event(
        {
            "partner_domain": "one.acme.test",
            "type": "module.completed",
            "reference": "lms:basics",
            "user": acme.partner_user.email,
        }
    )
    assert response.status_code == 201
    assert item(acme, "orientation").progress == 50
    page = client_for(acme, acme.cam).get(f"/console/partners/{acme.partner.pk}/milestones/review/")
    shares = page.context["package"]["orientation_shares"]
    assert {u.user: u.percent for u in shares.users} == {
        acme.partner_user: 50,
        acme.partner_admin: 0,
    }
    assert shares.percent == 50


def test_the_schema_documents_user(acme, client_for):
    document = json.loads(client_for(acme).get("/api/v1/schema/").content)
    schemas = document["components"]["schemas"]
    properties = schemas["EventIn"]["properties"]
    assert set(properties) == {
        "partner_id",
        "partner_domain",
        "type",
        "occurred_at",
        "reference",
        "data",
        "user",
    }
    user = properties["user"]["anyOf"][0]
    assert user["format"] == "email" and user["maxLength"] == 254
    assert "active user of that partner account" in properties["user"]["description"]
    assert "user" in schemas["EventOut"]["properties"]
    assert "`user`" in document["paths"]["/events"]["post"]["description"]
