"""The analytics rollup: /console/analytics/ serves each filter set from its snapshot, says how
old it is, "Refresh now" recomputes it, and the Celery task keeps viewed snapshots fresh only
when the program's data moved (or they grew stale)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_scopes import scope, scopes_disabled

from apps.analytics.models import AnalyticsSnapshot
from apps.analytics.panels import AnalyticsFilters
from apps.analytics.snapshots import (
    DROP_AFTER,
    MAX_AGE,
    STALE_AFTER,
    compute_panels,
    filters_from_json,
    filters_to_json,
    page_figures,
    panels_from_json,
    panels_to_json,
    snapshot_key,
    snapshots_refresh_all_tenants,
)
from apps.audit.services import audit_record
from tests.analytics.conftest import NOW, T0, enroll, partner, place
from tests.conftest import race

pytestmark = pytest.mark.django_db

URL = "/console/analytics/"


def funnel_csv(client, query: str = "") -> list[list[str]]:
    response = client.get(f"{URL}?{query}panel=funnel&format=csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def add_finisher(data, name: str) -> None:
    """One more partner through the first stage: the funnel's first row grows by one."""
    enrollment = enroll(data.program, partner(data.program, name), data.pipeline, T0)
    with scopes_disabled():
        place(enrollment, data.stages, [(0, 3), (3, None)])
        # What a real change leaves behind: the program's data mark moves.
        with scope(tenant=data.program.tenant):
            audit_record(
                tenant=data.program.tenant,
                actor=data.program.admin,
                verb="partner.updated",
                target=enrollment.partner_account,
            )


def snapshots(tenant) -> list[AnalyticsSnapshot]:
    with scopes_disabled():
        return list(AnalyticsSnapshot.objects.filter(tenant=tenant))


def test_panels_survive_the_round_trip_through_json(data):
    filters = AnalyticsFilters()
    with scope(tenant=data.program.tenant), time_machine.travel(NOW, tick=False):
        live = compute_panels(tenant=data.program.tenant, filters=filters, now=NOW)
    assert panels_from_json(panels_to_json(live)) == live


def test_filters_survive_the_round_trip_and_key_on_language():
    filters = AnalyticsFilters(pipeline=3, tier="gold", enrolled_from=T0.date())
    assert filters_from_json(filters_to_json(filters)) == filters
    assert snapshot_key(filters, "en-us") == snapshot_key(filters, "en-us")
    assert snapshot_key(filters, "en-us") != snapshot_key(filters, "fr")
    assert snapshot_key(filters, "en-us") != snapshot_key(AnalyticsFilters(), "en-us")


def test_the_second_view_reads_the_snapshot_in_fewer_queries(data, client_for):
    client = client_for(data.program, data.program.admin)
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as first:
            body = client.get(URL).content.decode()
        assert "Figures computed just now" in body
        with CaptureQueriesContext(connection) as second:
            again = client.get(URL).content.decode()
    assert "Figures as of" in again and "they refresh every few minutes" in again
    assert len(second.captured_queries) < len(first.captured_queries) - 10
    assert len(snapshots(data.program.tenant)) == 1
    # The same figures either way.
    assert body.split('class="analytics-panels"')[1] == again.split('class="analytics-panels"')[1]


def test_a_change_shows_after_the_refresh_task_and_not_before(data, client_for):
    client = client_for(data.program, data.program.cam)
    with time_machine.travel(NOW, tick=False):
        before = funnel_csv(client)
    add_finisher(data, "Late joiner")  # at the real time: after the data set was built
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert funnel_csv(client) == before  # the snapshot, as the page says
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        result = snapshots_refresh_all_tenants()
        assert result.refreshed == 1
        after = funnel_csv(client)
    assert int(after[1][1]) == int(before[1][1]) + 1  # reached the first stage: one more


def test_unchanged_data_is_not_recomputed_until_stale(data, client_for):
    client = client_for(data.program, data.program.admin)
    with time_machine.travel(NOW, tick=False):
        client.get(URL)
    computed = snapshots(data.program.tenant)[0].computed_at
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        result = snapshots_refresh_all_tenants()
    assert (result.refreshed, result.unchanged) == (0, 1)
    assert snapshots(data.program.tenant)[0].computed_at == computed
    with time_machine.travel(NOW + STALE_AFTER + timedelta(minutes=1), tick=False):
        result = snapshots_refresh_all_tenants()
    assert result.refreshed == 1
    assert snapshots(data.program.tenant)[0].computed_at > computed


def test_the_page_never_serves_a_snapshot_older_than_max_age(data, client_for):
    client = client_for(data.program, data.program.admin)
    with time_machine.travel(NOW, tick=False):
        client.get(URL)
        add_finisher(data, "Late joiner")
    with time_machine.travel(NOW + MAX_AGE + timedelta(seconds=1), tick=False):
        body = client.get(URL).content.decode()
        rows = funnel_csv(client)
    assert "Figures computed just now" in body
    assert rows[1][1] == "7"  # six in the data set, one more


