"""Keyset pagination (apps/api/pagination.py) through GET /api/v1/events: opaque signed
cursors, limit 1–100, tampering refused, a constant number of queries per page."""

import pytest
from django_scopes import scope

from apps.api.errors import ApiError
from apps.api.pagination import keyset_page
from apps.partners.models import PartnerEvent
from apps.partners.services import partner_event_record

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"


def _record(program, n, *, account=None, type="deal.registered"):
    with scope(tenant=program.tenant):
        for i in range(n):
            partner_event_record(
                tenant=program.tenant,
                account_id=(account or program.partner).pk,
                type=type,
                source="api",
                reference=f"R-{i}",
            )


def _ids(program, **filters):
    with scope(tenant=program.tenant):
        return list(
            PartnerEvent.objects.filter(tenant=program.tenant, **filters)
            .order_by("-id")
            .values_list("id", flat=True)
        )


def test_pages_walk_every_event_once_newest_first(acme, api_client_for):
    _record(acme, 7)
    client = api_client_for(["partners:read"])
    seen, cursor = [], None
    for _ in range(100):
        url = f"{EVENTS}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [event["id"] for event in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == _ids(acme)


def test_filters(acme, globex, api_client_for):
    _record(acme, 2)
    _record(acme, 1, account=acme.other_partner, type="mdf.requested")
    _record(globex, 2)
    client = api_client_for(["partners:read"])
    everything = client.get(EVENTS).json()["data"]
    assert [e["id"] for e in everything] == _ids(acme)
    only = client.get(f"{EVENTS}?partner_id={acme.other_partner.pk}").json()["data"]
    assert [e["type"] for e in only] == ["mdf.requested"]
    assert client.get(f"{EVENTS}?type=deal.registered").json()["data"][0]["type"] == (
        "deal.registered"
    )
    # Another program's partner id: nothing, not an error.
    assert client.get(f"{EVENTS}?partner_id={globex.partner.pk}").json()["data"] == []
    future = client.get(f"{EVENTS}?since=2999-01-01T00:00:00Z").json()
    assert future == {"data": [], "next_cursor": None}


@pytest.mark.parametrize("limit", ["0", "101", "x", "-1"])
def test_a_limit_out_of_range_is_400(acme, api_client_for, limit):
    response = api_client_for(["partners:read"]).get(f"{EVENTS}?limit={limit}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["limit"]


def test_a_tampered_cursor_is_400(acme, api_client_for):
    _record(acme, 3)
    client = api_client_for(["partners:read"])
    cursor = client.get(f"{EVENTS}?limit=1").json()["next_cursor"]
    assert client.get(f"{EVENTS}?cursor={cursor}").status_code == 200
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "nonsense", "1"):
        response = client.get(f"{EVENTS}?cursor={bad}")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid_cursor" and list(error["fields"]) == ["cursor"]


def test_a_cursor_of_another_order_is_refused(acme):
    _record(acme, 3)
    with scope(tenant=acme.tenant):
        events = PartnerEvent.objects.filter(tenant=acme.tenant)
        page = keyset_page(events, cursor=None, limit=1, order=("-created_at", "-id"))
        assert keyset_page(
            events, cursor=page["next_cursor"], limit=1, order=("-created_at", "-id")
        )
        with pytest.raises(ApiError) as refused:
            keyset_page(events, cursor=page["next_cursor"], limit=1, order=("-id",))
    assert refused.value.status == 400


def test_the_query_count_is_constant(acme, api_client_for, django_assert_max_num_queries):
    client = api_client_for(["partners:read"])
    _record(acme, 1)
    client.get(EVENTS)
    with django_assert_max_num_queries(10) as few:
        assert client.get(EVENTS).status_code == 200
    _record(acme, 60)
    with django_assert_max_num_queries(len(few)):
        body = client.get(EVENTS).json()
    assert len(body["data"]) == 50 and body["next_cursor"]
