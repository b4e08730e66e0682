"""Segment panels (apps/analytics/selectors_segments*.py), figure by figure on a small portfolio
whose answers are worked out by hand below (issue 13).

The portfolio, all times 12:00 UTC in 2026, read at NOW = 1 May:

    partner  type      tier        region  CAM   tracking  cert (day)   deal (day)   state
    R1       Reseller  gold        EMEA    cam   10 Jan    20 Jan (10)  30 Jan (20)  active day 20
    R2       Reseller  silver      NA      cam   20 Jan    11 Mar (50)  16 Mar (55)  active day 55
    R3       Reseller  gold        EMEA    cam   5 Feb     17 Mar (40)  -            dark (day 60)
    R4       Reseller  registered  -       cam   5 Apr     25 Apr (20)  -            in its window
    M1       MSP       gold        APAC    cam2  10 Feb    25 Feb (15)  -            active day 15

Resellers activate on the sales certification and the first deal, MSPs on the technical
certification (the seed 004 template).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django_scopes import scope

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.analytics.selectors_segments import segment_panels
from apps.home.services import staff_member_add
from apps.milestones.models import Track
from apps.milestones.services import partner_track_switch
from apps.onboarding.demo import StageSpec
from apps.partners.models import PartnerAccount, PartnerType
from apps.tenancy.models import Role
from tests.milestones.factories import PartnerEventFactory, PartnerTrackFactory
from tests.onboarding.factories import EnrollmentFactory, PipelineFactory
from tests.partners.factories import PartnerAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("milestone_template")]

RESELLER = "Reseller / VAR"
MSP = "Managed Service Provider"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DASH = "—"
KEYS = [
    "activation_by_type",
    "activation_by_tier",
    "activation_by_region",
    "activation_cohorts",
    "time_to_first",
    "time_to_first_by_tier",
    "milestones",
]


def on(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _type(program: Any, name: str) -> PartnerType:
    with scope(tenant=program.tenant):
        return PartnerType.objects.get(tenant=program.tenant, name=name)


def _partner(
    program: Any,
    type_name: str,
    enrolled: datetime,
    *,
    tier: str = "registered",
    region: str = "",
    cam: Any = None,
    events: tuple[tuple[str, str, datetime], ...] = (),
) -> PartnerAccount:
    """A partner of `type_name` tracked from `enrolled`, with its events (type, reference,
    when), all recorded at NOW through the services."""
    with scope(tenant=program.tenant):
        account = PartnerAccountFactory(
            tenant=program.tenant,
            partner_type=_type(program, type_name),
            tier=tier,
            region=region,
            cam=cam or program.cam,
        )
    with time_machine.travel(NOW, tick=False):
        PartnerTrackFactory(account=account, actor=program.cam, enrolled_at=enrolled)
        for type_, reference, when in events:
            PartnerEventFactory(account=account, type=type_, reference=reference, occurred_at=when)
    return account


def _cert(when: datetime, reference: str = "sales") -> tuple[str, str, datetime]:
    return ("certification.passed", reference, when)


def _deal(when: datetime) -> tuple[str, str, datetime]:
    return ("deal.registered", "deal-1", when)


def _portfolio(program: Any) -> dict[str, Any]:
    with scope(tenant=program.tenant):
        cam2 = staff_member_add(
            tenant=program.tenant,
            actor=program.admin,
            email=f"cam2@{program.tenant.slug}.test",
            role=Role.CHANNEL_MANAGER,
            password="pw-cam2-123456",
        ).user
    return {
        "cam2": cam2,
        "R1": _partner(
            program,
            RESELLER,
            on(1, 10),
            tier="gold",
            region="emea",
            events=(_cert(on(1, 20)), _deal(on(1, 30))),
        ),
        "R2": _partner(
            program,
            RESELLER,
            on(1, 20),
            tier="silver",
            region="na",
            events=(_cert(on(3, 11)), _deal(on(3, 16))),
        ),
        "R3": _partner(
            program, RESELLER, on(2, 5), tier="gold", region="emea", events=(_cert(on(3, 17)),)
        ),
        "R4": _partner(program, RESELLER, on(4, 5), events=(_cert(on(4, 25)),)),
        "M1": _partner(
            program,
            MSP,
            on(2, 10),
            tier="gold",
            region="apac",
            cam=cam2,
            events=(_cert(on(2, 25), "technical"),),
        ),
    }


@pytest.fixture
def portfolio(acme: Any, globex: Any) -> dict[str, Any]:
    """The portfolio in acme, and the very same in globex (never counted in acme's)."""
    _portfolio(globex)
    return _portfolio(acme)


def panels(program: Any, filters: AnalyticsFilters | None = None) -> dict[str, Panel]:
    with scope(tenant=program.tenant):
        result = segment_panels(
            tenant=program.tenant, filters=filters or AnalyticsFilters(), now=NOW
        )
    assert [p.key for p in result] == KEYS
    return {p.key: p for p in result}


def by_label(panel: Panel) -> dict[str, list[Any]]:
    return {row[0]: row[1:] for row in panel.rows}


# --- Activation ------------------------------------------------------------------------------


def test_activation_by_type_tier_and_region(acme, portfolio):
    result = panels(acme)

    by_type = result["activation_by_type"]
    assert by_type.columns == [
        "Partner type",
        "Partners",
        "Activated",
        "Activation rate (%)",
        "Dark",
    ]
    # Resellers: R1 and R2 activated; R3 dark (day 60 passed); R4 still in its window.
    assert by_label(by_type) == {RESELLER: [4, 2, 50.0, 1], MSP: [1, 1, 100.0, 0]}
    assert (by_type.chart, by_type.unit) == ("hbar", "%")
    assert dict(by_type.series) == {RESELLER: 50.0, MSP: 100.0}

    # Tiers in the catalogue's order.
    assert result["activation_by_tier"].rows == [
        ["Registered", 1, 0, 0.0, 0],
        ["Silver", 1, 1, 100.0, 0],
        ["Gold", 3, 2, 66.7, 1],
    ]
    # Regions in their usual order, partners without one last.
    assert result["activation_by_region"].rows == [
        ["North America", 1, 1, 100.0, 0],
        ["Europe, Middle East & Africa", 2, 1, 50.0, 1],
        ["Asia Pacific", 1, 1, 100.0, 0],
        ["No region", 1, 0, 0.0, 0],
    ]


def test_cohorts_by_enrollment_month(acme, portfolio):
    cohorts = panels(acme)["activation_cohorts"]

    assert cohorts.chart == "cohort"
    assert cohorts.columns == [
        "Enrollment month",
        "Partners",
        "Activated by day 30 (%)",
        "Activated by day 60 (%)",
        "Activated by day 90 (%)",
    ]
    assert cohorts.rows == [
        # R1 activated on day 20, R2 on day 55; the cohort's day 90 (20 Apr) has passed.
        ["2026-01", 2, 50.0, 100.0, 100.0],
        # M1 on day 15, R3 never: day 90 of M1 (11 May) is not reached: "—", not 0%.
        ["2026-02", 2, 50.0, 50.0, DASH],
        # March: nobody started, no row. April: R4, not at day 30 yet (5 May).
        ["2026-04", 1, DASH, DASH, DASH],
    ]


def test_cohorts_use_the_program_time_zone(acme):
    # 03:00 UTC on 1 March is still 28 February in New York.
    _partner(acme, RESELLER, on(3, 1, hour=3))
    assert [row[0] for row in panels(acme)["activation_cohorts"].rows] == ["2026-03"]

    acme.tenant.time_zone = "America/New_York"
    acme.tenant.save(update_fields=["time_zone"])
    cohorts = panels(acme)["activation_cohorts"]
    assert [row[0] for row in cohorts.rows] == ["2026-02"]
    assert "America/New_York" in cohorts.description


def test_partner_moved_to_another_type_counts_under_its_new_type(acme):
    moved = _partner(
        acme, RESELLER, on(1, 10), events=(_cert(on(1, 20)), _deal(on(1, 30)))
    )  # activated on day 20
    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=moved.pk).update(partner_type=_type(acme, MSP))
        track = Track.objects.get(tenant=acme.tenant, partner_type__name=MSP)
    with time_machine.travel(NOW, tick=False), scope(tenant=acme.tenant):
        partner_track_switch(
            tenant=acme.tenant, actor=acme.cam, account_id=moved.pk, track_id=track.pk
        )

    result = panels(acme)
    assert by_label(result["activation_by_type"]) == {MSP: [1, 1, 100.0, 0]}
    assert by_label(result["time_to_first"]) == {MSP: [1, 1, 10.0, 10.0, 1, 20.0, 20.0]}
    resellers = panels(acme, AnalyticsFilters(partner_type=_type(acme, RESELLER).pk))
    assert resellers["activation_by_type"].is_empty


