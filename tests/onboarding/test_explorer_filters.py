"""The Partner Explorer's onboarding filters and column (apps/onboarding/explorer.py):
stage, stalled (in the current stage longer than N days), the Current stage column, the
CSV export, and StageProgress.entered_at (set on entering a stage; backfilled)."""

import csv
import importlib
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django_scopes import scope

from apps.onboarding.demo import StageSpec
from apps.onboarding.models import StageProgress, StageStatus
from apps.onboarding.services import partner_reenroll
from tests.onboarding.factories import (
    DEFAULT_SPEC,
    EnrollmentFactory,
    PipelineFactory,
    build_pipeline,
)
from tests.partners.test_views import _bulk_partners

pytestmark = pytest.mark.django_db

# In the past, so that the clients' sessions (signed in now) are still valid at every T0 + n.
T0 = (datetime.now(UTC) - timedelta(days=500)).replace(microsecond=0)


def _names(response):
    assert response.status_code == 200
    return [p.name for p in response.context["page"].object_list]


def _enrolled_at(program, at=T0, account=None):
    """acme's Reseller pipeline (DEFAULT_SPEC) and `account` (the partner) enrolled at `at`."""
    with time_machine.travel(at, tick=False):
        pipeline, stages, actions = build_pipeline(program, stages_spec=DEFAULT_SPEC)
        enrollment = EnrollmentFactory(actor=program.cam, account=account or program.partner)
    return pipeline, stages, actions, enrollment


def test_stage_filter_finds_partners_at_that_stage_only(acme, client_for):
    _pipeline, stages, _actions, _enrollment = _enrolled_at(acme)
    client = client_for(acme, acme.cam)
    assert _names(client.get("/console/partners/", {"stage": stages[0].pk})) == ["Acme Partner One"]
    assert _names(client.get("/console/partners/", {"stage": stages[1].pk})) == []
    assert _names(client.get("/console/partners/", {"stage": "none"})) == ["Acme Partner Two"]
    assert _names(client.get("/console/partners/", {"stage": "completed"})) == []


def test_a_superseded_enrollment_is_history_not_a_stage(acme, client_for):
    _pipeline, stages, _actions, _enrollment = _enrolled_at(acme)
    second = PipelineFactory(
        tenant=acme.tenant, actor=acme.admin, name="Second", stages=[StageSpec("Welcome", [])]
    )
    with scope(tenant=acme.tenant):
        partner_reenroll(
            tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk, pipeline_id=second.pk
        )
        welcome = second.stages.get()
    client = client_for(acme, acme.cam)
    # The old enrollment keeps its row at stage 1 (read-only history): it does not count.
    assert _names(client.get("/console/partners/", {"stage": stages[0].pk})) == []
    assert _names(client.get("/console/partners/", {"stage": welcome.pk})) == ["Acme Partner One"]
    assert _names(client.get("/console/partners/", {"stage": "none"})) == ["Acme Partner Two"]
    with time_machine.travel(T0 + timedelta(days=400), tick=False):
        # Stalled reads the current enrollment only (its stage was entered just now).
        assert _names(client.get("/console/partners/", {"stalled": "30"})) == []
    response = client.get("/console/partners/")
    assert "Welcome" in response.content.decode()


def test_forged_stage_values_are_ignored(acme, globex, client_for):
    _enrolled_at(acme)
    _p, globex_stages, _a = build_pipeline(globex, stages_spec=DEFAULT_SPEC)
    client = client_for(acme, acme.cam)
    everyone = ["Acme Partner One", "Acme Partner Two"]
    for value in (globex_stages[0].pk, "999999999", "x", "1; DROP TABLE", "-1", ""):
        assert _names(client.get("/console/partners/", {"stage": value})) == everyone, value


def test_stalled_boundary_is_strictly_longer_than_n_days(acme, client_for):
    _enrolled_at(acme)
    client = client_for(acme, acme.cam)
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        # Exactly 7 days in the stage: not yet stalled.
        assert _names(client.get("/console/partners/", {"stalled": "7"})) == []
    with time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False):
        assert _names(client.get("/console/partners/", {"stalled": "7"})) == ["Acme Partner One"]
        assert _names(client.get("/console/partners/", {"stalled": "14"})) == []


