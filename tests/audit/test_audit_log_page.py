"""The audit log page (/console/audit/), its streamed CSV export and the partner timeline's
keyset pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.audit.selectors import LOG_PAGE_SIZE, AuditFilters, Cursor
from apps.audit.views import EXPORT_CHUNK, EXPORT_HEADER
from apps.tenancy.models import Membership

pytestmark = pytest.mark.django_db

VERB = "partner.user_role_changed"
OTHER_VERB = "partner.suspended"


def _events(
    program: Any,
    n: int,
    *,
    verb: str = VERB,
    actor: Any = None,
    partner: Any = None,
    data: dict[str, Any] | None = None,
    label: str = "Target",
) -> list[AuditEvent]:
    partner = partner if partner is not None else program.partner
    with scope(tenant=program.tenant):
        return AuditEvent.objects.bulk_create(
            AuditEvent(
                tenant=program.tenant,
                actor=actor,
                actor_label=actor.email if actor is not None else "system",
                verb=verb,
                target_type="partners.partneraccount",
                target_id=str(partner.pk),
                target_label=label,
                partner_id=partner.pk,
                data=data if data is not None else {"user": f"u{i}@x.test", "i": i},
            )
            for i in range(n)
        )


def _page_ids(response: Any) -> list[int]:
    assert response.status_code == 200
    return [e.pk for e in response.context["page"].events]


def _csv(response: Any) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/console/audit/", "/console/audit/export/"])
def test_only_program_admins_open_the_log(acme, globex, client_for, url):
    assert client_for(acme, acme.admin).get(url).status_code == 200
    assert client_for(acme, acme.cam).get(url).status_code == 403
    assert client_for(acme, acme.partner_admin).get(url).status_code == 404
    assert client_for(acme, acme.partner_user).get(url).status_code == 404
    assert client_for(acme, globex.admin).get(url).status_code == 404
    assert client_for(acme).get(url).status_code == 302


def test_refused_export_records_nothing(acme, client_for, unscoped):
    client_for(acme, acme.cam).get("/console/audit/export/")
    assert not AuditEvent.objects.filter(verb="audit.exported").exists()


# Filters --------------------------------------------------------------------------------


def test_page_lists_newest_first_with_wording_and_changes(acme, client_for, unscoped):
    _events(
        acme,
        1,
        verb="partner.updated",
        actor=acme.admin,
        data={"from": {"tier": "Silver"}, "to": {"tier": "Gold"}},
        label=acme.partner.name,
    )
    response = client_for(acme, acme.admin).get("/console/audit/")
    ids = _page_ids(response)
    assert ids == sorted(ids, reverse=True)
    html = response.content.decode()
    assert "Silver" in html and "Gold" in html
    assert acme.partner.name in html
    assert f"/console/partners/{acme.partner.pk}/" in html


def test_filter_by_partner(acme, client_for, unscoped):
    mine = _events(acme, 3, partner=acme.other_partner, verb=OTHER_VERB)
    response = client_for(acme, acme.admin).get(
        "/console/audit/", {"partner": acme.other_partner.pk, "verb": OTHER_VERB}
    )
    assert set(_page_ids(response)) == {e.pk for e in mine}
    only = client_for(acme, acme.admin).get("/console/audit/", {"partner": acme.other_partner.pk})
    assert {e.partner_id for e in only.context["page"].events} == {acme.other_partner.pk}


def test_filter_by_partner_name_search(acme, client_for, unscoped):
    _events(acme, 2, partner=acme.other_partner)
    response = client_for(acme, acme.admin).get("/console/audit/", {"partner_q": "partner two"})
    events = response.context["page"].events
    assert events and {e.partner_id for e in events} == {acme.other_partner.pk}
    # Both partners match "partner": the log shows both, and offers each to pick.
    both = client_for(acme, acme.admin).get("/console/audit/", {"partner_q": "Partner"})
    assert len(both.context["form"].partner_matches) == 2
    assert f"?partner={acme.other_partner.pk}" in both.content.decode()
    none = client_for(acme, acme.admin).get("/console/audit/", {"partner_q": "zzz"})
    assert none.context["form"].errors["partner_q"]


def test_filter_by_actor_and_system(acme, client_for, unscoped):
    by_cam = _events(acme, 2, actor=acme.cam)
    by_partner = _events(acme, 1, actor=acme.partner_user)
    by_system = _events(acme, 2, actor=None)
    client = client_for(acme, acme.admin)
    cam = client.get("/console/audit/", {"actor": acme.cam.email.upper(), "verb": VERB})
    assert set(_page_ids(cam)) == {e.pk for e in by_cam}
    partner_user = client.get("/console/audit/", {"actor": acme.partner_user.email})
    assert {e.pk for e in by_partner} <= set(_page_ids(partner_user))
    assert {e.actor_id for e in partner_user.context["page"].events} == {acme.partner_user.pk}
    system = client.get("/console/audit/", {"actor": "system", "verb": VERB})
    assert set(_page_ids(system)) == {e.pk for e in by_system}


def test_filter_by_verb(acme, client_for, unscoped):
    _events(acme, 2, verb=VERB)
    suspended = _events(acme, 2, verb=OTHER_VERB)
    response = client_for(acme, acme.admin).get("/console/audit/", {"verb": OTHER_VERB})
    assert set(_page_ids(response)) == {e.pk for e in suspended}
    # The verb filter offers the vocabulary grouped by app, in words.
    html = response.content.decode()
    assert '<optgroup label="Partners">' in html
    assert "Suspended partner account …" in html


def test_filter_by_dates_in_the_program_time_zone(acme, client_for, unscoped):
    acme.tenant.time_zone = "America/New_York"
    acme.tenant.save(update_fields=["time_zone"])
    with time_machine.travel(datetime(2024, 1, 9, 12, tzinfo=UTC), tick=False):
        before = _events(acme, 1)
    with time_machine.travel(datetime(2024, 1, 11, 3, tzinfo=UTC), tick=False):
        late_evening_10th = _events(acme, 1)  # 22:00 on the 10th in New York
    with time_machine.travel(datetime(2024, 1, 11, 6, tzinfo=UTC), tick=False):
        on_11th = _events(acme, 1)
    client = client_for(acme, acme.admin)
    day = client.get("/console/audit/", {"since": "2024-01-10", "until": "2024-01-10"})
    assert _page_ids(day) == [late_evening_10th[0].pk]
    since = client.get("/console/audit/", {"since": "2024-01-10", "verb": VERB})
    assert set(_page_ids(since)) == {late_evening_10th[0].pk, on_11th[0].pk}
    until = client.get("/console/audit/", {"until": "2024-01-09", "verb": VERB})
    assert _page_ids(until) == [before[0].pk]
    backwards = client.get("/console/audit/", {"since": "2024-01-11", "until": "2024-01-09"})
    assert backwards.context["form"].errors["until"]


def test_filters_combined(acme, client_for, unscoped):
    with time_machine.travel(datetime(2024, 3, 1, 12, tzinfo=UTC), tick=False):
        wanted = _events(acme, 2, actor=acme.cam, partner=acme.other_partner, verb=OTHER_VERB)
        _events(acme, 2, actor=acme.admin, partner=acme.other_partner, verb=OTHER_VERB)
        _events(acme, 2, actor=acme.cam, partner=acme.partner, verb=OTHER_VERB)
        _events(acme, 2, actor=acme.cam, partner=acme.other_partner, verb=VERB)
    with time_machine.travel(datetime(2024, 4, 1, 12, tzinfo=UTC), tick=False):
        _events(acme, 2, actor=acme.cam, partner=acme.other_partner, verb=OTHER_VERB)
    response = client_for(acme, acme.admin).get(
        "/console/audit/",
        {
            "partner": acme.other_partner.pk,
            "actor": acme.cam.email,
            "verb": OTHER_VERB,
            "since": "2024-03-01",
            "until": "2024-03-31",
        },
    )
    assert set(_page_ids(response)) == {e.pk for e in wanted}


def test_bad_filter_values_are_dropped_with_an_error(acme, client_for):
    response = client_for(acme, acme.admin).get(
        "/console/audit/",
        {"partner": "abc", "actor": "nobody@else.test", "verb": "nope", "before": "garbage"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"partner", "actor", "verb"} <= set(errors)
    assert response.context["filters"] == AuditFilters()


# Keyset pages ---------------------------------------------------------------------------


def test_keyset_pages_have_no_duplicates_or_gaps_under_inserts(acme, client_for, unscoped):
    original = _events(acme, 2 * LOG_PAGE_SIZE + 20)
    client = client_for(acme, acme.admin)
    query = {"verb": VERB}
    first = client.get("/console/audit/", query)
    seen = _page_ids(first)
    assert len(seen) == LOG_PAGE_SIZE
    assert first.context["page"].newer is None
    older = first.context["page"].older
    # New events arrive while the admin reads page 1: the older pages don't move.
    _events(acme, 7)
    second = client.get("/console/audit/", {**query, "before": older.encode()})
    seen += _page_ids(second)
    third = client.get(
        "/console/audit/", {**query, "before": second.context["page"].older.encode()}
    )
    seen += _page_ids(third)
    assert third.context["page"].older is None
    assert len(seen) == len(set(seen)) == len(original)
    assert set(seen) == {e.pk for e in original}
    # "Newer" from page 2 gives exactly page 1 as it was; the new events are above it.
    back = client.get("/console/audit/", {**query, "after": second.context["page"].newer.encode()})
    assert _page_ids(back) == _page_ids(first)
    assert not back.context["page"].is_first
    top = client.get("/console/audit/", {**query, "after": back.context["page"].newer.encode()})
    assert top.context["page"].is_first  # reaching the top shows the newest page
    assert max(_page_ids(top)) > max(e.pk for e in original)
    # "Newer" from page 3 gives exactly page 2 (nothing inserted between them).
    up = client.get("/console/audit/", {**query, "after": third.context["page"].newer.encode()})
    assert _page_ids(up) == _page_ids(second)


def test_cursor_round_trips_and_refuses_garbage():
    cursor = Cursor(created_at=datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC), id=42)
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ["", "x", "2024-05-01,1", "2024-05-01T10:00:00.000000Z,", "2024-05-01T10:00Z,1"]:
        assert Cursor.decode(bad) is None


def test_page_query_count_is_constant(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.admin)
    client.get("/console/audit/")  # warm the session and caches
    _events(acme, 10, actor=acme.cam)
    with django_assert_max_num_queries(12):
        small = client.get("/console/audit/", {"actor": acme.cam.email, "verb": VERB})
    _events(acme, 200, actor=acme.partner_user, partner=acme.other_partner)
    with django_assert_max_num_queries(12):
        large = client.get("/console/audit/")
    assert len(_page_ids(small)) == 10 and len(_page_ids(large)) == LOG_PAGE_SIZE


# Another tenant -------------------------------------------------------------------------


def test_another_programs_events_are_never_shown(acme, globex, client_for, unscoped):
    _events(globex, 5, label="Globex secret", actor=globex.admin)
    response = client_for(acme, acme.admin).get("/console/audit/")
    html = response.content.decode()
    assert "Globex secret" not in html and globex.admin.email not in html
    with scopes_disabled():
        globex_ids = set(
            AuditEvent.objects.filter(tenant=globex.tenant).values_list("pk", flat=True)
        )
    assert not globex_ids & set(_page_ids(response))


def test_another_programs_partner_or_actor_is_refused_without_leaking(acme, globex, client_for):
    _events(globex, 3, partner=globex.partner, label="Globex secret")
    client = client_for(acme, acme.admin)
    response = client.get("/console/audit/", {"partner": globex.partner.pk})
    assert response.status_code == 200
    assert "partner" in response.context["form"].errors
    assert response.context["filters"].partner_ids == ()
    html = response.content.decode()
    assert globex.partner.name not in html and "Globex secret" not in html
    # A name search only finds this program's partners.
    found = client.get("/console/audit/", {"partner_q": globex.partner.name})
    assert "partner_q" in found.context["form"].errors
    # Nor can another program's user be named as the actor.
    actor = client.get("/console/audit/", {"actor": globex.admin.email})
    assert "actor" in actor.context["form"].errors
    export = _csv(client.get("/console/audit/export/", {"partner": globex.partner.pk}))
    assert "Globex secret" not in json.dumps(export)


def test_export_never_contains_another_programs_events(acme, globex, client_for, unscoped):
    _events(globex, 4, label="Globex secret")
    _events(acme, 4, label="Acme target")
    rows = _csv(client_for(acme, acme.admin).get("/console/audit/export/"))
    body = json.dumps(rows)
    assert "Globex secret" not in body and "Acme target" in body
    with scopes_disabled():
        # Every event of the program, the export's own (recorded before the rows stream) too.
        assert len(rows) - 1 == AuditEvent.objects.filter(tenant=acme.tenant).count()


# CSV export -----------------------------------------------------------------------------


def test_export_equals_the_filtered_rows(acme, client_for, unscoped):
    _events(acme, 3, actor=acme.cam, verb=OTHER_VERB, partner=acme.other_partner)
    wanted = _events(
        acme,
        2,
        actor=acme.cam,
        verb=VERB,
        partner=acme.other_partner,
        data={"user": "jo@x.test", "from": {"role": "a"}, "to": {"role": "b"}},
        label=acme.other_partner.name,
    )
    query = {"actor": acme.cam.email, "verb": VERB, "partner": acme.other_partner.pk}
    client = client_for(acme, acme.admin)
    page = _page_ids(client.get("/console/audit/", query))
    response = client.get("/console/audit/export/", query)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert tuple(rows[0]) == EXPORT_HEADER
    assert len(rows) - 1 == len(page) == len(wanted)
    row = dict(zip(rows[0], rows[1], strict=True))
    event = max(wanted, key=lambda e: e.pk)
    event.refresh_from_db()
    assert row["time_utc"] == event.created_at.astimezone(UTC).isoformat()
    assert row["actor_email"] == acme.cam.email
    assert row["actor_name"] == "Casey Cam"
    assert row["verb"] == VERB
    assert row["wording"] == f"Changed jo@x.test’s role in {acme.other_partner.name}"
    assert "<" not in row["wording"]
    assert row["target_type"] == "partners.partneraccount"
    assert row["target_id"] == str(acme.other_partner.pk)
    assert row["partner_id"] == str(acme.other_partner.pk)
    assert row["partner_name"] == acme.other_partner.name
    assert json.loads(row["changes"]) == event.data


def test_export_system_actor(acme, client_for, unscoped):
    _events(acme, 1, actor=None, verb=OTHER_VERB)
    rows = _csv(client_for(acme, acme.admin).get("/console/audit/export/", {"verb": OTHER_VERB}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["actor_email"] == "" and row["actor_name"] == "System"


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"])
def test_export_guards_csv_injection(acme, client_for, unscoped, evil):
    _events(acme, 1, label=evil, data={"user": evil})
    rows = _csv(client_for(acme, acme.admin).get("/console/audit/export/", {"verb": VERB}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["target_label"] == "'" + evil
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@"))


def test_export_streams_many_chunks_completely(acme, client_for, unscoped):
    total = 2 * EXPORT_CHUNK + 1000
    _events(acme, total, actor=acme.cam)
    response = client_for(acme, acme.admin).get("/console/audit/export/", {"verb": VERB})
    assert response.streaming
    rows = _csv(response)
    assert len(rows) - 1 == total
    assert len({r[8] + r[10] for r in rows[1:]}) == total  # every row once (data holds i)


def test_export_is_audited_with_its_filters(acme, client_for, unscoped):
    client_for(acme, acme.admin).get(
        "/console/audit/export/",
        {"verb": VERB, "actor": "system", "partner": acme.partner.pk, "since": "2024-01-01"},
    )
    event = AuditEvent.objects.get(tenant=acme.tenant, verb="audit.exported")
    assert event.actor == acme.admin
    assert event.data["filters"]["verb"] == VERB
    assert event.data["filters"]["actor"] == "system"
    assert event.data["filters"]["partner_ids"] == [acme.partner.pk]
    assert acme.partner.name in event.data["filters_text"]
    page = client_for(acme, acme.admin).get("/console/audit/", {"verb": "audit.exported"})
    assert "Exported the audit log as CSV" in page.content.decode()


# The partner timeline -------------------------------------------------------------------


def test_partner_timeline_pages(acme, client_for, unscoped):
    _events(acme, 250)
    total = AuditEvent.objects.filter(tenant=acme.tenant, partner_id=acme.partner.pk).count()
    client = client_for(acme, acme.admin)
    url = f"/console/partners/{acme.partner.pk}/"
    response = client.get(url)
    seen = [e.pk for e in response.context["timeline"]]
    assert len(seen) == 50
    html = response.content.decode()
    assert "Older events" in html
    assert f"/console/audit/?partner={acme.partner.pk}" in html
    page = response.context["timeline_page"]
    while page.older is not None:
        response = client.get(url, {"before": page.older.encode()})
        assert response.status_code == 200
        page = response.context["timeline_page"]
        seen += [e.pk for e in page.events]
    assert len(seen) == len(set(seen)) == total
    assert "Older events" not in response.content.decode()


def test_partner_timeline_next_page_for_htmx(acme, client_for, unscoped):
    _events(acme, 60)
    client = client_for(acme, acme.admin)
    url = f"/console/partners/{acme.partner.pk}/"
    first = client.get(url).context["timeline_page"]
    fragment = client.get(url, {"before": first.older.encode()}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html and "timeline__meta" in html


def test_partner_timeline_link_to_the_log_only_for_admins(acme, client_for):
    url = f"/console/partners/{acme.partner.pk}/"
    assert "/console/audit/" not in client_for(acme, acme.cam).get(url).content.decode()


def test_partner_page_query_count_is_constant(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.admin)
    url = f"/console/partners/{acme.partner.pk}/"
    client.get(url)
    _events(acme, 10)
    with django_assert_max_num_queries(14):
        client.get(url)
    _events(acme, 200, actor=acme.cam)
    with django_assert_max_num_queries(14):
        client.get(url)


def test_settings_nav_links_the_log(acme, client_for):
    html = client_for(acme, acme.admin).get("/console/audit/").content.decode()
    assert 'href="/console/audit/" aria-current="page"' in html
    with scope(tenant=acme.tenant):
        assert Membership.objects.filter(tenant=acme.tenant, user=acme.admin).exists()


def test_a_moment_in_the_changes_reads_as_a_date_and_time() -> None:
    from apps.audit.templatetags.audit import _change_value

    shown = _change_value("2026-09-08T13:03:34.232842+00:00")
    assert "T13:03" not in shown and "2026" in shown
    assert _change_value("2026-09-08 and more") == "2026-09-08 and more"
    assert _change_value("not a dateTtime at all") == "not a dateTtime at all"
