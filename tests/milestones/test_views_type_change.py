"""A partner's type changes: the edit page leads to /console/partners/<id>/type-change/, which
offers to move it to the new type's pipeline and milestone track (issue 10, point 3)."""

import pytest
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.milestones.models import PartnerTrack
from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import ActionProgress, Enrollment
from apps.partners.models import PartnerAccount, PartnerType
from apps.partners.services import partner_account_version
from tests.milestones.factories import PartnerTrackFactory
from tests.onboarding.factories import (
    DEFAULT_SPEC,
    PI,
    UP,
    EnrollmentFactory,
    build_pipeline,
    stage_specs,
)

pytestmark = pytest.mark.django_db

DISTRIBUTOR_SPEC = [
    ("Distributor setup", [("Distribution agreement", UP, False), ("Warehouses", PI, False)]),
]


@pytest.fixture(autouse=True)
def _milestone_template(milestone_template):
    """The programs have milestone tracks."""


def _type(program, name):
    with scope(tenant=program.tenant):
        return PartnerType.objects.get(tenant=program.tenant, name=name)


def _distributor_pipeline(program):
    with scope(tenant=program.tenant):
        return pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name="Distributor onboarding",
            partner_types=[_type(program, "Distributor")],
            stages=stage_specs(DISTRIBUTOR_SPEC),
        ).pipeline


def _set_up(program, *, done=1):
    """The partner, a Reseller, enrolled in "Reseller onboarding" with `done` actions done
    and tracked; a Distributor pipeline exists."""
    reseller, _stages, _actions = build_pipeline(program, stages_spec=DEFAULT_SPEC)
    distributor = _distributor_pipeline(program)
    enrollment = EnrollmentFactory(actor=program.cam, account=program.partner)
    PartnerTrackFactory(account=program.partner, actor=program.cam)
    with scope(tenant=program.tenant):
        rows = ActionProgress.objects.filter(enrollment=enrollment).order_by("id")[:done]
        ActionProgress.objects.filter(pk__in=[r.pk for r in rows]).update(status="completed")
    return reseller, distributor, enrollment


@pytest.fixture
def setup(acme):
    return _set_up(acme)


def _make(program, name):
    with scope(tenant=program.tenant):
        PartnerAccount.objects.filter(pk=program.partner.pk).update(
            partner_type=_type(program, name)
        )


def _url(program, account=None):
    return f"/console/partners/{(account or program.partner).pk}/type-change/"


def _edit(client, program, **overrides):
    with scope(tenant=program.tenant):
        account = PartnerAccount.objects.get(pk=program.partner.pk)
        domains = list(account.domains.values_list("domain", flat=True))
        data = {
            "partner_type": account.partner_type_id,
            "tier": account.tier,
            "region": account.region,
            "cam": account.cam_id or "",
            "domains": "\n".join(domains),
            "version": partner_account_version(account=account, domains=domains),
        }
    data.update(overrides)
    return client.post(f"/console/partners/{program.partner.pk}/edit/", data)


def _state(program):
    with scope(tenant=program.tenant):
        enrollments = list(
            Enrollment.objects.filter(partner_account=program.partner)
            .order_by("id")
            .values_list("pipeline__name", "status")
        )
        track = PartnerTrack.objects.get(account=program.partner).track.partner_type.name
    return enrollments, track


BEFORE = ([("Reseller onboarding", "in_progress")], "Reseller / VAR")


# --- From the edit page ----------------------------------------------------------------------


def test_saving_a_new_type_leads_to_the_confirmation(acme, client_for, setup):
    response = _edit(client_for(acme, acme.admin), acme, partner_type=_type(acme, "Distributor").pk)
    assert response.status_code == 302
    assert response["Location"] == _url(acme)
    assert _state(acme) == BEFORE  # nothing moves before it is confirmed


def test_saving_other_fields_goes_to_the_partner_page(acme, client_for, setup):
    response = _edit(client_for(acme, acme.admin), acme, tier="gold")
    assert response["Location"] == f"/console/partners/{acme.partner.pk}/"