# --- Time to first certification and first deal ----------------------------------------------


def test_time_to_first_certification_and_deal(acme, portfolio):
    result = panels(acme)
    ttf = result["time_to_first"]
    assert ttf.columns == [
        "Partner type",
        "Partners",
        "Certified",
        "Median days to first certification",
        "p90 days to first certification",
        "With a deal",
        "Median days to first deal",
        "p90 days to first deal",
    ]
    # Resellers' certifications on days 10, 20, 40, 50: the median of an even count is 30;
    # p90 = 40 + 0.7 × (50 − 40) = 47. Deals on days 20 and 55: median 37.5, p90 51.5.
    # Nobody of the MSPs registered a deal: no median ("—").
    assert by_label(ttf) == {
        RESELLER: [4, 4, 30.0, 47.0, 2, 37.5, 51.5],
        MSP: [1, 1, 15.0, 15.0, 0, DASH, DASH],
    }
    assert (ttf.chart, ttf.unit) == ("hbar", " days")
    assert dict(ttf.series) == {
        f"{RESELLER}: certification": 30.0,
        f"{RESELLER}: deal": 37.5,
        f"{MSP}: certification": 15.0,
    }

    # Gold: R1 (10), R3 (40), M1 (15) → median 15, p90 15 + 0.8 × 25 = 35; one deal (R1, 20).
    assert result["time_to_first_by_tier"].rows == [
        ["Registered", 1, 1, 20.0, 20.0, 0, DASH, DASH],
        ["Silver", 1, 1, 50.0, 50.0, 1, 55.0, 55.0],
        ["Gold", 3, 3, 15.0, 35.0, 1, 20.0, 20.0],
    ]


