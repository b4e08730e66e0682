"""views_reenroll.py: the Onboarding tab's "Move to another pipeline" control."""

import pytest
from django.urls import reverse
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import Enrollment, EnrollmentStatus
from apps.onboarding.services.pipelines import pipeline_archive
from apps.partners.models import PartnerType
from tests.onboarding.factories import PI, UP, stage_specs

pytestmark = pytest.mark.django_db

DISTRIBUTOR_SPEC = [("Distributor setup", [("Distribution agreement", UP, False)])]
MSP_SPEC = [("MSP setup", [("Service catalogue", PI, False)])]


def _other_pipeline(program, name="Distributor onboarding", spec=DISTRIBUTOR_SPEC):
    with scope(tenant=program.tenant):
        return pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name=name,
            partner_types=[PartnerType.objects.get(tenant=program.tenant, name="Distributor")]
            if name == "Distributor onboarding"
            else [],
            stages=stage_specs(spec),
        ).pipeline


@pytest.fixture
def distributor(acme):
    return _other_pipeline(acme)


def _tab(program):
    return reverse("onboarding_console:tab", args=[program.partner.pk])


def _reenroll_url(program, account=None):
    return reverse("onboarding_console:reenroll", args=[(account or program.partner).pk])


def _enrollments(program, account=None):
    with scope(tenant=program.tenant):
        return list(
            Enrollment.objects.filter(partner_account=account or program.partner)
            .order_by("id")
            .values_list("pipeline__name", "status")
        )


def test_the_tab_offers_the_other_live_pipelines(acme, journey, distributor, client_for):
    archived = _other_pipeline(acme, "Old MSP onboarding", MSP_SPEC)
    with scope(tenant=acme.tenant):
        pipeline_archive(tenant=acme.tenant, actor=acme.admin, pipeline_id=archived.pk)
    page = client_for(acme, acme.cam).get(_tab(acme)).content.decode()
    assert "Move to another pipeline" in page
    assert _reenroll_url(acme) in page
    assert f'<option value="{distributor.pk}">Distributor onboarding</option>' in page
    assert "Old MSP onboarding" not in page  # archived
    assert f'<option value="{journey.pipeline.pk}">' not in page  # the current one
    assert "stays in history, read-only" in page


def test_the_tab_offers_no_move_without_another_pipeline(acme, journey, client_for):
    page = client_for(acme, acme.cam).get(_tab(acme)).content.decode()
    assert _reenroll_url(acme) not in page


def test_a_cam_moves_the_partner_and_the_old_pipeline_becomes_history(
    acme, journey, distributor, client_for
):
    journey.complete(acme, "Legal details")
    client = client_for(acme, acme.cam)
    response = client.post(_reenroll_url(acme), {"pipeline": distributor.pk}, follow=True)
    assert response.redirect_chain[-1][0] == _tab(acme)
    page = response.content.decode()
    assert "now onboards in “Distributor onboarding”, at “Distributor setup”" in page
    assert _enrollments(acme) == [
        ("Reseller onboarding", EnrollmentStatus.SUPERSEDED),
        ("Distributor onboarding", EnrollmentStatus.IN_PROGRESS),
    ]
    assert 'id="onboarding-history"' in page  # "Previous pipelines"
    with scope(tenant=acme.tenant):
        moved = AuditEvent.objects.get(verb="onboarding.moved")
        assert moved.actor == acme.cam and moved.partner_id == acme.partner.pk
        assert (moved.data["from"], moved.data["to"]) == (
            "Reseller onboarding",
            "Distributor onboarding",
        )


def test_a_partner_not_enrolled_is_simply_enrolled(acme, distributor, client_for):
    client_for(acme, acme.admin).post(_reenroll_url(acme), {"pipeline": distributor.pk})
    assert _enrollments(acme) == [("Distributor onboarding", EnrollmentStatus.IN_PROGRESS)]


