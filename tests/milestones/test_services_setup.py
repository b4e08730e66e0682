"""The seed-004 template every program starts from: each track holds its own copy."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.milestones.default_tracks import STANDARD_KEYS, TRACKS
from apps.milestones.models import AlertRule, Milestone, Track
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


def _by_track(tenant):
    """{partner type name: {key: milestone}} and {(type name, key): [rule days]}."""
    milestones: dict[str, dict[str, Milestone]] = {}
    for m in Milestone.objects.filter(tenant=tenant).select_related("track__partner_type"):
        milestones.setdefault(m.track.partner_type.name, {})[m.key] = m
    rules: dict[tuple[str, str], list[int]] = {}
    for rule in AlertRule.objects.filter(tenant=tenant).select_related(
        "milestone__track__partner_type"
    ):
        name = rule.milestone.track.partner_type.name
        rules.setdefault((name, rule.milestone.key), []).append(rule.day)
    return milestones, rules


def test_a_new_program_starts_with_the_nine_milestones_and_their_triggers(acme):
    with scope(tenant=acme.tenant):
        milestones, rules = _by_track(acme.tenant)
    assert set(STANDARD_KEYS) == set(NINE)
    assert len(STANDARD_KEYS) == 9
    for name, own in milestones.items():
        for key, (phase, start, end, days) in NINE.items():
            if key not in own:
                continue
            m = own[key]
            assert (m.phase, m.window_from_day, m.window_to_day) == (phase, start, end), key
            assert sorted(rules[(name, key)]) == days, (name, key)
    reseller = milestones["Reseller / VAR"]
    assert reseller["welcome-call"].event_types == ["call.logged"]
    assert reseller["welcome-call"].event_reference == "welcome"
    assert set(reseller["first-marketing"].event_types) >= {"mdf.requested", "asset.downloaded"}


def test_six_tracks_each_with_its_own_copy_of_the_milestones(acme):
    with scope(tenant=acme.tenant):
        tracks = {t.partner_type.name: t for t in Track.objects.filter(tenant=acme.tenant)}
        milestones, _rules = _by_track(acme.tenant)
    assert {name: t.activation_window_days for name, t in tracks.items()} == WINDOWS
    for track in tracks.values():
        assert len(track.priority_sequence) == 5
        assert track.critical_first_milestone
    activation = {
        name: {key for key, m in own.items() if m.counts_for_activation}
        for name, own in milestones.items()
    }
    assert activation["Reseller / VAR"] == {"sales-certification", "first-deal"}
    assert activation["Managed Service Provider"] == {"technical-certification"}
    assert activation["Systems Integrator"] == {"technical-certification", "si-solution-design"}
    assert activation["Technology / Alliance"] == {"alliance-solution-brief", "first-marketing"}
    assert activation["Distributor"] == {"distributor-order-workflow", "distributor-first-reseller"}
    assert activation["Referral / Agent"] == {"referral-process", "referral-first-lead"}
    # Each track: the nine (but the technical certification "if required") and its extras.
    for spec in TRACKS:
        expected = (set(NINE) - set(spec.excluded)) | {m.key for m in spec.extra}
        assert set(milestones[spec.partner_type]) == expected, spec.partner_type
    assert "technical-certification" not in milestones["Referral / Agent"]
    assert "technical-certification" not in milestones["Distributor"]
    # Copies, not shared rows: every milestone belongs to exactly one track.
    ids = [m.pk for own in milestones.values() for m in own.values()]
    assert len(ids) == len(set(ids))
    assert (
        milestones["Reseller / VAR"]["orientation"].pk
        != milestones["Distributor"]["orientation"].pk
    )
    with scope(tenant=acme.tenant):
        total = Milestone.objects.filter(tenant=acme.tenant).count()
    assert total == sum(len(set(NINE) - set(s.excluded)) + len(s.extra) for s in TRACKS)


def test_installing_again_changes_nothing(acme):
    with scope(tenant=acme.tenant):
        before = (Milestone.objects.count(), AlertRule.objects.count(), Track.objects.count())
        assert milestone_template_install(tenant=acme.tenant) == {"milestones": 0, "tracks": 0}
        after = (Milestone.objects.count(), AlertRule.objects.count(), Track.objects.count())
    assert before == after


def test_installing_again_keeps_a_tracks_edits(acme):
    with scope(tenant=acme.tenant):
        m = Milestone.objects.get(
            tenant=acme.tenant, track__partner_type__name="Distributor", key="welcome-call"
        )
        Milestone.objects.filter(pk=m.pk).update(window_to_day=9)
        milestone_template_install(tenant=acme.tenant)
        m.refresh_from_db()
        other = Milestone.objects.get(
            tenant=acme.tenant, track__partner_type__name="Reseller / VAR", key="welcome-call"
        )
    assert m.window_to_day == 9
    assert other.window_to_day == 5


def test_an_existing_program_gets_the_template_from_the_install(db):
    with scopes_disabled():
        tenant = tenant_create(slug="old", name="Old program", hostnames=["old.localhost"])
    with scope(tenant=tenant):
        partner_types_install_defaults(tenant=tenant)
        created = milestone_template_install(tenant=tenant)
        assert created["tracks"] == 6
        assert created["milestones"] == Milestone.objects.filter(tenant=tenant).count()
        assert Milestone.objects.filter(tenant=tenant, key__in=STANDARD_KEYS).count() == sum(
            len(set(STANDARD_KEYS) - set(s.excluded)) for s in TRACKS
        )
        assert milestone_template_install(tenant=tenant) == {"milestones": 0, "tracks": 0}
