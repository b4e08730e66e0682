"""What the Milestones tab and the review package tell the CAM: the 90-day review's date,
orientation by percentage (per user in the package), who did each event, in constant queries."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from apps.milestones.models import Milestone
from apps.milestones.services import milestone_event_record, milestone_sweep_all_tenants
from apps.partners.models import PartnerEvent
from apps.partners.services import partner_user_add
from apps.tenancy.models import Membership, Role
from tests.milestones.conftest import alerts, day, item, sweep

pytestmark = pytest.mark.django_db


def _url(program, suffix=""):
    return f"/console/partners/{program.partner.pk}/milestones/{suffix}"


def _record(program, type_, reference="", *, actor=None, source="api", at=None, data=None):
    with time_machine.travel(at or timezone.now(), tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=program.partner.pk,
            type=type_,
            source=source,
            reference=reference,
            actor=actor,
            data=data or {},
        ).event


def _scheduled(program):
    with scope(tenant=program.tenant):
        return list(
            PartnerEvent.objects.filter(tenant=program.tenant, type="review.scheduled").order_by(
                "id"
            )
        )


def _orientation(program, **fields):
    with scope(tenant=program.tenant):
        Milestone.objects.filter(tenant=program.tenant, key="orientation").update(**fields)


# --- Review scheduling --------------------------------------------------------------------


def test_scheduling_the_review_needs_a_date_today_or_later(acme, client_for, tracked):
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(60), tick=False):
        missing = client.post(_url(acme, "log/"), {"activity": "review_scheduled"})
        past = client.post(
            _url(acme, "log/"),
            {"activity": "review_scheduled", "review_on": day(59).date().isoformat()},
        )
    assert missing.status_code == 422 and "Give the review" in missing.content.decode()
    assert past.status_code == 422 and "in the past" in past.content.decode()
    assert _scheduled(acme) == []


def test_the_scheduled_date_shows_on_the_tab_and_the_package_and_clears_day_70(
    acme, client_for, tracked
):
    client = client_for(acme, acme.cam)
    review_on = day(85).date()
    with time_machine.travel(day(60), tick=False):
        before = client.get(_url(acme)).content.decode()
        response = client.post(
            _url(acme, "log/"),
            {"activity": "review_scheduled", "review_on": review_on.isoformat()},
        )
        assert response.status_code == 302
        tab = client.get(_url(acme)).content.decode()
        package = client.get(_url(acme, "review/")).content.decode()
    assert "90-day review: not scheduled" in before
    (event,) = _scheduled(acme)
    assert event.data["review_on"] == review_on.isoformat() and event.reference == ""
    shown = review_on.strftime("%-d %b %Y")
    assert f"90-day review: scheduled for <strong>{shown}</strong>" in tab
    assert review_on.strftime("%-d %B %Y") in package and "90-day review: scheduled for" in package
    sweep(day(71))
    assert "90-day review not scheduled at day 70" not in [a.rule.label for a in alerts(acme)]


def test_today_is_a_valid_review_date_and_a_later_one_replaces_it(acme, client_for, tracked):
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(60), tick=False):
        today = timezone.localdate()
        client.post(_url(acme, "log/"), {"activity": "review_scheduled", "review_on": today})
    with time_machine.travel(day(62), tick=False):
        later = timezone.localdate() + timedelta(days=20)
        client.post(_url(acme, "log/"), {"activity": "review_scheduled", "review_on": later})
        timeline = client.get(_url(acme)).context["timeline"]
    assert len(_scheduled(acme)) == 2
    assert timeline["review_schedule"].review_on == later


def test_without_a_schedule_day_70_alerts(acme, tracked):
    sweep(day(70))
    assert "90-day review not scheduled at day 70" in [a.rule.label for a in alerts(acme)]


# --- Orientation by percentage -------------------------------------------------------------


def test_orientation_without_items_says_so_with_a_link_to_the_tracks_editor(
    acme, client_for, tracked
):
    with time_machine.travel(day(8), tick=False):
        body = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "Orientation items not chosen" in body
    assert f'href="{reverse("milestones_settings:tracks")}"' in body
    assert "below 50% at day 14" in body


def test_orientation_shows_its_percentage(acme, client_for, tracked):
    _orientation(acme, items=["lms:basics", "lms:pricing", "lms:portal", "lms:legal"])
    with time_machine.travel(day(5), tick=False):
        not_started = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "Not started" in not_started
    _record(acme, "module.completed", "lms:basics", actor=acme.partner_user, at=day(6))
    assert item(acme, "orientation").progress == 25
    with time_machine.travel(day(7), tick=False):
        body = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "25% done" in body and 'aria-valuenow="25"' in body
    assert "Orientation items not chosen" not in body


def test_the_package_shows_orientation_per_user(acme, client_for, journey):
    stage = journey.stages[0]  # Legal details (approved by the CAM), Tax form (no approval)
    _orientation(acme, stage=stage, items=["lms:basics"])
    milestone_sweep_all_tenants()  # tracking starts from the enrollment
    journey.complete(acme, "Tax form")  # by the partner user
    journey.complete(acme, "Legal details")  # validated by the CAM: the account's only
    _record(acme, "module.completed", "lms:basics", actor=acme.partner_admin)
    _record(acme, "module.completed", "lms:basics", actor=acme.partner_admin)  # twice: once
    response = client_for(acme, acme.cam).get(_url(acme, "review/"))
    shares = response.context["package"]["orientation_shares"]
    assert (shares.total, shares.done, shares.percent) == (3, 3, 100)
    by_email = {u.user.email: (u.done, u.percent) for u in shares.users}
    assert by_email == {
        acme.partner_admin.email: (1, 33),
        acme.partner_user.email: (1, 33),
    }
    body = response.content.decode()
    assert "completion per user" in body and acme.partner_user.email in body
    assert item(acme, "orientation").completed_at is not None


def test_deactivated_users_are_left_out_of_the_per_user_shares(acme, client_for, tracked):
    _orientation(acme, items=["lms:basics", "lms:pricing"])
    _record(acme, "module.completed", "lms:basics", actor=acme.partner_user, at=day(3))
    with scope(tenant=acme.tenant):
        Membership.objects.filter(tenant=acme.tenant, user=acme.partner_admin).update(
            is_active=False
        )
    with time_machine.travel(day(10), tick=False):
        shares = (client_for(acme, acme.cam).get(_url(acme, "review/")).context["package"])[
            "orientation_shares"
        ]
    assert [(u.user, u.percent) for u in shares.users] == [(acme.partner_user, 50)]
    assert shares.percent == 50


# --- Who did what ------------------------------------------------------------------------


def test_recent_activity_shows_who_did_each_event(acme, client_for, tracked):
    acme.partner_user.first_name, acme.partner_user.last_name = "Pat", "Partner"
    acme.partner_user.save(update_fields=["first_name", "last_name"])
    _record(acme, "module.completed", "lms:basics", actor=acme.partner_user, at=day(3))
    _record(acme, "mdf.requested", at=day(4))
    body = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "Pat Partner</span> · via API" in body
    assert "· API</p>" in body


# --- Query counts --------------------------------------------------------------------------


def _more_users_and_signals(program, n):
    with scope(tenant=program.tenant):
        users = [
            partner_user_add(
                tenant=program.tenant,
                actor=program.cam,
                account=program.partner,
                email=f"extra{i}@one.acme.test",
                role=Role.PARTNER_USER,
            ).membership.user
            for i in range(n)
        ]
    for i, user in enumerate(users):
        _record(program, "module.completed", "lms:basics", actor=user, at=day(30))
        _record(program, "deal.registered", f"Q-{i}", actor=user, at=day(31))
        _record(program, "deal.approved", f"Q-{i}", at=day(32))
        _record(program, "call.logged", data={"note": f"call {i}"}, at=day(33))


def test_the_tab_and_the_package_stay_within_a_constant_number_of_queries(
    acme, client_for, tracked, django_assert_max_num_queries
):
    _orientation(acme, items=["lms:basics", "lms:pricing"])
    _record(acme, "review.scheduled", data={"review_on": day(85).date().isoformat()}, at=day(20))
    _record(acme, "deal.registered", "Q-first", at=day(21))  # the deals card reads its rule
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(50), tick=False):
        client.get(_url(acme))
        with django_assert_max_num_queries(30) as tab:
            client.get(_url(acme))
        tab_queries = len(tab)  # read now: the connection's query log is a bounded deque
        with django_assert_max_num_queries(40) as package:
            client.get(_url(acme, "review/"))
        package_queries = len(package)
    _more_users_and_signals(acme, 6)
    with time_machine.travel(day(50), tick=False):
        client.get(_url(acme))  # warm the per-user caches (nav badges) again
        with django_assert_max_num_queries(tab_queries):
            body = client.get(_url(acme)).content.decode()
        with django_assert_max_num_queries(package_queries):
            client.get(_url(acme, "review/"))
    assert "Q-5" in body
