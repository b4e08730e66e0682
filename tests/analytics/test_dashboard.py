"""The console home's dashboard (apps/analytics/selectors_dashboard.py, issue 13 item 3): each
number on hand-made data, who sees what, other programs never counted, quarter boundaries,
and a constant query count.

Stalls use the pipeline data set of conftest.py, read at NOW = T0 + 30 days. Stage S1's p90
over the whole program is 7.4 days (A 2, B 4, C 6, E 8 days) and S2's is 4 days (only A timed;
C skipped it), so at NOW, of the program CAM's partners, D (in S1 for 30 days) and E (in S2
for 22 days) are stalled; B is stalled too but has no CAM; A and C are in S3, which nobody
finished (no p90, nobody stalled); F moved to another pipeline whose stages nobody finished.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.analytics.selectors_dashboard import cam_dashboard, program_activation
from apps.home.services import staff_member_add
from apps.milestones.models import PartnerTrack
from apps.onboarding.models import ActionProgress, ActionStatus
from apps.partners.models import PartnerAccount, PartnerStatus
from apps.tenancy.models import Membership, Role
from tests.analytics.conftest import NOW, build_data_set, day, enroll, partner, place
from tests.milestones.factories import PartnerTrackFactory

pytestmark = pytest.mark.django_db


def dashboard_of(program: Any, user: Any, now: datetime = NOW):
    with scope(tenant=program.tenant):
        membership = Membership.objects.get(tenant=program.tenant, user=user)
        return cam_dashboard(tenant=program.tenant, user=user, membership=membership, now=now)


def second_cam(program: Any) -> Any:
    with scope(tenant=program.tenant):
        return staff_member_add(
            tenant=program.tenant,
            actor=program.admin,
            email=f"cam2@{program.tenant.slug}.test",
            role=Role.CHANNEL_MANAGER,
            first_name="Robin",
            last_name="Second",
            password="pw-cam2-123456",
        ).user


def tile(html: str, name: str) -> str:
    """The value shown on the home's tile `name` (waiting, overdue, stalled, activation)."""
    found = re.search(
        rf'id="tile-{name}">.*?<span class="stat__value[^"]*">\s*([^<\s]+)', html, re.S
    )
    assert found, f"no {name} tile"
    return found.group(1)


# --- Stalled past the p90 -------------------------------------------------------------------


def test_my_partners_stalled_past_their_stage_p90(data):
    assert dashboard_of(data.program, data.program.cam).stalled == 2  # D and E


def test_just_past_the_p90_is_stalled_and_just_under_is_not(data):
    program = data.program
    under = partner(program, "G Partner")
    over = partner(program, "H Partner")
    for account, entered in ((under, 30 - 7.3), (over, 30 - 7.5)):
        enrollment = enroll(program, account, data.pipeline, day(20))
        with scopes_disabled():
            place(enrollment, data.stages, [(entered, None)])
    assert dashboard_of(program, program.cam).stalled == 3  # D, E and H; not G


def test_only_my_active_partners_count_never_another_cams(data):
    program = data.program
    cam2 = second_cam(program)
    theirs = partner(program, "Their Partner", cam=cam2)
    enrollment = enroll(program, theirs, data.pipeline, day(0))
    with scopes_disabled():
        place(enrollment, data.stages, [(0, None)])
        # A suspended partner of mine, stalled in S1 (D): not one the CAM can act on now.
        PartnerAccount.objects.filter(pk=data.partners["D"].pk).update(
            status=PartnerStatus.SUSPENDED
        )
    assert dashboard_of(program, program.cam).stalled == 1  # E
    assert dashboard_of(program, cam2).stalled == 1  # their own
    assert dashboard_of(program, program.admin).stalled == 0  # B has no CAM: nobody's