def test_first_event_before_tracking_counts_as_day_zero(acme):
    _partner(acme, MSP, on(3, 1), events=(_cert(on(2, 1), "technical"),))
    assert panels(acme)["time_to_first"].rows == [[MSP, 1, 1, 0.0, 0.0, 0, DASH, DASH]]


# --- Milestones ------------------------------------------------------------------------------


def test_milestones_completion_overdue_and_lateness(acme, portfolio):
    milestones = panels(acme)["milestones"]
    assert milestones.columns == [
        "Milestone",
        "Partners",
        "Completed",
        "Completion rate (%)",
        "Overdue now",
        "Mean days late",
    ]
    rows = by_label(milestones)
    # Due on day 45: R2 passed on day 50 (5 late); M1 (MSP track's copy) is open since
    # 27 Mar (35 late at NOW). Mean (5 + 35) / 2 = 20.
    assert rows["Foundational sales certification achieved"] == [5, 4, 80.0, 1, 20.0]
    # Due on day 75: R3 (21 Apr, 10 late) and M1 (26 Apr, 5 late) open; R4 not due yet.
    assert rows["First deal registered"] == [5, 2, 40.0, 2, 7.5]
    # Due on day 60 in both tracks; only M1 passed it. Open past due: R1 since 11 Mar (51
    # days), R2 since 21 Mar (41), R3 since 6 Apr (25): mean 39.
    assert rows["Technical certification achieved"] == [5, 1, 20.0, 3, 39.0]
    assert dict(milestones.series)["First deal registered"] == 40.0
    # Ordered by phase and window: the profile comes before the deal.
    names = [row[0] for row in milestones.rows]
    assert names.index("Foundational sales certification achieved") < names.index(
        "First deal registered"
    )


# --- Filters, isolation, empty states, query count -------------------------------------------