def test_stalled_counts_from_when_the_partner_entered_the_current_stage(acme, client_for):
    _pipeline, stages, actions, enrollment = _enrolled_at(acme)
    moved_at = T0 + timedelta(days=20)
    with time_machine.travel(moved_at, tick=False), scope(tenant=acme.tenant):
        from apps.onboarding.services import action_complete, action_validate, enrollment_advance

        for title in ("Legal details", "Tax form"):
            progress = enrollment.actions.get(action=actions[title])
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_user,
                progress_id=progress.pk,
                submission={"legal_name": "X"},
            )
            if actions[title].requires_approval:
                action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=progress.pk)
        enrollment_advance(tenant=acme.tenant, enrollment_id=enrollment.pk)
        rows = {sp.stage_id: sp for sp in StageProgress.objects.filter(enrollment=enrollment)}
    assert rows[stages[0].pk].entered_at == T0
    assert rows[stages[1].pk].status == StageStatus.CURRENT
    assert rows[stages[1].pk].entered_at == moved_at == rows[stages[0].pk].completed_at
    client = client_for(acme, acme.cam)
    with time_machine.travel(moved_at + timedelta(days=10), tick=False):
        # 30 days since enrollment, but 10 in the current stage.
        assert _names(client.get("/console/partners/", {"stalled": "14"})) == []
        assert _names(client.get("/console/partners/", {"stalled": "7"})) == ["Acme Partner One"]
        assert _names(client.get("/console/partners/", {"stage": stages[1].pk})) == [
            "Acme Partner One"
        ]


@pytest.mark.parametrize("value", ["abc", "7.5", "-7", "1000000000000000000000", "8"])
def test_stalled_bad_input_is_ignored_never_a_500(acme, client_for, value):
    _enrolled_at(acme)
    client = client_for(acme, acme.cam)
    with time_machine.travel(T0 + timedelta(days=100), tick=False):
        assert _names(client.get("/console/partners/", {"stalled": value})) == [
            "Acme Partner One",
            "Acme Partner Two",
        ]
        response = client.get("/console/partners/export.csv", {"stalled": value})
        assert response.status_code == 200


def test_completed_partners_are_not_stalled(acme, client_for, unscoped):
    _pipeline, _stages, _actions, enrollment = _enrolled_at(acme)
    from apps.onboarding.models import Enrollment

    Enrollment.objects.filter(pk=enrollment.pk).update(status="completed", current_stage=None)
    client = client_for(acme, acme.cam)
    with time_machine.travel(T0 + timedelta(days=100), tick=False):
        assert _names(client.get("/console/partners/", {"stalled": "7"})) == []
        assert _names(client.get("/console/partners/", {"stage": "completed"})) == [
            "Acme Partner One"
        ]


def test_current_stage_column_and_csv(acme, client_for):
    _pipeline, stages, _actions, _enrollment = _enrolled_at(acme)
    client = client_for(acme, acme.cam)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        response = client.get("/console/partners/")
    html = response.content.decode()
    assert "Current stage" in html
    assert "Company details" in html
    assert "Reseller onboarding · 3 days in stage" in html
    response = client.get("/console/partners/export.csv", {"stage": stages[0].pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-1] == "current_stage"
    assert [(r[1], r[-1]) for r in rows[1:]] == [("Acme Partner One", "Company details")]
    everyone = client.get("/console/partners/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(everyone.streaming_content).decode())))
    assert {r[1]: r[-1] for r in rows[1:]} == {
        "Acme Partner One": "Company details",
        "Acme Partner Two": "",
    }


@pytest.mark.parametrize("count", [5, 50])
def test_query_count_is_constant_with_the_new_filters_and_column(
    acme, client_for, django_assert_max_num_queries, count
):
    pipeline, stages, _actions, _enrollment = _enrolled_at(acme)
    accounts = _bulk_partners(acme, count)
    with time_machine.travel(T0, tick=False):
        for account in accounts:
            EnrollmentFactory(actor=acme.cam, account=account, pipeline=pipeline)
    client = client_for(acme, acme.cam)
    client.get("/console/partners/")  # warm the session and the saved views cache
    # host, session, user, membership, types, tiers, CAMs, stage choices, count, rows,
    # domains, current stage column, unread count; + the alert badge, whose cache is keyed by
    # the day (the clock moved).
    with (
        time_machine.travel(T0 + timedelta(days=400), tick=False),
        django_assert_max_num_queries(14),
    ):
        response = client.get(
            "/console/partners/", {"stage": stages[0].pk, "stalled": "30", "sort": "-name"}
        )
    assert len(_names(response)) == min(count + 1, 25)
    assert "Company details" in response.content.decode()


def test_backfill_sets_entered_at_from_the_enrollment_and_the_previous_stage(acme, unscoped):
    _pipeline, stages, _actions, enrollment = _enrolled_at(acme)
    done = T0 + timedelta(days=4)
    StageProgress.objects.filter(enrollment=enrollment, stage=stages[0]).update(
        status=StageStatus.COMPLETED, completed_at=done
    )
    StageProgress.objects.filter(enrollment=enrollment, stage=stages[1]).update(
        status=StageStatus.CURRENT
    )
    StageProgress.objects.filter(enrollment=enrollment).update(entered_at=None)
    migration = importlib.import_module("apps.onboarding.migrations.0004_stageprogress_entered_at")
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    entered = dict(
        StageProgress.objects.filter(enrollment=enrollment).values_list("stage_id", "entered_at")
    )
    assert entered[stages[0].pk] == T0  # the enrollment's start
    assert entered[stages[1].pk] == done  # the previous stage's completion
    assert entered[stages[2].pk] is None  # not reached yet
