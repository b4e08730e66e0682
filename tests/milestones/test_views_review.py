"""The 90-day review package: prepared at day 75, printable, and the last two milestones."""

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import AlertStatus, BusinessPlan
from apps.milestones.services import milestone_event_record, milestone_sweep_all_tenants
from apps.notifications.models import Notification
from tests.milestones.conftest import alerts, day, item, sweep

pytestmark = pytest.mark.django_db


def _url(program, suffix=""):
    return f"/console/partners/{program.partner.pk}/milestones/review/{suffix}"


def _event(program, type_, at, reference="", data=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        milestone_event_record(
            tenant=program.tenant,
            account_id=program.partner.pk,
            type=type_,
            source="api",
            reference=reference,
            data=data or {},
        )


def test_before_day_75_the_package_is_a_preview(acme, client_for, tracked):
    with time_machine.travel(day(74), tick=False):
        response = client_for(acme, acme.cam).get(_url(acme))
    assert response.status_code == 200
    assert response.context["package"]["ready"] is False
    assert "Preview." in response.content.decode()


def test_at_day_75_the_package_is_prepared_and_the_cam_alerted(acme, client_for, tracked):
    sweep(day(74))
    assert "90-day review package ready" not in [a.rule.label for a in alerts(acme)]
    sweep(day(75))
    ready = [a for a in alerts(acme) if a.rule.label == "90-day review package ready"]
    assert len(ready) == 1 and ready[0].rule.kind == "reminder"
    with scope(tenant=acme.tenant):
        note = Notification.objects.get(recipient=acme.cam, kind="milestone_review_ready")
    assert note.url == _url(acme)
    assert acme.partner.name in note.title
    with time_machine.travel(day(75), tick=False):
        response = client_for(acme, acme.cam).get(_url(acme))
    package = response.context["package"]
    assert package["ready"] is True
    assert "Prepared" in response.content.decode()


def test_the_package_holds_certifications_first_deal_orientation_and_alerts(
    acme, client_for, journey
):
    # Tracking starts from the onboarding enrollment (the journey fixture), by the sweep.
    milestone_sweep_all_tenants()

    def event(type_, reference, data):
        with scope(tenant=acme.tenant):
            milestone_event_record(
                tenant=acme.tenant,
                account_id=acme.partner.pk,
                type=type_,
                source="api",
                reference=reference,
                data=data,
            )

    event("certification.attempted", "sales", {"course": "Sales Foundations"})
    event("certification.passed", "sales", {"course": "Sales Foundations", "score": 91})
    event("deal.registered", "DR-7", {"customer": "Initech", "amount": 48000})
    event("deal.registered", "DR-8", {"customer": "Hooli"})
    response = client_for(acme, acme.cam).get(_url(acme))
    package = response.context["package"]
    assert [e.type for e in package["certifications"]] == [
        "certification.attempted",
        "certification.passed",
    ]
    assert package["first_deal"].reference == "DR-7" and len(package["deals"]) == 2
    assert package["orientation"]["total"] == 4 and package["orientation"]["done"] == 0
    body = response.content.decode()
    for text in ("Sales Foundations", "Initech", "48,000", journey.pipeline.name):
        assert text in body


def test_recording_the_review_and_the_plan_completes_the_last_milestones(acme, client_for, tracked):
    sweep(day(76))
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(80), tick=False):
        response = client.post(
            _url(acme, "record/"),
            {
                "held_on": day(80).date().isoformat(),
                "attendees": "Dana (CEO), Casey",
                "scorecard_reviewed": "on",
                "notes": "Pipeline is healthy; certification lagging.",
            },
        )
        assert response.status_code == 302
        response = client.post(
            _url(acme, "plan/"),
            {
                "revenue_target": "$120,000 bookings",
                "qbr_cadence": "quarterly",
                "certification_goals": "Two sales reps certified",
                "items-TOTAL_FORMS": "4",
                "items-INITIAL_FORMS": "0",
                "items-0-description": "Joint webinar",
                "items-0-owner": "joint",
                "items-0-due_on": day(100).date().isoformat(),
                "items-1-description": "Register three deals",
                "items-1-owner": "partner",
                "items-1-due_on": day(120).date().isoformat(),
            },
        )
        assert response.status_code == 302
        page = client.get(_url(acme))
    assert item(acme, "ninety-day-review").completed_at is not None
    assert item(acme, "business-plan").completed_at is not None
    with scope(tenant=acme.tenant):
        plan = BusinessPlan.objects.get(account=acme.partner)
        assert [i.description for i in plan.items.all()] == [
            "Joint webinar",
            "Register three deals",
        ]
    review_alerts = [
        a for a in alerts(acme) if a.partner_milestone.milestone.key == "ninety-day-review"
    ]
    assert review_alerts and all(a.status == AlertStatus.RESOLVED for a in review_alerts)
    body = page.content.decode()
    assert "Pipeline is healthy" in body and "$120,000 bookings" in body
    assert "Quarterly business reviews" in body


def test_a_plan_needs_an_item_with_a_due_date(acme, client_for, tracked):
    client = client_for(acme, acme.cam)
    management = {"items-TOTAL_FORMS": "4", "items-INITIAL_FORMS": "0"}
    with time_machine.travel(day(80), tick=False):
        response = client.post(_url(acme, "plan/"), {"revenue_target": "$1", **management})
        assert response.status_code == 422
        assert "at least one action item" in response.content.decode()
        response = client.post(
            _url(acme, "plan/"),
            {"revenue_target": "$1", "items-0-description": "Webinar", **management},
        )
        assert response.status_code == 422
    assert item(acme, "business-plan").completed_at is None


def test_the_package_prints_cleanly(acme, client_for, tracked):
    from django.contrib.staticfiles import finders

    with time_machine.travel(day(75), tick=False):
        body = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "milestones/milestones.css" in body
    assert 'class="form no-print"' in body
    from pathlib import Path

    css = Path(finders.find("milestones/milestones.css")).read_text()
    assert "@media print" in css and ".no-print" in css
