"""apps/onboarding/selectors_pipelines.py: the pipeline builder's reads, in constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.onboarding.selectors_pipelines import (
    action_get_live,
    action_status_counts,
    partner_account_list_enroll_candidates,
    partner_account_list_not_enrolled,
    partner_type_list_without_pipeline,
    partner_type_rows_for_pipeline,
    pipeline_get,
    pipeline_list_with_counts,
    stage_get_live,
    stage_list_names,
    stage_list_with_actions,
    stage_reach_count,
)
from apps.onboarding.services import action_archive, stage_archive
from apps.partners.models import PartnerType
from apps.partners.services import partner_account_create
from tests.onboarding.conftest import DEFAULT_SPEC, UP, build_pipeline
from tests.onboarding.factories import (
    ActionFactory,
    EnrollmentFactory,
    PipelineFactory,
    StageFactory,
)

pytestmark = pytest.mark.django_db


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _grow(program, *, pipelines: int, stages: int, actions: int):
    made = []
    for p in range(pipelines):
        pipeline = PipelineFactory(tenant=program.tenant, actor=program.admin, name=f"Grown {p}")
        for _ in range(stages):
            stage = StageFactory(pipeline=pipeline, actor=program.admin)
            for _ in range(actions):
                ActionFactory(stage=stage, actor=program.admin, type=UP)
        made.append(pipeline)
    return made


def test_pipeline_list_counts_live_stages_actions_and_enrollments(acme, built):
    pipeline, stages, actions = built
    EnrollmentFactory(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    with scope(tenant=acme.tenant):
        stage_archive(tenant=acme.tenant, actor=acme.admin, stage=stages[3])
        (row,) = pipeline_list_with_counts(tenant=acme.tenant)
    assert row == pipeline
    assert (row.stage_count, row.archived_stage_count) == (3, 1)
    assert row.action_count == 3  # the archived stage's action no longer counts
    assert (row.in_progress_count, row.completed_count) == (1, 0)
    assert [a.partner_type.name for a in row.type_rows] == ["Reseller / VAR"]


def test_pipeline_list_takes_two_queries_however_many_pipelines(acme, built):
    with scope(tenant=acme.tenant):
        few = _queries(lambda: pipeline_list_with_counts(tenant=acme.tenant))
        _grow(acme, pipelines=20, stages=2, actions=2)
        many = _queries(lambda: pipeline_list_with_counts(tenant=acme.tenant))
        assert len(pipeline_list_with_counts(tenant=acme.tenant)) == 21
    assert few == many == 2


def test_stage_list_with_actions_is_constant_and_in_order(acme, built, django_assert_num_queries):
    pipeline, stages, actions = built
    (large,) = _grow(acme, pipelines=1, stages=30, actions=4)
    with scope(tenant=acme.tenant):
        action_archive(tenant=acme.tenant, actor=acme.admin, action=actions["Tax form"])
        small = stage_list_with_actions(tenant=acme.tenant, pipeline=pipeline)
        with django_assert_num_queries(2):
            rows = stage_list_with_actions(tenant=acme.tenant, pipeline=large)
            assert sum(len(s.live_actions) for s in rows) == 120
    assert [s.name for s in small] == [s.name for s in stages]
    assert [a.title for a in small[0].live_actions] == ["Legal details"]
    assert small[0].archived_action_count == 1


def test_lookups_stay_within_the_tenant_and_the_pipeline(acme, globex, built):
    pipeline, stages, actions = built
    other, other_stages, other_actions = build_pipeline(globex, stages_spec=DEFAULT_SPEC)
    with scope(tenant=acme.tenant):
        assert pipeline_get(tenant=acme.tenant, pipeline_id=pipeline.pk) == pipeline
        assert pipeline_get(tenant=acme.tenant, pipeline_id=other.pk) is None
        counted = pipeline_get(tenant=acme.tenant, pipeline_id=pipeline.pk, counts=True)
        assert counted.stage_count == 4
        stage = stages[0]
        assert stage_get_live(tenant=acme.tenant, pipeline=pipeline, stage_id=stage.pk) == stage
        assert (
            stage_get_live(tenant=acme.tenant, pipeline=pipeline, stage_id=other_stages[0].pk)
            is None
        )
        legal = actions["Legal details"]
        found = action_get_live(tenant=acme.tenant, pipeline=pipeline, action_id=legal.pk)
        assert found == legal and found.stage == stage
        foreign = other_actions["Legal details"].pk
        assert action_get_live(tenant=acme.tenant, pipeline=pipeline, action_id=foreign) is None
        stage_archive(tenant=acme.tenant, actor=acme.admin, stage=stage)
        assert stage_get_live(tenant=acme.tenant, pipeline=pipeline, stage_id=stage.pk) is None
        assert action_get_live(tenant=acme.tenant, pipeline=pipeline, action_id=legal.pk) is None
        assert [s.name for s in stage_list_names(tenant=acme.tenant, pipeline=pipeline)] == [
            "Contract",
            "Kick-off call",
            "Enablement",
        ]


def test_partner_types_with_and_without_a_pipeline(acme, built):
    pipeline, _, _ = built
    with scope(tenant=acme.tenant):
        other = PipelineFactory(tenant=acme.tenant, actor=acme.admin, name="Other")
        rows = partner_type_rows_for_pipeline(tenant=acme.tenant, pipeline=pipeline)
        by_name = {row["type"].name: row for row in rows}
        assert by_name["Reseller / VAR"]["checked"] is True
        assert by_name["Reseller / VAR"]["elsewhere"] is None
        rows = partner_type_rows_for_pipeline(tenant=acme.tenant, pipeline=other)
        by_name = {row["type"].name: row for row in rows}
        assert by_name["Reseller / VAR"]["checked"] is False
        assert by_name["Reseller / VAR"]["elsewhere"] == pipeline
        without = {t.name for t in partner_type_list_without_pipeline(tenant=acme.tenant)}
        assert "Reseller / VAR" not in without
        assert len(without) == PartnerType.objects.count() - 1


def test_partner_type_rows_take_two_queries(acme, built, django_assert_num_queries):
    pipeline, _, _ = built
    _grow(acme, pipelines=5, stages=0, actions=0)
    with scope(tenant=acme.tenant), django_assert_num_queries(2):
        rows = partner_type_rows_for_pipeline(tenant=acme.tenant, pipeline=pipeline)
        assert [row["elsewhere"] for row in rows].count(None) == len(rows)


def test_enroll_candidates_are_active_unenrolled_accounts_by_name(
    acme, globex, built, django_assert_num_queries
):
    EnrollmentFactory(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        for i in range(30):
            partner_account_create(
                tenant=acme.tenant,
                actor=acme.admin,
                name=f"Zeta {i:02}",
                partner_type=reseller,
                domains=[f"zeta{i}.acme.test"],
            )
        not_enrolled = set(partner_account_list_not_enrolled(tenant=acme.tenant))
        assert acme.partner not in not_enrolled and acme.other_partner in not_enrolled
        with django_assert_num_queries(1):
            rows = partner_account_list_enroll_candidates(tenant=acme.tenant, q="", limit=10)
            assert [r.partner_type.name for r in rows] == ["Reseller / VAR"] * 11
        assert rows[0] == acme.other_partner  # "Acme Partner Two" sorts before "Zeta"
        found = partner_account_list_enroll_candidates(tenant=acme.tenant, q="zeta 2", limit=50)
        assert [r.name for r in found] == [f"Zeta {i}" for i in range(20, 30)]
        assert globex.partner not in partner_account_list_enroll_candidates(
            tenant=acme.tenant, q="", limit=100
        )


def test_who_an_action_reaches_and_its_statuses(acme, built):
    pipeline, stages, actions = built
    EnrollmentFactory(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    EnrollmentFactory(tenant=acme.tenant, actor=acme.cam, account=acme.other_partner)
    with scope(tenant=acme.tenant):
        assert stage_reach_count(tenant=acme.tenant, stage=stages[1]) == 2
        counts = action_status_counts(tenant=acme.tenant, action=actions["Legal details"])
    assert counts == {"pending": 2}
