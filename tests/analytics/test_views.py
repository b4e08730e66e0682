"""/console/analytics/: who may open it, the filters in the URL, the CSV of each panel, and a
constant number of queries whatever the data and the filters."""

from __future__ import annotations

import csv
import io
import re

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from apps.analytics.charts import chart_for
from apps.analytics.csv_export import panel_csv
from apps.analytics.panels import Panel
from apps.partners.models import PartnerType
from tests.analytics.conftest import NOW, T0, enroll, partner, place
from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

pytestmark = pytest.mark.django_db

URL = "/console/analytics/"


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


# --- Who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "cam"])
def test_staff_see_the_page(acme, client_for, role):
    with time_machine.travel(NOW, tick=False):
        response = client_for(acme, getattr(acme, role)).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Onboarding funnel" in body
    assert "CAM workload" in body
    assert 'aria-current="page"' in body and "Analytics" in body  # the nav entry


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_are_refused(acme, client_for, role):
    client = client_for(acme, getattr(acme, role))
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}?panel=funnel&format=csv").status_code == 404


def test_anonymous_is_sent_to_sign_in(acme, client_for):
    response = client_for(acme).get(f"{URL}?panel=funnel&format=csv")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_programs_staff_get_404(acme, globex, client_for):
    client = client_for(acme, globex.admin)
    assert client.get(URL).status_code == 404


# --- Charts, tables, empty states -----------------------------------------------------------------


def test_panels_render_svg_charts_and_tables(data, client_for):
    with time_machine.travel(NOW, tick=False):
        response = client_for(data.program, data.program.admin).get(URL)
    body = response.content.decode()
    assert body.count('role="img"') >= 3  # funnel, time in stage, stall actions at least
    assert "<title>Onboarding funnel: Reseller onboarding: Company details 6;" in body
    assert "Download CSV" in body
    assert "panel=funnel&amp;format=csv" in body


def test_empty_states_say_what_to_do(acme, client_for):
    response = client_for(acme, acme.admin).get(f"{URL}?enrolled_from=2031-01-01")
    body = response.content.decode()
    assert "widen the dates or clear filters" in body
    assert 'value="2031-01-01"' in body  # the filter is kept in the form


# --- CSV -------------------------------------------------------------------------------------


def test_csv_is_exactly_the_panels_table(data, client_for):
    client = client_for(data.program, data.program.cam)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"{URL}?panel=funnel&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="acme-funnel-2025-04-02.csv"' in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["Stage", "Reached", "In it now", "Finished", "Reached (% of first stage)"],
        ["Company details", "6", "1", "4", "100.0"],
        ["Contract", "4", "2", "2", "66.7"],
        ["Kick-off call", "2", "2", "0", "33.3"],
        ["Enablement", "0", "0", "0", "0.0"],
    ]
    with time_machine.travel(NOW, tick=False):
        time_csv = csv_rows(client.get(f"{URL}?panel=time_in_stage&format=csv"))
    assert time_csv[1] == ["Company details", "4", "5.0", "7.4", "1", "1", "100.0"]
    assert time_csv[3][2:4] == ["", ""]  # no one finished the kick-off call: empty cells


def test_csv_follows_the_filters(data, client_for):
    with scopes_disabled():
        reseller = PartnerType.objects.get(tenant=data.program.tenant, name="Reseller / VAR")
    client = client_for(data.program, data.program.admin)
    with time_machine.travel(NOW, tick=False):
        rows = csv_rows(client.get(f"{URL}?type={reseller.pk}&panel=funnel&format=csv"))
    assert rows[1] == ["Company details", "5", "1", "3", "100.0"]


def test_csv_of_an_unknown_panel_is_404(acme, client_for):
    client = client_for(acme, acme.admin)
    assert client.get(f"{URL}?panel=nope&format=csv").status_code == 404


def test_csv_injection_is_guarded():
    panel = Panel(
        key="x",
        title="X",
        description="",
        columns=["Name", "Value"],
        rows=[['=HYPERLINK("http://evil")', -3], ["+1", 2.5], ["@SUM(A1)", None], ["-x", 0]],
    )
    rows = list(csv.reader(io.StringIO(panel_csv(panel))))
    assert rows[1:] == [
        ['\'=HYPERLINK("http://evil")', "-3"],  # a negative number stays a number
        ["'+1", "2.5"],
        ["'@SUM(A1)", ""],
        ["'-x", "0"],
    ]


def test_stage_names_are_neutralised_in_the_csv(acme, client_for):
    pipeline, stages, _actions = build_pipeline(acme, stages_spec=[("=cmd|' /C calc'!A0", [])])
    enroll(acme, partner(acme, "Evil"), pipeline, T0)
    rows = csv_rows(client_for(acme, acme.admin).get(f"{URL}?panel=funnel&format=csv"))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"


