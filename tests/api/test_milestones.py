"""/api/v1/partners/{id}/milestones: the partner's track, each milestone's state and dates,
and its alerts not resolved yet; scopes, other programs' ids, a partner without tracking, and
a constant query count."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_onboarding import keyed
from tests.milestones.conftest import T0, alerts, day, item, start_tracking, sweep
from tests.milestones.factories import PartnerEventFactory

pytestmark = pytest.mark.django_db

READ = "onboarding:read"


@pytest.fixture(autouse=True)
def _milestone_template(milestone_template):
    """The programs have the milestone template (tracks, milestones, alert rules)."""


@pytest.fixture
def reader(client_for, acme):
    return keyed(client_for, acme, READ)


def url(account):
    return f"/api/v1/partners/{account.pk}/milestones"


def get(client, account, at):
    with time_machine.travel(at, tick=False):
        return client.get(url(account))


def test_the_track_and_every_milestone_with_its_open_alerts(acme, reader):
    start_tracking(acme)
    sweep(day(20))
    with time_machine.travel(day(9), tick=False):
        PartnerEventFactory(account=acme.partner, type="call.logged", reference="welcome")
    response = get(reader, acme.partner, day(21))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["partner_id"] == acme.partner.pk
    track = body["track"]
    assert track["partner_type"] == "Reseller / VAR"
    assert track["enrolled_at"] == T0.isoformat().replace("+00:00", "Z")
    assert track["activated_at"] is None
    by_key = {m["key"]: m for m in body["milestones"]}
    assert body["total"] == len(body["milestones"]) == len(by_key)
    welcome = by_key["welcome-call"]
    assert welcome["state"] == "done"
    assert welcome["achieved_at"] == day(9).isoformat().replace("+00:00", "Z")
    assert welcome["alerts"] == []  # resolved by the call
    assert body["done"] == sum(m["state"] == "done" for m in body["milestones"])
    profile = by_key["profile-complete"]
    assert profile["achieved_at"] is None
    assert profile["due_at"] == item(acme, "profile-complete").due_at.isoformat().replace(
        "+00:00", "Z"
    )
    unresolved = [a for a in alerts(acme) if a.status != "resolved"]
    listed = [alert for m in body["milestones"] for alert in m["alerts"]]
    assert sorted(a["id"] for a in listed) == sorted(a.pk for a in unresolved)
    assert all(a["status"] == "open" for a in listed)
    assert {m["state"] for m in body["milestones"]} <= {"done", "overdue", "current", "upcoming"}


def test_a_partner_without_tracking(acme, reader):
    response = reader.get(url(acme.partner))
    assert response.status_code == 200
    assert response.json() == {
        "partner_id": acme.partner.pk,
        "track": None,
        "done": 0,
        "total": 0,
        "milestones": [],
    }


def test_scopes_keys_and_other_programs(acme, globex, client_for, reader):
    start_tracking(globex)
    assert reader.get(url(globex.partner)).status_code == 404
    assert reader.get("/api/v1/partners/999999999/milestones").status_code == 404
    assert keyed(client_for, acme, "partners:read").get(url(acme.partner)).status_code == 403
    assert client_for(acme).get(url(acme.partner)).status_code == 401
    stranger = keyed(client_for, globex, READ)
    client = client_for(acme)
    client.defaults["HTTP_AUTHORIZATION"] = stranger.defaults["HTTP_AUTHORIZATION"]
    assert client.get(url(acme.partner)).status_code == 401


def test_the_query_count_does_not_grow_with_alerts(acme, client_for, django_assert_max_num_queries):
    client = keyed(client_for, acme, READ)
    start_tracking(acme)
    sweep(day(6))
    get(client, acme.partner, day(7))  # warm the key's caches
    with CaptureQueriesContext(connection) as few:
        response = get(client, acme.partner, day(7))
    baseline = len(few)  # now: the next request clears the connection's query log
    assert sum(len(m["alerts"]) for m in response.json()["milestones"]) == 1
    sweep(day(80))
    get(client, acme.partner, day(81))  # the key's last use is refreshed once in a while
    with django_assert_max_num_queries(baseline):
        response = get(client, acme.partner, day(81))
    assert sum(len(m["alerts"]) for m in response.json()["milestones"]) > 3
