"""Program analytics in a real browser (issue 13): a program admin of a realistic small program
filters /console/analytics/ to one partner type, sees the funnel change and downloads the
funnel's CSV (its rows are the table on the page); then filters the audit log to one partner
and downloads its CSV. Screenshots of the charts for review in /tmp/shots13/.

The program, built through the services (timestamps set with time-machine, stage times written
on the stage rows as the tests of the panels do): one four-stage pipeline, 25 partners of three
types enrolled over the last four months at five paces (two of them stuck), milestone tracking
with certifications, deals and leads, a milestone sweep (overdue alerts, dark partners), and
ten applications over the last eight weeks, decided or pending.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import Page, expect

from apps.applications.models import ApplicationStatus
from apps.applications.services import application_approve, application_reject
from apps.home.services import staff_member_add
from apps.milestones.services import (
    milestone_event_record,
    milestone_sweep_all_tenants,
    partner_track_start,
)
from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import (
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services import partner_enroll
from apps.partners.models import PartnerAccount, PartnerType
from apps.partners.services import partner_account_create
from apps.tenancy.models import Role
from tests.applications.factories import ApplicantFactory, ApplicationFactory
from tests.e2e.conftest import ARTIFACTS
from tests.onboarding.factories import PI, UP, stage_specs

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("milestone_template"),
]

SHOTS = ARTIFACTS / "analytics"
HOST = "acme.localhost"
RESELLER = "Reseller / VAR"
MSP = "Managed Service Provider"
REFERRAL = "Referral / Agent"
FUNNEL_HEADER = ["Stage", "Reached", "In it now", "Finished", "Reached (% of first stage)"]
AUDIT_HEADER = [
    "time_utc",
    "actor_email",
    "actor_name",
    "verb",
    "wording",
    "target_type",
    "target_id",
    "target_label",
    "partner_id",
    "partner_name",
    "changes",
]

STAGES = [
    (
        "Company details",
        [("Legal details", PI, True), ("W-9 / tax form", UP, False)],
    ),
    (
        "Contract",
        [("Signed partner agreement", UP, True), ("Signed NDA", UP, False)],
    ),
    ("Kick-off call", [("Kick-off call notes", PI, False)]),
    (
        "Sales enablement",
        [("Sales questionnaire", PI, False), ("Product training certificate", UP, True)],
    ),
]
STUCK = 10_000  # a stage this partner has not finished (and will not soon)
# Days spent in each of the four stages, by pace.
PACES: dict[str, list[int]] = {
    "fast": [2, 5, 1, 8],
    "steady": [4, 10, 3, 15],
    "slow": [9, 24, 6, 31],
    "stuck_contract": [3, STUCK],
    "steady2": [6, 14, 2, 21],
    "stuck_details": [STUCK],
}
# (milestone events: (day after tracking start, type, reference)) by type and pace.
CERT = "certification.passed"
DEAL = "deal.registered"
EVENTS: dict[str, dict[str, list[tuple[int, str, str]]]] = {
    RESELLER: {
        "fast": [(12, CERT, "sales"), (28, DEAL, "DR-1")],
        "steady": [(24, CERT, "sales"), (52, DEAL, "DR-2")],
        "slow": [(48, CERT, "sales")],
        "steady2": [(20, CERT, "sales"), (40, DEAL, "DR-3")],
    },
    MSP: {
        "fast": [(16, CERT, "technical")],
        "steady": [(33, CERT, "technical")],
        "slow": [(70, CERT, "technical")],
        "steady2": [(26, CERT, "technical")],
    },
    REFERRAL: {
        "fast": [(4, "referral_process.completed", ""), (9, "lead.submitted", "L-1")],
        "steady": [(8, "referral_process.completed", ""), (19, "lead.submitted", "L-2")],
        "steady2": [(11, "referral_process.completed", "")],
    },
}
# (company, type, tier, region, pace); enrolled from 118 days ago to 5 days ago, in order.
PARTNERS: list[tuple[str, str, str, str, str]] = [
    ("Northwind Traders", RESELLER, "gold", "na", "steady"),
    ("Contoso Managed IT", MSP, "gold", "emea", "slow"),
    ("Fabrikam Solutions", RESELLER, "silver", "emea", "fast"),
    ("Adventure Works Referrals", REFERRAL, "registered", "na", "steady"),
    ("Tailspin Systems", RESELLER, "registered", "apac", "stuck_contract"),
    ("Litware Cloud", MSP, "silver", "na", "steady2"),
    ("Proseware Partners", RESELLER, "gold", "na", "slow"),
    ("Wingtip IT", MSP, "registered", "apac", "fast"),
    ("Coho Consulting", REFERRAL, "registered", "emea", "fast"),
    ("Lucerne Networks", RESELLER, "silver", "latam", "steady2"),
    ("Alpine Ski IT", MSP, "gold", "emea", "stuck_contract"),
    ("Bellows College Tech", RESELLER, "registered", "na", "steady"),
    ("Blue Yonder Integrators", RESELLER, "silver", "emea", "fast"),
    ("Consolidated Messenger", REFERRAL, "registered", "na", "steady2"),
    ("Datum Secure", MSP, "silver", "na", "steady"),
    ("Fourth Coffee Systems", RESELLER, "registered", "apac", "stuck_details"),
    ("Graphic Design Institute", REFERRAL, "registered", "latam", "steady"),
    ("Humongous Insurance IT", MSP, "registered", "emea", "slow"),
    ("Relecloud Resellers", RESELLER, "gold", "na", "steady"),
    ("Margie's Travel Tech", RESELLER, "registered", "emea", "fast"),
    ("Trey Research MSP", MSP, "silver", "apac", "steady2"),
    ("VanArsdel Referrals", REFERRAL, "registered", "na", "fast"),
    ("Woodgrove Channel", RESELLER, "silver", "na", "steady"),
    ("Southridge Video IT", MSP, "registered", "latam", "steady"),
    ("Wide World Importers", RESELLER, "registered", "emea", "steady2"),
]
# (company, type, days ago submitted, decision, days to decide)
APPLICATIONS: list[tuple[str, str, int, str, int]] = [
    ("Olympia Tech", RESELLER, 52, "approve", 2),
    ("Boulder Innovations", MSP, 47, "reject", 1),
    ("Nod Publishers IT", RESELLER, 40, "approve", 3),
    ("School of Fine Art Tech", REFERRAL, 33, "reject", 2),
    ("Best For You Organics IT", RESELLER, 26, "approve", 1),
    ("First Up Consultants", MSP, 19, "approve", 4),
    ("Lamna Healthcare IT", RESELLER, 12, "reject", 1),
    ("Liberty Delightful IT", REFERRAL, 8, "pending", 0),
    ("City Power & Light IT", MSP, 4, "pending", 0),
    ("Munson's Pickles IT", RESELLER, 1, "pending", 0),
]


@dataclass
class Built:
    program: Any
    now: datetime
    types: dict[str, PartnerType]
    accounts: dict[str, PartnerAccount]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _place(enrollment: Enrollment, stages: list, pace: list[int], now: datetime) -> None:
    """Walk the enrollment through its stages at `pace` (days per stage) up to `now`: stage
    rows entered and completed, actions of finished stages completed, the rest open."""
    at = enrollment.started_at
    current = None
    for i, stage in enumerate(stages):
        took = pace[i] if i < len(pace) else STUCK
        done = at + timedelta(days=took, hours=3 * i)
        finished = done <= now
        StageProgress.objects.filter(enrollment=enrollment, stage=stage).update(
            entered_at=at,
            completed_at=done if finished else None,
            status=StageStatus.COMPLETED if finished else StageStatus.CURRENT,
        )
        if not finished:
            current = stage
            # The first action needing approval has been sent in, and waits for the CAM.
            ActionProgress.objects.filter(
                enrollment=enrollment, action__stage=stage, action__requires_approval=True
            ).update(status=ActionStatus.WAITING_FOR_APPROVAL)
            break
        ActionProgress.objects.filter(enrollment=enrollment, action__stage=stage).update(
            status=ActionStatus.COMPLETED, completed_at=done
        )
        at = done
    if current is None:
        Enrollment.objects.filter(pk=enrollment.pk).update(
            current_stage=None, status=EnrollmentStatus.COMPLETED, completed_at=at
        )
    else:
        Enrollment.objects.filter(pk=enrollment.pk).update(current_stage=current)


def _program(program: Any) -> Built:
    tenant = program.tenant
    now = timezone.now()
    with scope(tenant=tenant):
        types = {t.name: t for t in PartnerType.objects.filter(tenant=tenant)}
        second_cam = staff_member_add(
            tenant=tenant,
            actor=program.admin,
            email="riley@acme.test",
            role=Role.CHANNEL_MANAGER,
            first_name="Riley",
            last_name="Reyes",
            password="pw-riley-123456",
        ).user
    with time_machine.travel(now - timedelta(days=130), tick=False), scope(tenant=tenant):
        built = pipeline_build(
            tenant=tenant,
            actor=program.admin,
            name="Partner onboarding",
            partner_types=[types[RESELLER], types[MSP], types[REFERRAL]],
            stages=stage_specs(STAGES),
        )
    cams = [program.cam, second_cam, program.cam, None]
    accounts: dict[str, PartnerAccount] = {}
    for i, (name, type_name, tier, region, pace) in enumerate(PARTNERS):
        enrolled = now - timedelta(days=118 - i * 4.5, hours=i % 7)
        with time_machine.travel(enrolled, tick=False), scope(tenant=tenant):
            account = partner_account_create(
                tenant=tenant,
                actor=program.admin,
                name=name,
                partner_type=types[type_name],
                domains=[f"{_slug(name)}.example"],
                tier=tier,
                region=region,
                cam=cams[i % len(cams)],
            )
            enrollment = partner_enroll(
                tenant=tenant, actor=program.admin, account=account, pipeline=built.pipeline
            )
            assert enrollment is not None
            partner_track_start(
                tenant=tenant, actor=program.cam, account=account, enrolled_at=enrolled
            )
        accounts[name] = account
        with scope(tenant=tenant):
            _place(enrollment, built.stages, PACES[pace], now)
            events = [(1, "portal.access_confirmed", ""), (2, "profile.completed", "")]
            if pace != "stuck_details":
                events.append((4, "call.logged", "welcome"))
            for day, type_, reference in [*events, *EVENTS[type_name].get(pace, [])]:
                when = enrolled + timedelta(days=day, hours=2)
                if when < now:
                    milestone_event_record(
                        tenant=tenant,
                        account_id=account.pk,
                        type=type_,
                        source="api",
                        occurred_at=when,
                        reference=reference,
                    )
    milestone_sweep_all_tenants(now=now)
    for i, (company, type_name, ago, decision, takes) in enumerate(APPLICATIONS):
        submitted = now - timedelta(days=ago, hours=i)
        with time_machine.travel(submitted, tick=False):
            application = ApplicationFactory(
                tenant=tenant,
                email_verified=True,
                applicant=ApplicantFactory(
                    email=f"owner@{_slug(company)}.example",
                    company=company,
                    partner_type=types[type_name],
                    country="US" if i % 2 else "DE",
                ),
            )
        if decision == "pending" or application.status != ApplicationStatus.PENDING:
            continue
        decide = application_approve if decision == "approve" else application_reject
        decided = submitted + timedelta(days=takes)
        with time_machine.travel(decided, tick=False), scope(tenant=tenant):
            decide(tenant=tenant, actor=program.admin, application_id=application.pk)
    return Built(program=program, now=now, types=types, accounts=accounts)


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, target: Any, *, full_page: bool = False) -> None:
        if full_page:
            target.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        else:
            target.screenshot(path=str(SHOTS / f"{name}.png"))

    return take


def _enrolled(data: Built, type_name: str = "") -> int:
    """Partners enrolled: the 25, and the applicants approved (enrolled when approved)."""
    with scope(tenant=data.program.tenant):
        rows = Enrollment.objects.filter(tenant=data.program.tenant)
        if type_name:
            rows = rows.filter(partner_account__partner_type=data.types[type_name])
        return rows.count()


def _sign_in(page: Page, site: Any, email: str, password: str) -> None:
    page.goto(site(HOST, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/**")


def _table(page: Page, panel: str) -> list[list[str]]:
    rows = page.locator(f"#panel-{panel} table.analytics-table tbody tr")
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()] for row in rows.all()
    ]


def _value(cell: str) -> Any:
    """A table or CSV cell as a comparable value: numbers as floats, no value as None."""
    text = cell.strip().replace(",", "")
    if text in ("", "—"):
        return None
    try:
        return float(text)
    except ValueError:
        return cell.strip()


def test_an_admin_filters_analytics_to_one_type_and_downloads_the_funnel(acme, browser, site, shot):
    data = _program(acme)
    msp = data.types[MSP]
    page = browser.new_context(
        viewport={"width": 1440, "height": 900}, accept_downloads=True
    ).new_page()
    page.set_default_timeout(20000)
    _sign_in(page, site, "admin@acme.test", "pw-admin-123456")

    page.goto(site(HOST, "/console/analytics/"))
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    funnel = page.locator("#panel-funnel")
    expect(funnel.get_by_role("heading")).to_have_text("Onboarding funnel: Partner onboarding")
    for key in (
        "funnel",
        "time_in_stage",
        "stall_actions",
        "activation_by_type",
        "activation_by_tier",
        "activation_by_region",
        "activation_cohorts",
        "time_to_first",
        "time_to_first_by_tier",
        "milestones",
        "applications",
        "applications_weekly",
        "cam_workload",
    ):
        panel = page.locator(f"#panel-{key}")
        expect(panel).to_be_visible()
        expect(panel.locator(".empty-state")).to_have_count(0)
    everyone = _table(page, "funnel")
    assert [row[0] for row in everyone] == [name for name, _actions in STAGES]
    assert everyone[0][1] == str(_enrolled(data))

    shot("analytics-page", page, full_page=True)
    shot("funnel", funnel)
    shot("time-in-stage", page.locator("#panel-time_in_stage"))
    shot("cohort-heat-map", page.locator("#panel-activation_cohorts"))
    shot("activation-by-type", page.locator("#panel-activation_by_type"))
    shot("stall-actions", page.locator("#panel-stall_actions"))
    shot("time-to-first", page.locator("#panel-time_to_first"))
    shot("milestones", page.locator("#panel-milestones"))
    shot("applications", page.locator("#panel-applications"))
    shot("applications-weekly", page.locator("#panel-applications_weekly"))
    shot("cam-workload", page.locator("#panel-cam_workload"))

    # One partner type: the address keeps the filter, and the funnel shows only its partners.
    page.get_by_label("Partner type", exact=True).select_option(label=MSP)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(rf"[?&]type={msp.pk}(&|$)"))
    expect(page.get_by_label("Partner type", exact=True)).to_have_value(str(msp.pk))
    msps = _enrolled(data, MSP)
    assert msps == sum(1 for p in PARTNERS if p[1] == MSP) + 1  # and an approved applicant
    expect(funnel.locator("tbody tr").first.locator("td").first).to_have_text(str(msps))
    filtered = _table(page, "funnel")
    assert filtered != everyone
    assert filtered[0][1] == str(msps)
    activation = _table(page, "activation_by_type")
    assert [row[0] for row in activation] == [MSP]
    shot("analytics-page-msp", page, full_page=True)
    shot("funnel-msp", funnel)

    # The funnel's CSV: exactly the table on the page, with the filter applied.
    with page.expect_download() as info:
        funnel.get_by_role("link", name=re.compile("Download CSV")).click()
    download = info.value
    assert download.suggested_filename.startswith("acme-funnel-")
    assert download.suggested_filename.endswith(".csv")
    assert f"type={msp.pk}" in download.url
    with open(download.path(), encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == FUNNEL_HEADER
    assert [[_value(c) for c in row] for row in rows[1:]] == [
        [_value(c) for c in row] for row in filtered
    ]


def test_an_admin_filters_the_audit_log_by_a_partner_and_downloads_it(acme, browser, site, shot):
    data = _program(acme)
    partner = data.accounts["Fabrikam Solutions"]
    page = browser.new_context(
        viewport={"width": 1440, "height": 900}, accept_downloads=True
    ).new_page()
    page.set_default_timeout(20000)
    _sign_in(page, site, "admin@acme.test", "pw-admin-123456")

    page.goto(site(HOST, "/console/audit/"))
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    page.get_by_label("Partner name").fill("Fabrikam")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"partner_q=Fabrikam"))
    expect(page.get_by_label("Partner name")).to_have_value("Fabrikam")
    page.get_by_role("link", name="Only the events of Fabrikam Solutions").first.click()
    page.wait_for_url(re.compile(rf"[?&]partner={partner.pk}(&|$)"))
    expect(page.get_by_text("Partner: Fabrikam Solutions")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        expect(row).to_contain_text("Fabrikam Solutions")
    expect(page.locator("table tbody")).to_contain_text("Partner onboarding")
    shot("audit-log", page, full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("audit-log-")
    with open(download.path(), encoding="utf-8", newline="") as handle:
        exported = list(csv.reader(handle))
    assert exported[0] == AUDIT_HEADER
    body = exported[1:]
    assert body
    assert {row[9] for row in body} == {"Fabrikam Solutions"}
    assert {row[8] for row in body} == {str(partner.pk)}
    created = [row for row in body if row[7] == "Fabrikam Solutions" and "created" in row[3]]
    assert created, [row[3] for row in body]
    assert created[0][1] == "admin@acme.test"
    assert created[0][2] == "Ada Admin"
