"""The milestone tracks editor pages (/console/settings/milestones/, views_tracks.py): program
admins only, the "due now for N partners" confirmation, errors shown with nothing changed."""

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import AlertCheckpoint, AlertRule, Milestone, Track
from apps.partners.models import PartnerType
from tests.milestones.conftest import alerts, day, start_tracking, sweep

pytestmark = pytest.mark.django_db

PAGE = "/console/settings/milestones/"


def _track(program, name="Reseller / VAR"):
    with scope(tenant=program.tenant):
        return Track.objects.get(tenant=program.tenant, partner_type__name=name)


def _rule(program, key, day_):
    with scope(tenant=program.tenant):
        return AlertRule.objects.select_related("milestone").get(
            tenant=program.tenant, milestone__track=_track(program), milestone__key=key, day=day_
        )


def _checkpoints(program, rule):
    with scope(tenant=program.tenant):
        return list(
            AlertCheckpoint.objects.filter(rule=rule)
            .order_by("pk")
            .values_list("due_at", "fired_at", "outcome")
        )


def test_the_overview_lists_tracks_and_types_not_tracked(
    acme, client_for, django_assert_max_num_queries
):
    with scope(tenant=acme.tenant):
        PartnerType.objects.create(tenant=acme.tenant, name="Marketplace", position=50)
    start_tracking(acme)
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(14):
        response = client.get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Reseller / VAR" in body and "1 partner on this track" in body
    assert "Marketplace" in body and "Not tracked" in body and "Start tracking" in body
    assert f'href="{PAGE}{_track(acme).pk}/"' in body


def test_the_overview_query_count_does_not_grow_with_tracks(
    acme, client_for, django_assert_max_num_queries
):
    with scope(tenant=acme.tenant):
        for i in range(5):
            PartnerType.objects.create(tenant=acme.tenant, name=f"Extra {i}", position=60 + i)
    client = client_for(acme, acme.admin)
    client.post(
        f"{PAGE}types/{_type_pk(acme, 'Extra 0')}/start/",
        {f"t{_type_pk(acme, 'Extra 0')}-source": f"track:{_track(acme).pk}"},
    )
    with django_assert_max_num_queries(14):
        assert client.get(PAGE).status_code == 200


def _type_pk(program, name):
    with scope(tenant=program.tenant):
        return PartnerType.objects.get(tenant=program.tenant, name=name).pk