# --- Filters ---------------------------------------------------------------------------------


def test_a_forged_filter_value_is_ignored(data, client_for, globex):
    client = client_for(data.program, data.program.admin)
    with scopes_disabled():
        theirs = PartnerType.objects.get(tenant=globex.tenant, name="Reseller / VAR")
    with time_machine.travel(NOW, tick=False):
        plain = csv_rows(client.get(f"{URL}?panel=funnel&format=csv"))
        for query in (
            f"type={theirs.pk}",  # another program's type
            "type=abc",
            "tier=<script>",
            "region=mars",
            "cam=999999",
            f"pipeline={data.pipeline.pk + 1000}",
            "enrolled_from=2025-99-99",
        ):
            page = client.get(f"{URL}?{query}")
            assert page.status_code == 200, query
            forged = csv_rows(client.get(f"{URL}?{query}&panel=funnel&format=csv"))
            assert forged == plain, query
        # A period ending before it starts: its end is dropped, its start still applies.
        backwards = "enrolled_from=2025-05-01&enrolled_to=2025-01-01"
        rows = csv_rows(client.get(f"{URL}?{backwards}&panel=funnel&format=csv"))
        assert rows == plain[:1]  # nobody enrolled since 1 May: the header only
    assert "This filter is ignored." in page.content.decode()


def test_filter_links_keep_only_valid_filters(data, client_for):
    client = client_for(data.program, data.program.admin)
    with time_machine.travel(NOW, tick=False):
        body = client.get(f"{URL}?tier=gold&region=mars").content.decode()
    links = re.findall(r'href="\?([^"]*)"', body)
    assert "tier=gold&amp;panel=funnel&amp;format=csv" in links
    assert not [link for link in links if "mars" in link]


# --- Queries ---------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _enrolled_partners(program, pipeline, stages, n: int, offset: int = 0) -> None:
    for i in range(n):
        enrollment = enroll(program, partner(program, f"Bulk {offset + i}"), pipeline, T0)
        with scopes_disabled():
            place(enrollment, stages, [(0, 1 + i % 5), (1 + i % 5, None)])


def test_query_count_is_constant_whatever_the_data_and_filters(
    acme, client_for, django_assert_max_num_queries
):
    pipeline, stages, _actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    client = client_for(acme, acme.admin)
    with scopes_disabled():
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
    filtered = (
        f"{URL}?pipeline={pipeline.pk}&type={reseller.pk}&tier=registered&region=emea"
        f"&cam={acme.cam.pk}&enrolled_from=2025-01-01&enrolled_to=2025-12-31"
    )
    _enrolled_partners(acme, pipeline, stages, 3)
    with time_machine.travel(NOW, tick=False):
        client.get(URL)  # warm: session, caches
        bound = max(_queries(client, URL), _queries(client, filtered))
    _enrolled_partners(acme, pipeline, stages, 27, offset=3)
    with time_machine.travel(NOW, tick=False):
        for path in (URL, filtered, f"{URL}?panel=funnel&format=csv"):
            with django_assert_max_num_queries(bound):
                assert client.get(path).status_code == 200


# --- Charts -----------------------------------------------------------------------------------


def test_cohort_panels_are_a_heat_map_with_the_numbers_written():
    panel = Panel(
        key="c",
        title="Cohorts",
        description="",
        columns=["Month", "30 days", "60 days"],
        rows=[["2025-01", 10.0, 95.0], ["2025-02", 50.0, None]],
        chart="cohort",
        unit="%",
    )
    html = render_to_string("analytics/_chart.html", {"chart": chart_for(panel)})
    assert 'class="text-right tabular heat-0">10%' in html
    assert 'class="text-right tabular heat-4">95%' in html
    assert 'class="text-right tabular heat-2">50%' in html
    assert 'class="text-right tabular">—' in html  # no value, no colour
    assert "Cohorts: 2025-01: 10%, 95%; 2025-02: 50%, —" in html  # the caption


def test_bar_charts_are_accessible_svg_with_value_labels():
    panel = Panel(
        key="b",
        title="Weekly",
        description="",
        columns=["Week", "Received"],
        rows=[["2025-03-03", 3], ["2025-03-10", 0]],
        series=[("3 Mar", 3.0), ("10 Mar", 0.0)],
    )
    html = render_to_string("analytics/_chart.html", {"chart": chart_for(panel)})
    assert 'role="img"' in html
    assert 'aria-label="Weekly: 3 Mar 3; 10 Mar 0"' in html
    assert "<title>Weekly: 3 Mar 3; 10 Mar 0</title>" in html
    assert html.count('class="chart__value"') == 2
    assert chart_for(Panel(key="e", title="", description="", columns=[], rows=[])) is None