def test_a_new_type_with_nothing_to_offer_goes_to_the_partner_page(acme, client_for):
    # Not enrolled, not tracked: no pipeline or track to change.
    client = client_for(acme, acme.admin)
    response = _edit(client, acme, partner_type=_type(acme, "Distributor").pk)
    # The edit page (partners, a lower layer) hands over to this page, which passes it on.
    assert response["Location"] == _url(acme)
    response = client.get(_url(acme))
    assert response.status_code == 302
    assert response["Location"] == f"/console/partners/{acme.partner.pk}/"


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_current_and_proposed_with_what_stays_in_the_history(
    acme, client_for, setup
):
    _make(acme, "Distributor")
    response = client_for(acme, acme.cam).get(_url(acme))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "is now a Distributor partner",
        "Reseller onboarding",
        "Distributor onboarding",
        "1 of 4 actions done will stay in the history",
        "Move to pipeline Distributor onboarding",
        "Reseller / VAR track",
        "Distributor track",
        "Switch milestone track",
        "8 milestones in both tracks are kept",
        "2 milestones are added",
        "Keep current",
    ):
        assert text in body, text
    assert '<label for="id_move_pipeline">' in body
    assert '<label for="id_switch_track">' in body


def test_a_type_without_pipeline_or_track_says_so(acme, client_for, setup):
    with scope(tenant=acme.tenant):
        type_ = PartnerType.objects.create(tenant=acme.tenant, name="Marketplace", position=99)
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(partner_type=type_)
    body = client_for(acme, acme.admin).get(_url(acme)).content.decode()
    assert "Marketplace partners have no onboarding pipeline" in body
    assert "Marketplace partners have no milestone track" in body
    assert "Move to pipeline" not in body and "Switch milestone track" not in body