def test_filters_change_the_numbers(acme, portfolio):
    msp = _type(acme, MSP).pk

    only_msp = panels(acme, AnalyticsFilters(partner_type=msp))
    assert by_label(only_msp["activation_by_type"]) == {MSP: [1, 1, 100.0, 0]}
    assert only_msp["activation_cohorts"].rows == [["2026-02", 1, 100.0, 100.0, DASH]]
    assert by_label(only_msp["milestones"])["First deal registered"] == [1, 0, 0.0, 1, 5.0]

    gold = panels(acme, AnalyticsFilters(tier="gold"))
    assert by_label(gold["activation_by_type"]) == {
        RESELLER: [2, 1, 50.0, 1],
        MSP: [1, 1, 100.0, 0],
    }
    assert by_label(gold["time_to_first"])[RESELLER] == [2, 2, 25.0, 37.0, 1, 20.0, 20.0]

    emea = panels(acme, AnalyticsFilters(region="emea"))
    assert emea["activation_by_region"].rows == [["Europe, Middle East & Africa", 2, 1, 50.0, 1]]

    cam2 = panels(acme, AnalyticsFilters(cam=portfolio["cam2"].pk))
    assert by_label(cam2["activation_by_type"]) == {MSP: [1, 1, 100.0, 0]}
    assert panels(acme, AnalyticsFilters(cam=acme.cam.pk))["activation_by_type"].rows == [
        [RESELLER, 4, 2, 50.0, 1]
    ]


def test_enrollment_period_filter(acme, portfolio):
    """Partners enrolled in onboarding in January (R1, R2) only; R3 enrolled in February."""
    with scope(tenant=acme.tenant):
        pipeline = PipelineFactory(
            tenant=acme.tenant, actor=acme.admin, stages=[StageSpec("Welcome", [])]
        )
    for name, when in (("R1", on(1, 10)), ("R2", on(1, 20)), ("R3", on(2, 5))):
        with time_machine.travel(when, tick=False):
            EnrollmentFactory(account=portfolio[name], pipeline=pipeline)

    january = panels(
        acme, AnalyticsFilters(enrolled_from=date(2026, 1, 1), enrolled_to=date(2026, 1, 31))
    )
    assert by_label(january["activation_by_type"]) == {RESELLER: [2, 2, 100.0, 0]}
    assert january["activation_cohorts"].rows == [["2026-01", 2, 50.0, 100.0, 100.0]]
    assert by_label(january["time_to_first"]) == {RESELLER: [2, 2, 30.0, 46.0, 2, 37.5, 51.5]}

    from_feb = panels(acme, AnalyticsFilters(enrolled_from=date(2026, 2, 1)))
    assert by_label(from_feb["activation_by_type"]) == {RESELLER: [1, 0, 0.0, 1]}
    assert by_label(panels(acme, AnalyticsFilters(pipeline=pipeline.pk))["activation_by_type"]) == {
        RESELLER: [3, 2, 66.7, 1]
    }


def test_another_programs_identical_data_is_never_counted(acme, globex, portfolio):
    mine = panels(acme)
    theirs = panels(globex)
    for key in KEYS:
        assert mine[key].rows == theirs[key].rows, key
    # A filter naming another program's CAM or type matches nothing here.
    with scope(tenant=globex.tenant):
        globex_msp = PartnerType.objects.get(tenant=globex.tenant, name=MSP).pk
    for filters in (AnalyticsFilters(cam=globex.cam.pk), AnalyticsFilters(partner_type=globex_msp)):
        assert all(panel.is_empty for panel in panels(acme, filters).values())


def test_nothing_tracked_says_what_to_do(acme):
    for panel in panels(acme).values():
        assert panel.is_empty
        assert panel.rows == [] and panel.series == []
        assert "tracking" in panel.empty or "track" in panel.empty


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_partners(acme, count, django_assert_max_num_queries):
    with scope(tenant=acme.tenant):
        types = [_type(acme, RESELLER), _type(acme, MSP)]
        accounts = [
            PartnerAccountFactory(
                tenant=acme.tenant,
                partner_type=types[n % 2],
                tier=("gold", "silver")[n % 2],
                region=("emea", "na", "")[n % 3],
            )
            for n in range(count)
        ]
    with time_machine.travel(NOW, tick=False):
        for n, account in enumerate(accounts):
            PartnerTrackFactory(account=account, enrolled_at=on(1 + n % 4, 1 + n % 27))
            if n % 2 == 0:
                PartnerEventFactory(
                    account=account, type="certification.passed", occurred_at=on(4, 28)
                )
    with django_assert_max_num_queries(5), scope(tenant=acme.tenant):
        result = segment_panels(
            tenant=acme.tenant, filters=AnalyticsFilters(tier="gold", region="emea"), now=NOW
        )
    assert not result[0].is_empty