def test_another_programs_partners_are_never_counted(data, globex):
    other = build_data_set(globex)
    with scopes_disabled():
        # Even the other program's partners given to the same person, and slower stages there.
        PartnerAccount.objects.filter(tenant=globex.tenant).update(cam=data.program.cam)
        from apps.onboarding.models import StageProgress

        StageProgress.objects.filter(tenant=globex.tenant, stage=other.stages[0]).exclude(
            completed_at=None
        ).update(completed_at=day(29))
    assert dashboard_of(data.program, data.program.cam).stalled == 2


# --- Waiting for approval -------------------------------------------------------------------


def _waiting(enrollment: Any) -> None:
    with scopes_disabled():
        row = ActionProgress.objects.filter(enrollment=enrollment).order_by("id").first()
        ActionProgress.objects.filter(pk=row.pk).update(
            status=ActionStatus.WAITING_FOR_APPROVAL, submitted_at=day(29)
        )


def test_waiting_approvals_are_the_queue_mine_tab(data, globex):
    program = data.program
    cam2 = second_cam(program)
    theirs = partner(program, "Their Partner", cam=cam2)
    _waiting(enroll(program, theirs, data.pipeline, day(0)))
    for name in ("A", "D", "B", "F"):  # F: its old, superseded enrollment: history
        _waiting(data.enrollments[name])
    other = build_data_set(globex)
    with scopes_disabled():
        PartnerAccount.objects.filter(tenant=globex.tenant).update(cam=program.cam)
    _waiting(other.enrollments["A"])
    mine = dashboard_of(program, program.cam)
    assert mine.waiting == 2  # A and D
    assert mine.waiting_url == "/console/queue/"
    assert dashboard_of(program, cam2).waiting == 1
    assert dashboard_of(program, program.admin).waiting == 1  # B: no CAM, so the admins'


# --- Overdue milestones ---------------------------------------------------------------------


@pytest.mark.usefixtures("milestone_template")
def test_my_overdue_partners_and_the_explorer_link_agree(acme, globex, client_for):
    now = datetime.now(UTC)
    cam2 = second_cam(acme)
    late = partner(acme, "Late Partner")
    fresh = partner(acme, "Fresh Partner")
    theirs = partner(acme, "Their Late Partner", cam=cam2)
    elsewhere = partner(globex, "Elsewhere Late Partner", cam=acme.cam)
    for account, started in (
        (late, now - timedelta(days=60)),
        (fresh, now),
        (theirs, now - timedelta(days=60)),
        (elsewhere, now - timedelta(days=60)),
    ):
        PartnerTrackFactory(account=account, actor=None, enrolled_at=started)
    figures = dashboard_of(acme, acme.cam, now=now)
    assert figures.overdue == 1
    assert dashboard_of(acme, cam2, now=now).overdue == 1
    assert (
        figures.overdue_url == f"/console/partners/?overdue=overdue&cam={acme.cam.pk}&status=active"
    )
    html = client_for(acme, acme.cam).get(figures.overdue_url).content.decode()
    assert "Late Partner" in html
    assert "Fresh Partner" not in html
    assert "Their Late Partner" not in html


# --- The funnel -----------------------------------------------------------------------------


def test_the_funnel_is_the_default_pipelines(data):
    funnel = dashboard_of(data.program, data.program.cam).funnel
    assert funnel.pipeline == "Reseller onboarding"
    assert [(s.stage, s.reached, s.now, s.share) for s in funnel.steps] == [
        ("Company details", 6, 1, 100.0),
        ("Contract", 4, 2, 66.7),
        ("Kick-off call", 2, 2, 33.3),
        ("Enablement", 0, 0, 0.0),
    ]


def test_the_funnel_says_what_to_do_without_pipelines(acme):
    funnel = dashboard_of(acme, acme.cam, now=datetime.now(UTC)).funnel
    assert funnel.steps == []
    assert "build a pipeline" in funnel.empty


# --- Activation this quarter vs last --------------------------------------------------------

NY_NOW = datetime(2026, 10, 15, 16, 0, tzinfo=UTC)  # Q4 2026 in New York


