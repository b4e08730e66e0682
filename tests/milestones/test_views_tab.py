"""The partner's Milestones tab: timeline, log activity, check-off, start tracking."""

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import AlertStatus, PartnerTrack
from tests.milestones.conftest import alerts, day, item, start_tracking, sweep

pytestmark = pytest.mark.django_db


def _url(program, suffix=""):
    return f"/console/partners/{program.partner.pk}/milestones/{suffix}"


def test_the_tab_shows_the_timeline_by_phase(acme, client_for, tracked):
    sweep(day(8))
    with time_machine.travel(day(8), tick=False):
        response = client_for(acme, acme.cam).get(_url(acme))
    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert [p["number"] for p in timeline["phases"]] == [1, 2, 3, 4, 5]
    states = {r.milestone.key: r.state for r in timeline["rows"]}
    assert states["profile-complete"] == "overdue"
    assert states["welcome-call"] == "overdue"
    assert states["orientation"] == "current"
    assert states["business-plan"] == "upcoming"
    body = response.content.decode()
    assert "Welcome call not logged at day 7" in body
    assert 'Day 8 <span class="muted">of 60</span>' in body
    assert "Log activity" in body


def test_logging_a_welcome_call_completes_the_milestone_and_resolves_its_alert(
    acme, client_for, tracked
):
    sweep(day(8))
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(9), tick=False):
        response = client.post(
            _url(acme, "log/"), {"activity": "welcome_call", "note": "Kick-off went well"}
        )
        assert response.status_code == 302
        page = client.get(response["Location"])
    assert "1 milestone completed, 1 alert resolved" in page.content.decode()
    assert item(acme, "welcome-call").completed_at == day(9)
    assert item(acme, "welcome-call").completed_by == acme.cam
    (welcome,) = [a for a in alerts(acme) if a.rule.label.startswith("Welcome")]
    assert welcome.status == AlertStatus.RESOLVED
    assert "Kick-off went well" in page.content.decode()


def test_logging_needs_a_known_activity_and_a_past_date(acme, client_for, tracked):
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(9), tick=False):
        assert client.post(_url(acme, "log/"), {"activity": ""}).status_code == 422
        assert client.post(_url(acme, "log/"), {"activity": "hack"}).status_code == 422
        response = client.post(
            _url(acme, "log/"), {"activity": "call", "occurred_on": "2099-01-01"}
        )
    assert response.status_code == 422
    assert "future" in response.content.decode()


def test_a_backdated_activity_counts_from_its_day(acme, client_for, tracked):
    with time_machine.travel(day(20), tick=False):
        client_for(acme, acme.cam).post(
            _url(acme, "log/"),
            {"activity": "welcome_call", "occurred_on": day(3).date().isoformat()},
        )
    assert item(acme, "welcome-call").completed_at.date() == day(3).date()
    sweep(day(20))
    assert "Welcome call not logged at day 7" not in [a.rule.label for a in alerts(acme)]


def test_check_off(acme, client_for, tracked):
    pm = item(acme, "profile-complete")
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(2), tick=False):
        response = client.post(_url(acme, f"{pm.pk}/check-off/"), {"note": "Verified in CRM"})
        assert response.status_code == 302
        again = client.post(_url(acme, f"{pm.pk}/check-off/"), follow=True)
    assert item(acme, "profile-complete").completed_at == day(2)
    assert "already done" in again.content.decode()


def test_start_tracking_from_the_tab(acme, client_for):
    client = client_for(acme, acme.cam)
    response = client.get(_url(acme))
    assert response.status_code == 200
    assert "Start milestone tracking" in response.content.decode()
    # The review package has nothing to show yet: back to the tab.
    assert client.get(_url(acme, "review/"))["Location"] == _url(acme)
    with time_machine.travel(day(40), tick=False):
        response = client.post(_url(acme, "start/"), {"enrolled_on": day(0).date().isoformat()})
        assert response.status_code == 302
        assert client.post(_url(acme, "start/"), {}).status_code == 422  # already tracked
    with scope(tenant=acme.tenant):
        track = PartnerTrack.objects.get(account=acme.partner)
    assert track.enrolled_at.date() == day(0).date()


def test_partner_users_and_other_tenants_get_404(acme, globex, client_for, tracked):
    pm = item(acme, "profile-complete")
    for program, user in (
        (acme, acme.partner_admin),
        (acme, acme.partner_user),
        (globex, globex.admin),
    ):
        client = client_for(program, user)
        # globex's admin aims at acme's partner id on globex's host: not found.
        assert client.get(_url(acme)).status_code == 404
        assert client.post(_url(acme, "log/"), {"activity": "call"}).status_code == 404
        assert client.post(_url(acme, f"{pm.pk}/check-off/")).status_code == 404
    assert item(acme, "profile-complete").completed_at is None


def test_the_tab_query_count_is_constant(acme, client_for, tracked, django_assert_max_num_queries):
    from apps.milestones.services import milestone_event_record

    client = client_for(acme, acme.cam)
    sweep(day(50))
    with time_machine.travel(day(50), tick=False):
        client.get(_url(acme))
        with django_assert_max_num_queries(30) as captured:
            client.get(_url(acme))
        before = len(captured)
        with scope(tenant=acme.tenant):
            for i in range(15):
                milestone_event_record(
                    tenant=acme.tenant,
                    account_id=acme.partner.pk,
                    type="call.logged",
                    source="console",
                    actor=acme.cam,
                    data={"note": f"call {i}"},
                )
        with django_assert_max_num_queries(before):
            client.get(_url(acme))


def test_another_cams_partner_is_visible_to_every_cam(acme, client_for):
    # Like the partner's other tabs, the Milestones tab is open to all program staff.
    start_tracking(acme, acme.other_partner)
    response = client_for(acme, acme.admin).get(
        f"/console/partners/{acme.other_partner.pk}/milestones/"
    )
    assert response.status_code == 200


def test_a_review_held_can_be_logged_from_the_tab_too(acme, client_for, tracked):
    with time_machine.travel(day(78), tick=False):
        response = client_for(acme, acme.cam).post(
            _url(acme, "log/"), {"activity": "review_held", "note": "Held with their CEO"}
        )
        assert response.status_code == 302
        review = client_for(acme, acme.cam).get(_url(acme, "review/")).content.decode()
    assert item(acme, "ninety-day-review").completed_at == day(78)
    assert "Held with their CEO" in review