def test_a_double_submit_makes_one_new_enrollment(acme, journey, distributor, client_for):
    client = client_for(acme, acme.cam)
    client.post(_reenroll_url(acme), {"pipeline": distributor.pk})
    second = client.post(_reenroll_url(acme), {"pipeline": distributor.pk}, follow=True)
    assert "is already in the pipeline “Distributor onboarding”" in second.content.decode()
    assert _enrollments(acme) == [
        ("Reseller onboarding", EnrollmentStatus.SUPERSEDED),
        ("Distributor onboarding", EnrollmentStatus.IN_PROGRESS),
    ]


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999", "0"])
def test_bad_input_changes_nothing(acme, journey, client_for, value):
    response = client_for(acme, acme.cam).post(_reenroll_url(acme), {"pipeline": value})
    assert response.status_code == 302
    assert _enrollments(acme) == [("Reseller onboarding", EnrollmentStatus.IN_PROGRESS)]


def test_the_pipeline_it_is_in_is_refused(acme, journey, client_for):
    response = client_for(acme, acme.cam).post(
        _reenroll_url(acme), {"pipeline": journey.pipeline.pk}, follow=True
    )
    assert "is already in the pipeline “Reseller onboarding”" in response.content.decode()
    assert _enrollments(acme) == [("Reseller onboarding", EnrollmentStatus.IN_PROGRESS)]


def test_an_archived_pipeline_is_refused(acme, journey, client_for):
    old = _other_pipeline(acme, "Old MSP onboarding", MSP_SPEC)
    with scope(tenant=acme.tenant):
        pipeline_archive(tenant=acme.tenant, actor=acme.admin, pipeline_id=old.pk)
    response = client_for(acme, acme.cam).post(
        _reenroll_url(acme), {"pipeline": old.pk}, follow=True
    )
    assert "“Old MSP onboarding” is archived" in response.content.decode()
    assert _enrollments(acme) == [("Reseller onboarding", EnrollmentStatus.IN_PROGRESS)]


def test_a_forged_pipeline_of_another_program_is_refused(acme, globex, journey, client_for):
    theirs = _other_pipeline(globex)
    response = client_for(acme, acme.cam).post(
        _reenroll_url(acme), {"pipeline": theirs.pk}, follow=True
    )
    assert "Unknown pipeline." in response.content.decode()
    assert _enrollments(acme) == [("Reseller onboarding", EnrollmentStatus.IN_PROGRESS)]
    with scope(tenant=globex.tenant):
        assert not Enrollment.objects.filter(pipeline=theirs).exists()


def test_another_programs_partner_is_404(acme, globex, distributor, client_for):
    response = client_for(acme, acme.cam).post(
        _reenroll_url(acme, globex.partner), {"pipeline": distributor.pk}
    )
    assert response.status_code == 404
    assert _enrollments(globex, globex.partner) == []


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_are_refused(acme, journey, distributor, client_for, role):
    client = client_for(acme, getattr(acme, role))
    response = client.post(_reenroll_url(acme), {"pipeline": distributor.pk})
    assert response.status_code in (403, 404)
    assert _enrollments(acme) == [("Reseller onboarding", EnrollmentStatus.IN_PROGRESS)]


def test_anonymous_is_sent_to_sign_in(acme, journey, distributor, client_for):
    response = client_for(acme).post(_reenroll_url(acme), {"pipeline": distributor.pk})
    assert response.status_code in (302, 403, 404)
    assert _enrollments(acme) == [("Reseller onboarding", EnrollmentStatus.IN_PROGRESS)]


def test_get_is_not_allowed(acme, journey, client_for):
    assert client_for(acme, acme.cam).get(_reenroll_url(acme)).status_code == 405


def test_a_past_enrollment_page_offers_no_move(acme, journey, distributor, client_for):
    client = client_for(acme, acme.cam)
    client.post(_reenroll_url(acme), {"pipeline": distributor.pk})
    page = client.get(_tab(acme) + f"?enrollment={journey.enrollment.pk}").content.decode()
    assert "can no longer change" in page
    assert _reenroll_url(acme) not in page


def test_the_control_costs_one_query(acme, journey, distributor, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(acme, acme.cam)
    client.get(_tab(acme))
    with CaptureQueriesContext(connection) as ctx:
        client.get(_tab(acme))
    pipelines = [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "onboarding_pipeline"' in q["sql"] and "NOT" in q["sql"]
    ]
    assert len(pipelines) == 1