def ny(month: int, day_: int, hour: int = 12, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2026, month, day_, hour, minute, tzinfo=ZoneInfo("America/New_York"))


def tracked(
    program: Any,
    name: str,
    due: datetime,
    *,
    activated: datetime | None = None,
    account_activated: datetime | None = None,
) -> PartnerTrack:
    account = partner(program, name)
    with time_machine.travel(due - timedelta(days=90), tick=False):
        track = PartnerTrackFactory(account=account, actor=None)
    with scopes_disabled():
        PartnerTrack.objects.filter(pk=track.pk).update(
            activation_due_at=due, activated_at=activated
        )
        PartnerAccount.objects.filter(pk=account.pk).update(activated_at=account_activated)
    return track


@pytest.fixture
def quarters(acme, globex, milestone_template):
    with scopes_disabled():
        type(acme.tenant).objects.filter(pk=acme.tenant.pk).update(time_zone="America/New_York")
        acme.tenant.refresh_from_db()
    # Last quarter (Q3, New York time).
    tracked(acme, "Q3 last evening", ny(9, 30, 23), activated=ny(9, 20))  # 03:00 UTC 1 Oct
    tracked(acme, "Q3 first minute", ny(7, 1, 0), activated=ny(7, 2))  # too late
    tracked(acme, "Q3 dark", ny(8, 15))
    tracked(acme, "Q2 last minute", ny(6, 30, 23, 59), activated=ny(6, 1))  # not counted
    # This quarter, so far.
    tracked(acme, "Q4 first hour", ny(10, 1, 0, 30))
    tracked(acme, "Q4 activated", ny(10, 10), account_activated=ny(10, 5))  # by the account
    tracked(acme, "Q4 still open", ny(10, 20))  # its window has not ended yet
    for n in range(3):  # another program's partners, in the same quarters
        tracked(globex, f"Globex {n}", ny(10, 2), activated=ny(10, 1))
        tracked(globex, f"Globex Q3 {n}", ny(8, 2))
    return acme


def test_activation_this_quarter_vs_last(quarters):
    with scope(tenant=quarters.tenant):
        figures = program_activation(tenant=quarters.tenant, now=NY_NOW)
    assert (figures.this.label, figures.this.ended, figures.this.activated) == ("Q4 2026", 2, 1)
    assert (figures.last.label, figures.last.ended, figures.last.activated) == ("Q3 2026", 3, 1)
    assert (figures.this.rate, figures.last.rate) == (50.0, 33.3)
    assert (figures.trend, figures.change, figures.points) == ("up", 16.7, 16.7)
    assert figures.zone == "America/New_York"


def test_a_window_ending_on_the_last_day_of_the_quarter_counts_for_that_quarter(quarters):
    # 30 Sep 23:00 in New York is already 1 Oct in UTC: it is last quarter's all the same,
    # and on 30 Sep it is this quarter's (Q3), with the window that just ended.
    with scope(tenant=quarters.tenant):
        on_the_day = program_activation(tenant=quarters.tenant, now=ny(9, 30, 23, 30))
    assert on_the_day.this.label == "Q3 2026"
    assert (on_the_day.this.ended, on_the_day.this.activated) == (3, 1)
    assert on_the_day.last.label == "Q2 2026"
    assert (on_the_day.last.ended, on_the_day.last.activated) == (1, 1)
    assert on_the_day.trend == "down"


def test_no_window_ended_yet_is_an_empty_figure(acme, milestone_template):
    with scope(tenant=acme.tenant):
        figures = program_activation(tenant=acme.tenant, now=NY_NOW)
    assert (figures.this.ended, figures.this.rate, figures.last.rate) == (0, None, None)
    assert figures.trend == ""