def test_the_track_page_shows_milestones_rules_and_the_stage_warning(
    acme, client_for, django_assert_max_num_queries
):
    start_tracking(acme)
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(16):
        response = client.get(f"{PAGE}{_track(acme).pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Program orientation modules completed" in body
    assert "Day 14 · below 50%" in body
    assert "Choose the orientation stage" in body
    assert "Technical certification achieved" in body


def test_channel_managers_are_refused_and_other_programs_tracks_are_404(acme, globex, client_for):
    track = _track(acme)
    assert client_for(acme, acme.cam).get(PAGE).status_code == 403
    assert client_for(acme, acme.cam).get(f"{PAGE}{track.pk}/").status_code == 403
    assert client_for(acme, acme.partner_admin).get(PAGE).status_code == 404
    theirs = client_for(globex, globex.admin)
    assert theirs.get(f"{PAGE}{track.pk}/").status_code == 404
    rule = _rule(acme, "welcome-call", 7)
    response = theirs.post(
        f"{PAGE}{track.pk}/rules/{rule.pk}/",
        {f"r{rule.pk}-day": 9, f"r{rule.pk}-label": rule.label},
    )
    assert response.status_code == 404
    assert _rule(acme, "welcome-call", 7).pk == rule.pk


def _rule_post(client, program, rule, day_, **extra):
    data = {f"r{rule.pk}-day": day_, f"r{rule.pk}-label": rule.label}
    data.update({f"r{rule.pk}-{k}": v for k, v in extra.items()})
    return client.post(f"{PAGE}{_track(program).pk}/rules/{rule.pk}/", data)


def test_tightening_asks_first_then_raises_now_only_when_confirmed(acme, client_for):
    start_tracking(acme)
    rule = _rule(acme, "sales-certification", 30)
    client = client_for(acme, acme.admin)
    before = _checkpoints(acme, rule)
    with time_machine.travel(day(20), tick=False):
        asked = _rule_post(client, acme, rule, 15, step="check")
    assert asked.status_code == 200
    body = asked.content.decode()
    assert "This would make the alert due now for 1 partner" in body
    assert "Apply from now on" in body and "Raise now for 1 partner" in body
    assert _checkpoints(acme, rule) == before
    with time_machine.travel(day(20), tick=False):
        done = _rule_post(client, acme, rule, 15, apply="raise_now")
    assert done.status_code == 302
    sweep(day(20.01))
    sweep(day(21))
    assert len([a for a in alerts(acme) if a.rule_id == rule.pk]) == 1


def test_without_the_confirmation_step_the_change_applies_from_now_on(acme, client_for):
    start_tracking(acme)
    rule = _rule(acme, "sales-certification", 30)
    client = client_for(acme, acme.admin)
    with time_machine.travel(day(20), tick=False):
        assert _rule_post(client, acme, rule, 15).status_code == 302
    sweep(day(21))
    assert [a for a in alerts(acme) if a.rule_id == rule.pk] == []
    assert [row[2] for row in _checkpoints(acme, rule)] == ["waived"]


def test_a_window_ending_before_it_starts_is_refused_and_nothing_changes(acme, client_for):
    with scope(tenant=acme.tenant):
        m = Milestone.objects.get(track=_track(acme), key="welcome-call")
    client = client_for(acme, acme.admin)
    response = client.post(
        f"{PAGE}{m.track_id}/milestones/{m.pk}/",
        {
            f"m{m.pk}-name": "Renamed",
            f"m{m.pk}-phase": 1,
            f"m{m.pk}-window_from_day": 9,
            f"m{m.pk}-window_to_day": 3,
        },
    )
    assert response.status_code == 422
    assert "The window must end on or after the day it starts." in response.content.decode()
    with scope(tenant=acme.tenant):
        m.refresh_from_db()
    assert (m.name, m.window_from_day, m.window_to_day) == ("Welcome call completed", 1, 5)


def test_an_alert_day_of_zero_is_refused(acme, client_for):
    rule = _rule(acme, "welcome-call", 7)
    response = _rule_post(client_for(acme, acme.admin), acme, rule, 0)
    assert response.status_code == 422
    assert _rule(acme, "welcome-call", 7).day == 7


def test_stop_and_start_tracking(acme, client_for):
    start_tracking(acme)
    client = client_for(acme, acme.admin)
    refused = client.post(f"{PAGE}{_track(acme).pk}/stop/")
    assert refused.status_code == 422
    assert "1 partner(s) are on the Reseller / VAR track" in refused.content.decode()
    distributor = _track(acme, "Distributor")
    assert client.post(f"{PAGE}{distributor.pk}/stop/").status_code == 302
    type_pk = _type_pk(acme, "Distributor")
    page = client.get(PAGE).content.decode()
    assert 'value="template:Distributor" selected' in page
    response = client.post(
        f"{PAGE}types/{type_pk}/start/", {f"t{type_pk}-source": "template:Distributor"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}{_track(acme, 'Distributor').pk}/"


def test_adding_back_a_standard_milestone_from_the_page(acme, client_for):
    client = client_for(acme, acme.admin)
    track = _track(acme, "Distributor")
    response = client.post(
        f"{PAGE}{track.pk}/milestones/add/", {"add-source": "standard:technical-certification"}
    )
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        assert Milestone.objects.filter(track=track, key="technical-certification").exists()


def test_the_explorer_lists_partners_not_tracked(acme, client_for):
    start_tracking(acme)
    response = client_for(acme, acme.cam).get("/console/partners/", {"overdue": "not_tracked"})
    assert response.status_code == 200
    assert [p.name for p in response.context["page"].object_list] == ["Acme Partner Two"]