def test_applying_both_moves_the_pipeline_and_switches_the_track(acme, client_for, setup):
    reseller, distributor, _enrollment = setup
    _make(acme, "Distributor")
    client = client_for(acme, acme.admin)
    response = client.post(
        _url(acme),
        {
            "move_pipeline": "on",
            "switch_track": "on",
            "pipeline": distributor.pk,
            "track": _track_id(acme, "Distributor"),
            "apply": "1",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/console/partners/{acme.partner.pk}/"
    body = response.content.decode()
    assert "moved to the pipeline “Distributor onboarding”" in body
    assert "is now on the Distributor milestone track" in body
    assert _state(acme) == (
        [("Reseller onboarding", "superseded"), ("Distributor onboarding", "in_progress")],
        "Distributor",
    )
    # Both changes are on the partner's timeline.
    assert "Moved from the pipeline <strong>Reseller onboarding</strong>" in body
    assert "Milestone track changed from <strong>Reseller / VAR</strong>" in body


def _track_id(program, name):
    from apps.milestones.models import Track

    with scope(tenant=program.tenant):
        return Track.objects.get(tenant=program.tenant, partner_type__name=name).pk


def test_ticking_only_the_pipeline_keeps_the_track(acme, client_for, setup):
    _reseller, distributor, _enrollment = setup
    _make(acme, "Distributor")
    client_for(acme, acme.cam).post(
        _url(acme),
        {
            "move_pipeline": "on",
            "pipeline": distributor.pk,
            "track": _track_id(acme, "Distributor"),
        },
    )
    assert _state(acme) == (
        [("Reseller onboarding", "superseded"), ("Distributor onboarding", "in_progress")],
        "Reseller / VAR",
    )


def test_keep_current_changes_nothing(acme, client_for, setup):
    _reseller, distributor, _enrollment = setup
    _make(acme, "Distributor")
    response = client_for(acme, acme.admin).post(
        _url(acme), {"move_pipeline": "on", "pipeline": distributor.pk, "keep": "1"}
    )
    assert response.status_code == 302
    assert _state(acme) == BEFORE


def test_ticking_nothing_is_a_form_error(acme, client_for, setup):
    _make(acme, "Distributor")
    response = client_for(acme, acme.admin).post(_url(acme), {"apply": "1"})
    assert response.status_code == 422
    assert "Tick what to change" in response.content.decode()
    assert _state(acme) == BEFORE


def test_a_forged_or_stale_pipeline_or_track_is_refused(acme, globex, client_for, setup):
    _make(acme, "Distributor")
    theirs = _distributor_pipeline(globex)
    client = client_for(acme, acme.admin)
    for data in (
        {"move_pipeline": "on", "pipeline": theirs.pk},
        {"move_pipeline": "on", "pipeline": setup[0].pk},
        {"move_pipeline": "on", "pipeline": "99999999999999"},
        {"switch_track": "on", "track": _track_id(globex, "Distributor")},
        {"switch_track": "on", "track": _track_id(acme, "Managed Service Provider")},
    ):
        response = client.post(_url(acme), data)
        assert response.status_code == 409, data
        assert "Nothing was changed" in response.content.decode()
    assert _state(acme) == BEFORE


def test_a_double_submit_moves_the_partner_once(acme, client_for, setup):
    _reseller, distributor, _enrollment = setup
    _make(acme, "Distributor")
    client = client_for(acme, acme.admin)
    data = {"move_pipeline": "on", "pipeline": distributor.pk}
    assert client.post(_url(acme), data).status_code == 302
    assert client.post(_url(acme), data).status_code == 302
    enrollments, _track = _state(acme)
    assert enrollments == [
        ("Reseller onboarding", "superseded"),
        ("Distributor onboarding", "in_progress"),
    ]
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="onboarding.moved").count() == 1


def test_the_onboarding_tab_keeps_the_old_pipeline_read_only(acme, client_for, setup):
    _reseller, distributor, old = setup
    _make(acme, "Distributor")
    client = client_for(acme, acme.cam)
    client.post(_url(acme), {"move_pipeline": "on", "pipeline": distributor.pk})
    tab = f"/console/partners/{acme.partner.pk}/onboarding/"
    body = client.get(tab).content.decode()
    assert "Distributor setup" in body  # the current pipeline
    assert "Previous pipelines" in body
    assert f'href="?enrollment={old.pk}"' in body
    assert "Moved to another pipeline" in body
    assert "1 of 4" in body
    history = client.get(f"{tab}?enrollment={old.pk}")
    assert history.status_code == 200
    page = history.content.decode()
    assert "can no longer change" in page
    assert "Legal details" in page
    for button in ("Validate", "Skip", "Move partner to the next stage"):
        assert f">{button}</button>" not in page
    # The partner's current enrollment, another partner's, or nonsense: not history pages.
    with scope(tenant=acme.tenant):
        current = Enrollment.objects.get(partner_account=acme.partner, status="in_progress")
    for bad in (current.pk, 999999, "x"):
        assert client.get(f"{tab}?enrollment={bad}").status_code == 404


# --- Who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_are_refused(acme, client_for, setup, role):
    _make(acme, "Distributor")
    client = client_for(acme, getattr(acme, role))
    assert client.get(_url(acme)).status_code in (403, 404)
    data = {"move_pipeline": "on", "pipeline": setup[1].pk}
    assert client.post(_url(acme), data).status_code in (403, 404)
    assert _state(acme) == BEFORE


def test_another_programs_staff_and_partner_are_404(acme, globex, client_for, setup):
    _make(acme, "Distributor")
    data = {"move_pipeline": "on", "pipeline": setup[1].pk}
    # globex's admin on acme's host: not a member.
    assert client_for(acme, globex.admin).post(_url(acme), data).status_code == 404
    # acme's admin asking for globex's partner.
    client = client_for(acme, acme.admin)
    assert client.get(_url(acme, globex.partner)).status_code == 404
    assert client.post(_url(acme, globex.partner), data).status_code == 404
    assert _state(acme) == BEFORE


def test_the_page_query_count_is_bounded(acme, client_for, setup, django_assert_max_num_queries):
    _make(acme, "Distributor")
    client = client_for(acme, acme.admin)
    client.get(_url(acme))
    with django_assert_max_num_queries(20):
        assert client.get(_url(acme)).status_code == 200
