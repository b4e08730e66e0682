"""The seed-004 template every program starts from."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.milestones.default_tracks import STANDARD_KEYS
from apps.milestones.models import AlertRule, Milestone, Track, TrackMilestone
from apps.milestones.services import milestone_template_install
from apps.partners.services import partner_types_install_defaults
from apps.tenancy.services import tenant_create

pytestmark = pytest.mark.django_db

NINE = {
    # key: (phase, from day, to day, [rule days])
    "profile-complete": (1, 1, 3, [5]),
    "welcome-call": (1, 1, 5, [7]),
    "orientation": (2, 3, 14, [14]),
    "sales-certification": (3, 7, 45, [30, 45]),
    "technical-certification": (3, 14, 60, [45, 60]),
    "first-deal": (4, 21, 75, [45, 75]),
    "first-marketing": (4, 30, 75, [60]),
    "ninety-day-review": (5, 75, 90, [70, 75]),
    "business-plan": (5, 80, 90, [85]),
}
WINDOWS = {
    "Reseller / VAR": 60,
    "Managed Service Provider": 90,
    "Systems Integrator": 90,
    "Distributor": 45,
    "Referral / Agent": 30,
    "Technology / Alliance": 75,
}


def test_a_new_program_starts_with_the_nine_milestones_and_their_triggers(acme):
    with scope(tenant=acme.tenant):
        milestones = {m.key: m for m in Milestone.objects.filter(tenant=acme.tenant)}
        rules = {}
        for rule in AlertRule.objects.filter(tenant=acme.tenant).select_related("milestone"):
            rules.setdefault(rule.milestone.key, []).append(rule.day)
    assert set(STANDARD_KEYS) == set(NINE)
    assert len(STANDARD_KEYS) == 9
    for key, (phase, start, end, days) in NINE.items():
        m = milestones[key]
        assert (m.phase, m.window_from_day, m.window_to_day) == (phase, start, end), key
        assert sorted(rules[key]) == days, key
    assert milestones["welcome-call"].event_types == ["call.logged"]
    assert milestones["welcome-call"].event_reference == "welcome"
    assert set(milestones["first-marketing"].event_types) >= {"mdf.requested", "asset.downloaded"}


def test_six_tracks_with_their_windows_sequences_and_critical_milestones(acme):
    with scope(tenant=acme.tenant):
        tracks = {t.partner_type.name: t for t in Track.objects.filter(tenant=acme.tenant)}
        links = list(
            TrackMilestone.objects.filter(tenant=acme.tenant).select_related(
                "track__partner_type", "milestone"
            )
        )
    assert {name: t.activation_window_days for name, t in tracks.items()} == WINDOWS
    for track in tracks.values():
        assert len(track.priority_sequence) == 5
        assert track.critical_first_milestone
    activation = {}
    included = {}
    for link in links:
        name = link.track.partner_type.name
        included.setdefault(name, set()).add(link.milestone.key)
        if link.counts_for_activation:
            activation.setdefault(name, set()).add(link.milestone.key)
    assert activation["Reseller / VAR"] == {"sales-certification", "first-deal"}
    assert activation["Managed Service Provider"] == {"technical-certification"}
    assert activation["Systems Integrator"] == {"technical-certification", "si-solution-design"}
    assert activation["Technology / Alliance"] == {"alliance-solution-brief", "first-marketing"}
    assert len(activation["Distributor"]) == 2 and len(activation["Referral / Agent"]) == 2
    # Every track holds the nine, except the technical certification "if required".
    assert included["Reseller / VAR"] == set(NINE)
    assert "technical-certification" not in included["Referral / Agent"]
    assert "technical-certification" not in included["Distributor"]


def test_installing_again_changes_nothing(acme):
    with scope(tenant=acme.tenant):
        before = (Milestone.objects.count(), AlertRule.objects.count(), Track.objects.count())
        assert milestone_template_install(tenant=acme.tenant) == {"milestones": 0, "tracks": 0}
        after = (Milestone.objects.count(), AlertRule.objects.count(), Track.objects.count())
    assert before == after


def test_an_existing_program_gets_the_template_from_the_install(db):
    with scopes_disabled():
        tenant = tenant_create(slug="old", name="Old program", hostnames=["old.localhost"])
    with scope(tenant=tenant):
        partner_types_install_defaults(tenant=tenant)
        created = milestone_template_install(tenant=tenant)
        assert created["tracks"] == 6
        assert Milestone.objects.filter(tenant=tenant, key__in=STANDARD_KEYS).count() == 9