def test_refresh_now_recomputes_once_and_keeps_the_filters(data, client_for):
    client = client_for(data.program, data.program.cam)
    with time_machine.travel(NOW, tick=False):
        client.get(f"{URL}?tier=gold")
        add_finisher(data, "Late joiner")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        response = client.post(f"{URL}?tier=gold&region=mars")
        assert response.status_code == 302
        assert response["Location"] == f"{URL}?tier=gold"  # the forged filter is dropped
        computed = {s.key: s.computed_at for s in snapshots(data.program.tenant)}
        assert NOW + timedelta(minutes=1) in computed.values()
        # A double click: computed seconds ago, so served as is.
        with CaptureQueriesContext(connection) as ctx:
            client.post(f"{URL}?tier=gold")
        assert not [q for q in ctx.captured_queries if "percentile_cont" in q["sql"]]


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_cannot_refresh(acme, client_for, role):
    response = client_for(acme, getattr(acme, role)).post(URL)
    assert response.status_code == 404
    assert snapshots(acme.tenant) == []


def test_anonymous_and_another_programs_staff_cannot_refresh(acme, globex, client_for):
    assert client_for(acme).post(URL).status_code == 302
    assert client_for(acme, globex.admin).post(URL).status_code == 404
    assert snapshots(acme.tenant) == [] and snapshots(globex.tenant) == []


def test_each_program_has_its_own_snapshot(data, globex, client_for):
    ours = client_for(data.program, data.program.admin)
    theirs = client_for(globex, globex.admin)
    with time_machine.travel(NOW, tick=False):
        ours.get(URL)
        body = theirs.get(URL).content.decode()
        their_funnel = funnel_csv(theirs)
    assert "Company details" not in body  # acme's stage names never reach globex
    assert their_funnel == their_funnel[:1]  # the header only: globex has no enrollment
    assert len(snapshots(data.program.tenant)) == 1 and len(snapshots(globex.tenant)) == 1
    assert snapshots(data.program.tenant)[0].key == snapshots(globex.tenant)[0].key


def test_a_french_page_gets_its_own_snapshot(data):
    tenant = data.program.tenant
    with scope(tenant=tenant), time_machine.travel(NOW, tick=False):
        page_figures(tenant=tenant, filters=AnalyticsFilters())
        with translation.override("fr"):
            page_figures(tenant=tenant, filters=AnalyticsFilters())
    assert sorted(s.language for s in snapshots(tenant)) == ["en-us", "fr"]


def test_snapshots_nobody_views_are_dropped_and_not_refreshed(data):
    tenant = data.program.tenant
    with scope(tenant=tenant), time_machine.travel(NOW, tick=False):
        page_figures(tenant=tenant, filters=AnalyticsFilters())
        page_figures(tenant=tenant, filters=AnalyticsFilters(tier="gold"))
    with scopes_disabled():
        AnalyticsSnapshot.objects.filter(filters__tier="gold").update(
            viewed_at=NOW - DROP_AFTER - timedelta(days=1)
        )
    with time_machine.travel(NOW + STALE_AFTER + timedelta(minutes=1), tick=False):
        result = snapshots_refresh_all_tenants()
    assert (result.dropped, result.refreshed) == (1, 1)
    assert [s.filters["tier"] for s in snapshots(tenant)] == [""]


def test_the_task_stops_at_its_budget_and_leaves_the_rest(data):
    tenant = data.program.tenant
    with scope(tenant=tenant), time_machine.travel(NOW, tick=False):
        for tier in ("", "gold", "silver"):
            page_figures(tenant=tenant, filters=AnalyticsFilters(tier=tier))
    with time_machine.travel(NOW + STALE_AFTER + timedelta(minutes=1), tick=False):
        result = snapshots_refresh_all_tenants(budget_seconds=0)
    assert (result.refreshed, result.left) == (0, 3)


@pytest.mark.django_db(transaction=True)
def test_two_first_views_racing_leave_one_snapshot(data):
    tenant = data.program.tenant

    def view() -> None:
        with scope(tenant=tenant):
            page_figures(tenant=tenant, filters=AnalyticsFilters(), now=NOW)

    assert race(view, view) == [None, None]
    assert len(snapshots(tenant)) == 1


# --- The console home's program-wide figures -------------------------------------------------


def test_the_home_computes_its_percentiles_once_per_refresh(data, client_for):
    client = client_for(data.program, data.program.cam)
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as first:
            body = client.get("/console/").content.decode()
        with CaptureQueriesContext(connection) as second:
            again = client.get("/console/").content.decode()
    assert [q for q in first.captured_queries if "percentile_cont" in q["sql"]]
    assert not [q for q in second.captured_queries if "percentile_cont" in q["sql"]]
    assert "Funnel and stage times as of" in body
    # The same funnel and the same stalled count from the snapshot.
    marker = 'id="dashboard-funnel"'
    assert body.split(marker)[1] == again.split(marker)[1]
    kinds = sorted(s.kind for s in snapshots(data.program.tenant))
    assert kinds == ["home"]


def test_the_home_snapshot_is_refreshed_by_the_task(data, client_for):
    client = client_for(data.program, data.program.admin)
    with time_machine.travel(NOW, tick=False):
        client.get("/console/")
    add_finisher(data, "Late joiner")
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        assert snapshots_refresh_all_tenants().refreshed == 1
        body = client.get("/console/").content.decode()
    assert "7 reached" in body  # six in the data set, one more
