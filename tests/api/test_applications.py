"""/api/v1/applications: list (filters, pages, a constant query count), get, and approve /
reject made by an API key through the queue's decision services: decisions are final (409
saying who decided), audited as the key, scopes, other programs' ids, and a race."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from apps.applications.models import Application
from apps.applications.services import application_reject
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerType
from tests.api.test_onboarding import keyed
from tests.applications.conftest import configure
from tests.applications.factories import ApplicationFactory
from tests.conftest import race

pytestmark = pytest.mark.django_db

READ = "applications:read"
WRITE = "applications:write"


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def pending(program, n=1, **kwargs):
    configure(program, auto_onboarding=False, domain_matching=False)
    return [
        ApplicationFactory(tenant=program.tenant, email_verified=True, **kwargs) for _ in range(n)
    ]


def reload(program, application):
    with scope(tenant=program.tenant):
        return Application.objects.get(pk=application.pk)


def audit_rows(program, verb):
    with scope(tenant=program.tenant):
        return list(AuditEvent.objects.filter(tenant=program.tenant, verb=verb).order_by("id"))


@pytest.fixture
def reader(client_for, acme):
    return keyed(client_for, acme, READ)


@pytest.fixture
def writer(client_for, acme):
    return keyed(client_for, acme, READ, WRITE)


# --- Reading -------------------------------------------------------------------------------


def test_list_newest_first_with_the_decision(acme, reader):
    first, second = pending(acme, 2)
    response = reader.get("/api/v1/applications")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["id"] for a in body["data"]] == [second.pk, first.pk]
    assert body["next_cursor"] is None
    item = body["data"][0]
    assert item["status"] == "pending"
    assert item["email"] == second.email
    assert item["partner_type"]["name"] == "Reseller / VAR"
    assert item["decision"]["rule"] == "manual"
    assert item["decision"]["decided_at"] is None
    assert "answers" not in item


def test_list_filters_by_status_and_since(acme, reader, writer):
    old, new = pending(acme, 2)
    with scope(tenant=acme.tenant):
        Application.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    assert post(writer, f"/api/v1/applications/{new.pk}/reject").status_code == 200
    ids = [a["id"] for a in reader.get("/api/v1/applications?status=pending").json()["data"]]
    assert ids == [old.pk]
    ids = [a["id"] for a in reader.get("/api/v1/applications?status=rejected").json()["data"]]
    assert ids == [new.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = reader.get("/api/v1/applications", {"since": since})
    assert [a["id"] for a in response.json()["data"]] == [new.pk]
    for query in ("status=maybe", "since=0.5", "since=2026-01-01", "since=2026-01-01T00:00:00"):
        bad = reader.get(f"/api/v1/applications?{query}")
        assert bad.status_code == 400, query
        assert query.split("=")[0] in bad.json()["error"]["fields"]
    far = reader.get("/api/v1/applications", {"since": "0001-01-01T00:00:00+14:00"})
    assert far.status_code == 400


def test_list_pages_with_a_cursor(acme, reader):
    apps = pending(acme, 3)
    first = reader.get("/api/v1/applications?limit=2").json()
    assert [a["id"] for a in first["data"]] == [apps[2].pk, apps[1].pk]
    second = reader.get(f"/api/v1/applications?limit=2&cursor={first['next_cursor']}").json()
    assert [a["id"] for a in second["data"]] == [apps[0].pk]
    assert second["next_cursor"] is None


def test_list_costs_the_same_queries_for_1_and_50(acme, client_for, django_assert_max_num_queries):
    client = keyed(client_for, acme, READ)
    pending(acme, 1)
    client.get("/api/v1/applications")  # warm the key's caches
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/applications").json()["data"]) == 1
    baseline = len(one)  # now: the next request clears the connection's query log
    pending(acme, 49)
    with django_assert_max_num_queries(baseline):
        assert len(client.get("/api/v1/applications").json()["data"]) == 50


def test_get_shows_the_answers_and_the_decision(acme, reader):
    answers = [{"key": "revenue", "label": "Annual revenue", "value": "1-5M"}]
    [application] = pending(acme, applicant__answers=answers)
    response = reader.get(f"/api/v1/applications/{application.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["answers"] == answers
    assert body["company"] == "Initech"
    assert body["decision"]["decided_via"] is None
    assert body["confirmed_at"] is not None


def test_other_programs_ids_are_404_and_keys_401(acme, globex, client_for, writer):
    [theirs] = pending(globex)
    assert writer.get(f"/api/v1/applications/{theirs.pk}").status_code == 404
    assert post(writer, f"/api/v1/applications/{theirs.pk}/approve").status_code == 404
    assert post(writer, f"/api/v1/applications/{theirs.pk}/reject").status_code == 404
    assert reload(globex, theirs).status == "pending"
    stranger = keyed(client_for, globex, READ, WRITE)
    client = client_for(acme)
    client.defaults["HTTP_AUTHORIZATION"] = stranger.defaults["HTTP_AUTHORIZATION"]
    assert client.get("/api/v1/applications").status_code == 401
    assert client_for(acme).get("/api/v1/applications").status_code == 401


def test_scopes(acme, client_for):
    [application] = pending(acme)
    partners_only = keyed(client_for, acme, "partners:read")
    assert partners_only.get("/api/v1/applications").status_code == 403
    assert partners_only.get(f"/api/v1/applications/{application.pk}").status_code == 403
    read_only = keyed(client_for, acme, READ)
    for decision in ("approve", "reject"):
        response = post(read_only, f"/api/v1/applications/{application.pk}/{decision}")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert reload(acme, application).status == "pending"


# --- Deciding ------------------------------------------------------------------------------


def test_approve_makes_the_partner_account_audited_as_the_key(acme, writer):
    [application] = pending(acme)
    response = post(writer, f"/api/v1/applications/{application.pk}/approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["decision"]["decided_via"] == "api"
    partner_id = body["decision"]["partner_id"]
    with scope(tenant=acme.tenant):
        account = PartnerAccount.objects.get(pk=partner_id)
    assert account.name == "Initech"
    saved = reload(acme, application)
    assert saved.decided_by is None and saved.decided_via == "api"
    [event] = audit_rows(acme, "application.approved")
    assert event.actor_id is None
    assert event.actor_label == writer.key.audit_label
    assert event.data["via"] == "api"
    with scope(tenant=acme.tenant):
        created = AuditEvent.objects.get(verb="partner.created", partner_id=partner_id)
    assert created.actor_label == writer.key.audit_label


def test_approve_as_another_type(acme, writer):
    [application] = pending(acme)
    with scope(tenant=acme.tenant):
        msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
    url = f"/api/v1/applications/{application.pk}/approve"
    response = post(writer, url, {"partner_type_id": msp.pk})
    assert response.status_code == 200, response.content
    with scope(tenant=acme.tenant):
        account = PartnerAccount.objects.get(pk=response.json()["decision"]["partner_id"])
    assert account.partner_type_id == msp.pk


def test_approve_as_a_type_of_another_program_is_404(acme, globex, writer):
    [application] = pending(acme)
    with scope(tenant=globex.tenant):
        theirs = PartnerType.objects.filter(tenant=globex.tenant).first()
    response = post(
        writer, f"/api/v1/applications/{application.pk}/approve", {"partner_type_id": theirs.pk}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert reload(acme, application).status == "pending"


def test_reject_with_a_reason(acme, writer):
    [application] = pending(acme)
    url = f"/api/v1/applications/{application.pk}/reject"
    response = post(writer, url, {"reason": "Outside our territories", "notify_applicant": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert body["decision"]["reason"] == "Outside our territories"
    assert body["decision"]["decided_via"] == "api"
    [event] = audit_rows(acme, "application.rejected")
    assert event.actor_label == writer.key.audit_label
    assert event.data["reason"] == "Outside our territories"


def test_decisions_are_final_409_saying_who_decided(acme, writer):
    [application] = pending(acme)
    assert post(writer, f"/api/v1/applications/{application.pk}/reject").status_code == 200
    for decision in ("approve", "reject"):
        response = post(writer, f"/api/v1/applications/{application.pk}/{decision}")
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "conflict"
        assert "already rejected through the API" in error["message"]
    assert reload(acme, application).status == "rejected"
    assert len(audit_rows(acme, "application.rejected")) == 1
    assert audit_rows(acme, "application.approved") == []


def test_an_application_a_cam_decided_is_409(acme, writer):
    [application] = pending(acme)
    with scope(tenant=acme.tenant):
        application_reject(tenant=acme.tenant, actor=acme.cam, application_id=application.pk)
    response = post(writer, f"/api/v1/applications/{application.pk}/approve")
    assert response.status_code == 409
    assert "by Casey Cam" in response.json()["error"]["message"]


def test_an_unconfirmed_application_is_409(acme, writer):
    configure(acme, auto_onboarding=False, domain_matching=False)
    application = ApplicationFactory(tenant=acme.tenant)
    response = post(writer, f"/api/v1/applications/{application.pk}/approve")
    assert response.status_code == 409
    assert "has not confirmed" in response.json()["error"]["message"]
    assert reload(acme, application).status == "unconfirmed"


@pytest.mark.parametrize("body", [{"reason": "a\x00b"}, {"reason": "x" * 2001}, {"extra": 1}])
def test_reject_with_a_bad_body_is_400(acme, writer, body):
    [application] = pending(acme)
    response = post(writer, f"/api/v1/applications/{application.pk}/reject", body)
    assert response.status_code == 400
    assert reload(acme, application).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_two_keys_approving_at_once_approve_once(acme, client_for):
    [application] = pending(acme)
    one = keyed(client_for, acme, WRITE)
    two = keyed(client_for, acme, WRITE)
    url = f"/api/v1/applications/{application.pk}/approve"
    results = race(lambda: post(one, url), lambda: post(two, url))
    assert sorted(r.status_code for r in results) == [200, 409], results
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.filter(name="Initech").count() == 1
    assert len(audit_rows(acme, "application.approved")) == 1
