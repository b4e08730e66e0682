"""The portal home says what to do next and how the partner's pace compares with the
stage's usual time (issue 11 §7)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scope

from apps.onboarding.models import Enrollment, StageProgress, StageStatus
from apps.onboarding.selectors_progress import USUAL_TIME_MIN_FINISHERS, stage_usual_duration
from apps.onboarding.services import (
    action_complete,
    action_request_changes,
    action_skip,
    partner_enroll,
)
from apps.partners.models import PartnerType
from tests.onboarding.conftest import DEFAULT_SPEC, EnrollmentFactory, Journey, build_pipeline
from tests.partners.factories import PartnerAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(acme):
    """tests/onboarding's journey: partner one enrolled in "Reseller onboarding"."""
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    enrollment = EnrollmentFactory(actor=acme.cam, account=acme.partner)
    return Journey(pipeline=pipeline, stages=stages, actions=actions, enrollment=enrollment)


@pytest.fixture(autouse=True)
def _fresh_cache(journey, acme):
    for stage in journey.stages:
        cache.delete(f"onboarding:stage-usual:{acme.tenant.pk}:{stage.pk}")


def _finishers(acme, journey, days, *, entered=True):
    """Partners who finished the first stage, taking `days` each."""
    stage = journey.stages[0]
    now = timezone.now()
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        for n, took in enumerate(days):
            account = PartnerAccountFactory(
                tenant=acme.tenant, partner_type=reseller, name=f"Finisher {took}-{n}"
            )
            enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=account)
            start = now - timedelta(days=40)
            Enrollment.objects.filter(pk=enrollment.pk).update(started_at=start)
            StageProgress.objects.filter(enrollment=enrollment, stage=stage).update(
                status=StageStatus.COMPLETED,
                entered_at=start if entered else None,
                completed_at=start + timedelta(days=took),
            )


def _entered(acme, journey, days_ago):
    with scope(tenant=acme.tenant):
        StageProgress.objects.filter(enrollment=journey.enrollment, stage=journey.stages[0]).update(
            entered_at=timezone.now() - timedelta(days=days_ago, hours=1)
        )


def test_next_step_links_the_first_open_action(acme, journey, client_for):
    html = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    legal = journey.progress("Legal details")
    assert (
        "Your next step: <strong>Legal details</strong>. "
        f'<a href="/portal/onboarding/actions/{legal.pk}/">Start now</a>'
    ) in html


def test_next_step_asks_to_redo_an_action_sent_back(acme, journey, client_for):
    legal = journey.progress("Legal details")
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=legal.pk,
            submission={"legal_name": "X"},
        )
        action_request_changes(
            tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk, comment="Full name"
        )
    html = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert (
        "Your next step: redo <strong>Legal details</strong>. "
        f'<a href="/portal/onboarding/actions/{legal.pk}/">Redo it now</a>'
    ) in html


def test_nothing_to_do_while_the_cam_reviews(acme, journey, client_for):
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=journey.progress("Legal details").pk,
            submission={"legal_name": "X"},
        )
        action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Tax form").pk)
    html = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert "Your next step" not in html
    assert "your channel manager is reviewing what you sent" in html


def test_usual_time_is_hidden_below_five_finishers(acme, journey, client_for):
    _finishers(acme, journey, [2, 4, 6, 8][: USUAL_TIME_MIN_FINISHERS - 1])
    html = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert "Most partners finish" not in html


def test_usual_time_is_shown_from_five_finishers(acme, journey, client_for):
    _finishers(acme, journey, [2, 4, 6, 8, 10])
    _entered(acme, journey, 2)
    html = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert "Most partners finish this stage in 6 days; you started it 2 days ago." in html


def test_usual_time_says_today_for_a_stage_just_started(acme, journey, client_for):
    _finishers(acme, journey, [1, 1, 1, 1, 1])
    _entered(acme, journey, 0)
    html = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert "Most partners finish this stage in 1 day; you started it today." in html


def test_median_is_the_middle_of_an_even_count_and_falls_back_to_the_start(
    acme, journey, django_assert_num_queries
):
    _finishers(acme, journey, [2, 4, 6])
    _finishers(acme, journey, [8, 10, 12], entered=False)  # counted from the enrollment start
    stage_id = journey.stages[0].pk
    with scope(tenant=acme.tenant), django_assert_num_queries(1):
        assert stage_usual_duration(tenant=acme.tenant, stage_id=stage_id) == timedelta(days=7)
    with scope(tenant=acme.tenant), django_assert_num_queries(0):  # cached for the hour
        assert stage_usual_duration(tenant=acme.tenant, stage_id=stage_id) == timedelta(days=7)


def test_unfinished_and_other_stages_do_not_count(acme, journey):
    _finishers(acme, journey, [3, 3, 3, 3])
    with scope(tenant=acme.tenant):
        # A fifth partner still in the stage does not make it five finishers.
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        account = PartnerAccountFactory(tenant=acme.tenant, partner_type=reseller)
        partner_enroll(tenant=acme.tenant, actor=acme.cam, account=account)
        assert stage_usual_duration(tenant=acme.tenant, stage_id=journey.stages[0].pk) is None
        assert stage_usual_duration(tenant=acme.tenant, stage_id=journey.stages[1].pk) is None


def test_portal_home_query_count_with_the_pace(
    acme, journey, client_for, django_assert_max_num_queries
):
    _finishers(acme, journey, [2, 4, 6, 8, 10])
    client = client_for(acme, acme.partner_user)
    client.get("/notifications/")
    with django_assert_max_num_queries(17):
        html = client.get("/portal/").content.decode()
    assert "Most partners finish" in html
    with django_assert_max_num_queries(16):  # the median comes from the cache now
        client.get("/portal/")
