"""/api/v1/alerts: the milestone alerts of the program (filters, pages, a constant query
count) and acknowledging one as an API key through the inbox's service: the alert status
table (409 for a refusal, nothing changed), the key as the audited actor, scopes, other
programs' ids, and two keys at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.milestones.models import Alert
from apps.partners.models import PartnerType
from apps.partners.services import partner_account_create
from tests.api.test_onboarding import keyed
from tests.conftest import race
from tests.milestones.conftest import alerts, day, start_tracking, sweep

pytestmark = pytest.mark.django_db

READ = "onboarding:read"
WRITE = "onboarding:write"


@pytest.fixture(autouse=True)
def _milestone_template(milestone_template):
    """The programs have the milestone template (tracks, milestones, alert rules)."""


@pytest.fixture
def raised(acme):
    """Three alerts for each of acme's two partners (the rules due by day 20)."""
    start_tracking(acme)
    start_tracking(acme, acme.other_partner)
    sweep(day(20))
    return alerts(acme)


@pytest.fixture
def reader(client_for, acme):
    return keyed(client_for, acme, READ)


@pytest.fixture
def writer(client_for, acme):
    return keyed(client_for, acme, READ, WRITE)


def acknowledge(client, alert_id):
    return client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge", data="{}", content_type="application/json"
    )


def status_of(program, alert):
    with scope(tenant=program.tenant):
        return Alert.objects.get(pk=alert.pk).status


def ids(response):
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()["data"]]


def test_list_latest_due_first_with_the_milestone(acme, raised, reader):
    assert len(raised) == 6
    response = reader.get("/api/v1/alerts")
    expected = [a.pk for a in sorted(raised, key=lambda a: (a.due_at, a.pk), reverse=True)]
    assert ids(response) == expected
    item = response.json()["data"][0]
    alert = next(a for a in raised if a.pk == item["id"])
    assert item["partner_id"] == alert.account_id
    assert item["status"] == "open"
    assert item["label"] == alert.rule.label
    assert item["milestone"] == {
        "id": alert.rule.milestone.pk,
        "key": alert.rule.milestone.key,
        "name": alert.rule.milestone.name,
    }
    assert item["due_at"].endswith("Z")


def test_list_filters(acme, raised, reader, writer):
    mine = [a.pk for a in raised if a.account_id == acme.partner.pk]
    response = reader.get("/api/v1/alerts", {"partner_id": acme.partner.pk})
    assert sorted(ids(response)) == sorted(mine)
    assert acknowledge(writer, mine[0]).status_code == 200
    assert ids(reader.get("/api/v1/alerts?status=acknowledged")) == [mine[0]]
    assert mine[0] not in ids(reader.get("/api/v1/alerts?status=open"))
    assert ids(reader.get("/api/v1/alerts?status=resolved")) == []
    key = raised[0].rule.milestone.key
    by_key = [a.pk for a in raised if a.rule.milestone.key == key]
    assert sorted(ids(reader.get("/api/v1/alerts", {"milestone": key}))) == sorted(by_key)
    assert ids(reader.get("/api/v1/alerts", {"milestone": "no-such-milestone"})) == []
    for bad in ("status=closed", "partner_id=0", "milestone=a%20b"):
        assert reader.get(f"/api/v1/alerts?{bad}").status_code == 400, bad


def test_list_pages(acme, raised, reader):
    first = reader.get("/api/v1/alerts?limit=4").json()
    assert len(first["data"]) == 4 and first["next_cursor"]
    rest = reader.get("/api/v1/alerts", {"limit": 4, "cursor": first["next_cursor"]}).json()
    assert len(rest["data"]) == 2 and rest["next_cursor"] is None
    seen = [a["id"] for a in first["data"] + rest["data"]]
    assert sorted(seen) == sorted(a.pk for a in raised)
    bad = reader.get("/api/v1/alerts?cursor=not-a-cursor")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_cursor"


def test_list_costs_the_same_queries_for_1_and_50_alerts(
    acme, client_for, django_assert_max_num_queries
):
    client = keyed(client_for, acme, READ)
    start_tracking(acme)
    sweep(day(6))  # one alert: "Profile incomplete at day 5"
    client.get("/api/v1/alerts")  # warm the key's caches
    with CaptureQueriesContext(connection) as one:
        assert len(ids(client.get("/api/v1/alerts"))) == 1
    baseline = len(one)  # now: the next request clears the connection's query log
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        accounts = [
            partner_account_create(
                tenant=acme.tenant, actor=acme.admin, name=f"Partner {n}", partner_type=reseller
            )
            for n in range(16)
        ]
    for account in accounts:
        start_tracking(acme, account)
    sweep(day(20))
    with django_assert_max_num_queries(baseline):
        assert len(ids(client.get("/api/v1/alerts"))) == 50


# --- Acknowledge ---------------------------------------------------------------------------


def test_acknowledge_audited_as_the_key(acme, raised, writer):
    alert = raised[0]
    response = acknowledge(writer, alert.pk)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_at"] is not None
    with scope(tenant=acme.tenant):
        saved = Alert.objects.get(pk=alert.pk)
        event = AuditEvent.objects.get(verb="alert.acknowledged", target_id=str(alert.pk))
    assert saved.acknowledged_by is None
    assert event.actor_id is None and event.actor_label == writer.key.audit_label
    assert event.data["from"] == "open" and event.data["to"] == "acknowledged"


def test_acknowledging_twice_or_a_resolved_alert_is_409(acme, raised, writer):
    first, second = raised[0], raised[1]
    assert acknowledge(writer, first.pk).status_code == 200
    response = acknowledge(writer, first.pk)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "You can’t acknowledge this alert: it is acknowledged.",
    }
    with scope(tenant=acme.tenant):
        Alert.objects.filter(pk=second.pk).update(status="resolved", resolved_at=day(21))
    assert acknowledge(writer, second.pk).status_code == 409
    assert status_of(acme, second) == "resolved"
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="alert.acknowledged").count() == 1


def test_scopes(acme, raised, client_for, reader):
    partners_only = keyed(client_for, acme, "partners:read")
    assert partners_only.get("/api/v1/alerts").status_code == 403
    response = acknowledge(reader, raised[0].pk)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert status_of(acme, raised[0]) == "open"


def test_other_programs_alerts_and_keys(acme, globex, raised, client_for):
    start_tracking(globex)
    sweep(day(20))
    theirs = alerts(globex)
    mine = keyed(client_for, acme, READ, WRITE)
    assert acknowledge(mine, theirs[0].pk).status_code == 404
    assert status_of(globex, theirs[0]) == "open"
    listed = ids(mine.get("/api/v1/alerts"))
    assert not set(listed) & {a.pk for a in theirs}
    assert ids(mine.get("/api/v1/alerts", {"partner_id": globex.partner.pk})) == []
    stranger = keyed(client_for, globex, READ, WRITE)
    client = client_for(acme)
    client.defaults["HTTP_AUTHORIZATION"] = stranger.defaults["HTTP_AUTHORIZATION"]
    assert client.get("/api/v1/alerts").status_code == 401
    assert acknowledge(client, raised[0].pk).status_code == 401
    assert acknowledge(mine, 999999999).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_keys_acknowledging_at_once_acknowledge_once(acme, client_for):
    start_tracking(acme)
    sweep(day(6))
    [alert] = alerts(acme)
    one = keyed(client_for, acme, WRITE)
    two = keyed(client_for, acme, WRITE)
    results = race(lambda: acknowledge(one, alert.pk), lambda: acknowledge(two, alert.pk))
    assert sorted(r.status_code for r in results) == [200, 409], results
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="alert.acknowledged").count() == 1
