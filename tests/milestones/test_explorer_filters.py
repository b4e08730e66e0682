"""The Partner Explorer's "overdue" filter (apps/milestones/explorer.py): an overdue
milestone (open, due date passed), an open alert (open and not snoozed), or nothing overdue."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scopes_disabled

from apps.milestones.models import Alert, AlertStatus, PartnerMilestone
from tests.milestones.conftest import alerts, day, start_tracking, sweep

pytestmark = pytest.mark.django_db

EVERYONE = ["Acme Partner One", "Acme Partner Two"]


def _names(client, params):
    response = client.get("/console/partners/", params)
    assert response.status_code == 200
    return [p.name for p in response.context["page"].object_list]


def _first_due(program):
    with scopes_disabled():
        return (
            PartnerMilestone.objects.filter(tenant=program.tenant, account=program.partner)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )


def test_overdue_milestone_from_its_due_date(acme, tracked, client_for):
    due = _first_due(acme)
    client = client_for(acme, acme.cam)
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        assert _names(client, {"overdue": "overdue"}) == []
        assert _names(client, {"overdue": "on_track"}) == EVERYONE
    with time_machine.travel(due, tick=False):
        assert _names(client, {"overdue": "overdue"}) == ["Acme Partner One"]
        assert _names(client, {"overdue": "on_track"}) == ["Acme Partner Two"]


def test_a_completed_milestone_is_not_overdue(acme, tracked, client_for):
    due = _first_due(acme)
    with scopes_disabled():
        PartnerMilestone.objects.filter(tenant=acme.tenant, account=acme.partner).update(
            completed_at=due - timedelta(days=1)
        )
    client = client_for(acme, acme.cam)
    with time_machine.travel(due + timedelta(days=30), tick=False):
        assert _names(client, {"overdue": "overdue"}) == []


def test_open_alert_filter_leaves_out_snoozed_and_resolved_alerts(acme, tracked, client_for):
    sweep(day(60))
    raised = alerts(acme, acme.partner)
    assert raised, "the sweep raises alerts by day 60"
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(60), tick=False):
        assert _names(client, {"overdue": "alert"}) == ["Acme Partner One"]
        with scopes_disabled():
            Alert.objects.filter(tenant=acme.tenant).update(snoozed_until=day(90).date())
        assert _names(client, {"overdue": "alert"}) == []
        with scopes_disabled():
            Alert.objects.filter(tenant=acme.tenant).update(
                snoozed_until=None, status=AlertStatus.RESOLVED, resolved_at=day(60)
            )
        assert _names(client, {"overdue": "alert"}) == []


def test_another_programs_milestones_do_not_count(acme, globex, client_for):
    start_tracking(globex)
    due = _first_due(globex)
    client = client_for(acme, acme.cam)
    with time_machine.travel(due + timedelta(days=1), tick=False):
        assert _names(client, {"overdue": "overdue"}) == []
        assert _names(client, {"overdue": "on_track"}) == EVERYONE


@pytest.mark.parametrize("value", ["x", "1", "OVERDUE", "overdue' OR 1=1"])
def test_forged_values_are_ignored(acme, tracked, client_for, value):
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(200), tick=False):
        assert _names(client, {"overdue": value}) == EVERYONE
        assert client.get("/console/partners/export.csv", {"overdue": value}).status_code == 200


def test_csv_export_honours_the_filter(acme, tracked, client_for):
    due = _first_due(acme)
    client = client_for(acme, acme.cam)
    with time_machine.travel(due + timedelta(days=1), tick=False):
        response = client.get("/console/partners/export.csv", {"overdue": "overdue"})
    body = b"".join(response.streaming_content).decode()
    assert "Acme Partner One" in body
    assert "Acme Partner Two" not in body