def test_the_admin_sees_the_activation_tile_and_a_cam_does_not(quarters, client_for):
    with time_machine.travel(NY_NOW, tick=False):
        admin = client_for(quarters, quarters.admin).get("/console/").content.decode()
        cam = client_for(quarters, quarters.cam).get("/console/").content.decode()
    assert tile(admin, "activation") == "50%"
    assert "1 of 2" in admin
    assert "vs 33.3% last quarter" in admin
    assert "(up 16.7 points)" in admin
    assert 'id="tile-activation"' not in cam
    assert "Activation this quarter" not in cam
    for html in (admin, cam):
        assert "Waiting for your approval" in html
        assert "Your partners overdue" in html
        assert "Your partners stalled" in html


def test_the_activation_tile_says_when_no_window_ended(acme, client_for, milestone_template):
    with time_machine.travel(NY_NOW, tick=False):
        html = client_for(acme, acme.admin).get("/console/").content.decode()
    assert "No partner’s activation window has ended in Q4 2026 yet." in html


# --- The page -------------------------------------------------------------------------------


def test_the_home_shows_my_numbers_with_their_links(data, client_for):
    program = data.program
    _waiting(data.enrollments["D"])
    with time_machine.travel(NOW, tick=False):
        html = client_for(program, program.cam).get("/console/").content.decode()
    assert (tile(html, "waiting"), tile(html, "overdue"), tile(html, "stalled")) == ("1", "0", "2")
    assert 'href="/console/queue/" id="tile-waiting"' in html
    assert f'href="/console/analytics/?cam={program.cam.pk}#panel-time_in_stage"' in html
    assert 'id="dashboard-funnel"' in html
    assert "6 reached · 1 in it now" in html
    assert 'style="width: 66.7%"' in html
    assert 'href="/console/analytics/">Program analytics →' in html


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_see_no_dashboard(acme, client_for, role):
    response = client_for(acme, getattr(acme, role)).get("/console/")
    assert response.status_code in (403, 404)


def _portfolio(program: Any, cam: Any, pipeline: Any, stages: list, n: int) -> None:
    """n partners of `cam`, each enrolled, tracked, stalled in S1 and with an action waiting."""
    for i in range(n):
        account = partner(program, f"Bulk {cam.pk}-{i}", cam=cam)
        enrollment = enroll(program, account, pipeline, day(0))
        with scopes_disabled():
            place(enrollment, stages, [(0, 2 + i % 5)] if i % 2 else [(0, None)])
            if not PartnerTrack.objects.filter(account=account).exists():
                with time_machine.travel(day(0), tick=False):
                    PartnerTrackFactory(account=account, actor=None)
        _waiting(enrollment)


# Baseline before the dashboard (issue 13): 11 queries for either role with nothing at risk,
# 13 with partners at risk (the milestones card's names and worst milestones). The dashboard
# adds 6 (stage p90s, stalled count, the funnel's pipeline, stages and two stage-figure
# queries; the waiting count is the nav badge's cached one) and, for a program admin, 1 more
# (activation this quarter vs last).
HOME_QUERIES = {"cam": 19, "admin": 20}


@pytest.mark.usefixtures("milestone_template")
@pytest.mark.parametrize("who", ["cam", "admin"])
def test_the_home_query_count_is_constant(acme, client_for, django_assert_max_num_queries, who):
    from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

    pipeline, stages, _actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    user = getattr(acme, who)
    client = client_for(acme, user)
    counts = []
    for n in (3, 27):  # 3 partners, then 30
        _portfolio(acme, user, pipeline, stages, n)
        with time_machine.travel(NOW, tick=False):
            client.get("/console/")  # warm the session and the badges
            with (
                CaptureQueriesContext(connection) as captured,
                django_assert_max_num_queries(HOME_QUERIES[who]),
            ):
                html = client.get("/console/").content.decode()
        counts.append(len(captured))
        assert tile(html, "stalled") != "0"
        assert tile(html, "overdue") != "0"
        assert tile(html, "waiting") != "0"
    with open(f"/tmp/h13/count_{who}.txt", "w") as fh:
        fh.write(str(counts))
    assert counts[0] == counts[1]
