"""The pipeline panels on the hand-made data set of conftest.py, whose answers are known."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.analytics.selectors_applications import applications_panel, applications_weekly_panel
from apps.analytics.selectors_page import pipeline_panels
from apps.analytics.selectors_workload import cam_workload_panel
from apps.applications.models import Application, ApplicationSource
from apps.applications.services import application_approve, application_reject
from apps.onboarding.models import ActionProgress, ActionStatus
from apps.partners.models import PartnerType
from apps.partners.selectors import channel_managers_for
from tests.analytics.conftest import NOW, T0, build_data_set, day, enroll, partner, place
from tests.applications.factories import ApplicationFactory
from tests.onboarding.factories import build_pipeline

pytestmark = pytest.mark.django_db


def panels_of(program, filters=None, now=NOW) -> dict[str, Panel]:
    with scope(tenant=program.tenant):
        managers = list(channel_managers_for(tenant=program.tenant))
        panels = pipeline_panels(
            tenant=program.tenant, filters=filters or AnalyticsFilters(), now=now, managers=managers
        )
    return {p.key: p for p in panels}


def by_stage(panel: Panel) -> dict[str, list]:
    return {row[0]: row[1:] for row in panel.rows}


# --- Funnel -------------------------------------------------------------------------------


def test_funnel_counts_reached_now_and_finished_per_stage(data):
    funnel = panels_of(data.program)["funnel"]
    assert "Reseller onboarding" in funnel.title  # the busiest pipeline by default
    assert funnel.chart == "funnel"
    assert funnel.rows == [
        # reached, in it now, finished, % of first stage's reached
        ["Company details", 6, 1, 4, 100.0],  # F reached S1 here before moving
        ["Contract", 4, 2, 2, 66.7],  # C skipped it: reached and finished
        ["Kick-off call", 2, 2, 0, 33.3],
        ["Enablement", 0, 0, 0, 0.0],
    ]
    assert funnel.series[0] == ("Company details", 6.0)


def test_a_partner_moved_to_another_pipeline_counts_in_both(data):
    panels = panels_of(data.program, AnalyticsFilters(pipeline=data.other_pipeline.pk))
    funnel = panels["funnel"]
    assert "Distributor onboarding" in funnel.title
    assert funnel.rows == [["Paperwork", 1, 1, 0, 100.0], ["Training", 0, 0, 0, 0.0]]
    # Filtering on the first pipeline keeps F there (its enrollment was in it) ...
    first = panels_of(data.program, AnalyticsFilters(pipeline=data.pipeline.pk))["funnel"]
    assert by_stage(first)["Company details"][:2] == [6, 1]  # ... but not "in it now"


def test_funnel_empty_period_says_what_to_do(data):
    filters = AnalyticsFilters(enrolled_from=(T0 + timedelta(days=60)).date())
    panels = panels_of(data.program, filters)
    for key in ("funnel", "time_in_stage"):
        assert panels[key].is_empty
        assert "widen the dates or clear filters" in panels[key].empty


def test_no_pipeline_at_all(acme):
    panels = panels_of(acme)
    assert panels["funnel"].is_empty and panels["funnel"].empty
    assert panels["stall_actions"].is_empty


# --- Time in stage ----------------------------------------------------------------------------


def test_time_in_stage_median_of_an_even_count_p90_and_stalls(data):
    time_in = panels_of(data.program)["time_in_stage"]
    rows = by_stage(time_in)
    # finished (timed), median, p90, in it now, stalled, stalled %
    assert rows["Company details"] == [4, 5.0, 7.4, 1, 1, 100.0]  # 2,4,6,8 days; D stalled
    # C skipped Contract: out of the durations, so only A (4 days) is timed.
    assert rows["Contract"] == [1, 4.0, 4.0, 2, 2, 100.0]
    assert rows["Kick-off call"] == [0, None, None, 2, 0, 0.0]
    assert time_in.chart == "hbar"
    assert time_in.series[0] == ("Company details", 5.0)


def test_stall_points_follow_the_clock(data):
    # At T0 + 7 days D (in S1 since day 0) is not yet past S1's p90 of 7.4 days.
    time_in = panels_of(data.program, now=day(7))["time_in_stage"]
    assert by_stage(time_in)["Company details"][3:] == [1, 0, 0.0]


def test_stall_actions_are_the_open_actions_of_stalled_partners(data):
    stall = panels_of(data.program)["stall_actions"]
    assert stall.rows == [
        ["Company details", "Legal details", 1],  # D did its Tax form
        ["Contract", "Signed NDA", 2],  # B and E
    ]


def test_stall_actions_keep_the_top_three_of_a_stage(acme):
    spec = [("Paperwork", [(f"Doc {i}", "upload_document", False) for i in range(5)])]
    pipeline, stages, actions = build_pipeline(acme, stages_spec=spec)
    # Three finished in 1 day; four stalled since day 0, with Docs 0..3 open for some.
    for i in range(7):
        enrollment = enroll(acme, partner(acme, f"P{i}"), pipeline, T0)
        with scopes_disabled():
            place(enrollment, stages, [(0, 1) if i < 3 else (0, None)])
            if i >= 3:
                done = [f"Doc {k}" for k in range(5) if k < i - 3]  # P3 none, P6 0..2 done
                ActionProgress.objects.filter(enrollment=enrollment, action__title__in=done).update(
                    status=ActionStatus.COMPLETED
                )
    stall = panels_of(acme)["stall_actions"]
    # Doc 4 is open for all four stalled partners, Doc 3 too, Doc 2 for three, ...
    assert stall.rows == [
        ["Paperwork", "Doc 3", 4],
        ["Paperwork", "Doc 4", 4],
        ["Paperwork", "Doc 2", 3],
    ]


# --- Filters ----------------------------------------------------------------------------------


def test_partner_type_filter_changes_the_numbers(data):
    with scopes_disabled():
        reseller = PartnerType.objects.get(tenant=data.program.tenant, name="Reseller / VAR")
    panels = panels_of(data.program, AnalyticsFilters(partner_type=reseller.pk))
    assert by_stage(panels["funnel"])["Company details"] == [5, 1, 3, 100.0]  # E left out
    # An odd count now: 2, 4, 6 days.
    assert by_stage(panels["time_in_stage"])["Company details"][:3] == [3, 4.0, 5.6]


def test_tier_region_and_cam_filters(data):
    gold = panels_of(data.program, AnalyticsFilters(tier="gold"))
    assert by_stage(gold["funnel"])["Company details"] == [1, 1, 0, 100.0]  # D
    emea = panels_of(data.program, AnalyticsFilters(region="emea"))
    assert by_stage(emea["funnel"])["Kick-off call"] == [1, 1, 0, 100.0]  # A
    cam = panels_of(data.program, AnalyticsFilters(cam=data.program.cam.pk))
    assert by_stage(cam["funnel"])["Company details"][0] == 5  # B has no CAM


def test_period_filter_on_enrollment_start(data):
    # F's second enrollment started on day 1: only it is in a period starting on day 1.
    filters = AnalyticsFilters(enrolled_from=day(1).date(), enrolled_to=day(2).date())
    funnel = panels_of(data.program, filters)["funnel"]
    assert "Distributor onboarding" in funnel.title
    assert funnel.rows[0] == ["Paperwork", 1, 1, 0, 100.0]


# --- Tenancy ----------------------------------------------------------------------------------


def test_another_programs_data_never_counts(data, globex):
    before = {key: panel.rows for key, panel in panels_of(data.program).items()}
    build_data_set(globex)
    with scopes_disabled():
        ApplicationFactory(tenant=globex.tenant)
    after = {key: panel.rows for key, panel in panels_of(data.program).items()}
    assert after == before
    # The same data in globex gives globex the same pipeline figures.
    theirs = panels_of(globex)
    assert theirs["funnel"].rows == before["funnel"]
    assert theirs["time_in_stage"].rows == before["time_in_stage"]


# --- Applications -------------------------------------------------------------------------------


def _application(program, *, at, verified=True, source=None):
    with time_machine.travel(at, tick=False):
        app = ApplicationFactory(tenant=program.tenant, email_verified=verified)
    if source:
        with scopes_disabled():
            Application.objects.filter(pk=app.pk).update(source=source)
    return app


def test_applications_by_source_and_median_time_to_decision(acme):
    t = T0
    _application(acme, at=t, verified=False)  # received, not confirmed
    _application(acme, at=t)  # pending
    approved = _application(acme, at=t)
    rejected = _application(acme, at=t, source=ApplicationSource.INVITED)
    with time_machine.travel(t + timedelta(hours=10), tick=False), scope(tenant=acme.tenant):
        application_approve(tenant=acme.tenant, actor=acme.cam, application_id=approved.pk)
    with time_machine.travel(t + timedelta(hours=20), tick=False), scope(tenant=acme.tenant):
        application_reject(tenant=acme.tenant, actor=acme.cam, application_id=rejected.pk)
    with scope(tenant=acme.tenant):
        panel = applications_panel(tenant=acme.tenant, filters=AnalyticsFilters())
    assert panel.rows == [
        # received, confirmed, approved, rejected, pending, median hours to decision
        ["Self-registered", 3, 2, 1, 0, 1, 10.0],
        ["Invited", 1, 1, 0, 1, 0, 20.0],
        ["All sources", 4, 3, 1, 1, 1, 15.0],  # the median of 10 and 20 hours
    ]
    assert panel.series[0] == ("Received", 4.0)
    with scope(tenant=acme.tenant):
        other_type = PartnerType.objects.get(tenant=acme.tenant, name="Distributor")
        filtered = applications_panel(
            tenant=acme.tenant, filters=AnalyticsFilters(partner_type=other_type.pk)
        )
    assert filtered.is_empty and "widen the dates" in filtered.empty


def test_applications_by_week_last_twelve_weeks(acme):
    _application(acme, at=T0)  # week of 3 March
    _application(acme, at=T0 + timedelta(days=8))  # week of 10 March
    _application(acme, at=T0 + timedelta(days=9))
    _application(acme, at=T0 - timedelta(weeks=20))  # before the 12 weeks
    with scope(tenant=acme.tenant):
        panel = applications_weekly_panel(
            tenant=acme.tenant, filters=AnalyticsFilters(), now=T0 + timedelta(days=10)
        )
    assert len(panel.rows) == 12
    assert panel.rows[-1] == ["2025-03-10", 2, 2, 0, 0, 2]
    assert panel.rows[-2] == ["2025-03-03", 1, 1, 0, 0, 1]
    assert sum(row[1] for row in panel.rows) == 3


# --- CAM workload ---------------------------------------------------------------------------------


def test_cam_workload(data):
    program = data.program
    with scopes_disabled():
        # B (no CAM) and E (the CAM's) wait for an approval of their NDA.
        ActionProgress.objects.filter(
            enrollment__in=[data.enrollments["B"], data.enrollments["E"]],
            action=data.actions["Signed NDA"],
        ).update(status=ActionStatus.WAITING_FOR_APPROVAL)
        # A superseded enrollment's waiting action is history: not counted.
        ActionProgress.objects.filter(enrollment=data.enrollments["F"]).update(
            status=ActionStatus.WAITING_FOR_APPROVAL
        )
        managers = list(channel_managers_for(tenant=program.tenant))
    with scope(tenant=program.tenant):
        panel = cam_workload_panel(
            tenant=program.tenant, filters=AnalyticsFilters(), managers=managers, now=NOW
        )
    rows = {row[0]: row[1:] for row in panel.rows}
    # The CAM: acme's two fixture partners and A, C, D, E, F.
    assert rows["Casey Cam"] == [7, 1, 0]
    assert rows["Unassigned"] == [1, 1, 0]
    assert "Ada Admin" not in rows  # an admin without partners of their own
