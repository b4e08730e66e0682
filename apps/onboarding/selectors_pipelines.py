"""Reads of the pipeline builder (/console/pipelines/): lists, counts and scoped look-ups.

Counts are correlated subqueries, never joins that fan out, so each page runs a constant
number of queries however many pipelines, stages and actions there are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from apps.onboarding.models import (
    CURRENT_ENROLLMENT_STATUSES,
    Action,
    ActionProgress,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.selectors import pipelines_for
from apps.partners.models import PartnerAccount, PartnerStatus, PartnerType
from apps.partners.selectors import partner_types_for

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from apps.tenancy.models import Tenant


class StageRowAnnotations(TypedDict):
    """What `stage_list_with_actions` adds to each stage."""

    archived_action_count: int
    partners_here: int
    live_actions: list[Action]


if TYPE_CHECKING:
    StageRow = WithAnnotations[Stage, StageRowAnnotations]


def _count_of(queryset: QuerySet[Any], field: str) -> Coalesce:
    """A correlated COUNT over `queryset` grouped by `field` = the outer row: no join fan-out."""
    return Coalesce(
        Subquery(
            queryset.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(n=Count("*"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _live_stages(*, tenant: Tenant) -> QuerySet[Stage]:
    return Stage.objects.filter(tenant=tenant, archived_at__isnull=True)


def _live_actions(*, tenant: Tenant) -> QuerySet[Action]:
    return Action.objects.filter(
        tenant=tenant, archived_at__isnull=True, stage__archived_at__isnull=True
    )


def _with_counts(queryset: QuerySet[Pipeline], *, tenant: Tenant) -> QuerySet[Pipeline]:
    enrollments = Enrollment.objects.filter(tenant=tenant)
    return queryset.annotate(
        stage_count=_count_of(_live_stages(tenant=tenant), "pipeline"),
        action_count=_count_of(_live_actions(tenant=tenant), "stage__pipeline"),
        in_progress_count=_count_of(
            enrollments.filter(status=EnrollmentStatus.IN_PROGRESS), "pipeline"
        ),
        completed_count=_count_of(
            enrollments.filter(status=EnrollmentStatus.COMPLETED), "pipeline"
        ),
        archived_stage_count=_count_of(
            Stage.objects.filter(tenant=tenant, archived_at__isnull=False), "pipeline"
        ),
    )


def _assignments(*, tenant: Tenant) -> QuerySet[PipelineAssignment]:
    return (
        PipelineAssignment.objects.filter(tenant=tenant)
        .select_related("partner_type")
        .order_by("partner_type__position", "partner_type__name")
    )


def pipeline_list_with_counts(*, tenant: Tenant) -> list[Pipeline]:
    """The list page: each live pipeline with its counts and partner types (two queries)."""
    return list(
        _with_counts(pipelines_for(tenant=tenant), tenant=tenant).prefetch_related(
            Prefetch("assignments", queryset=_assignments(tenant=tenant), to_attr="type_rows")
        )
    )


def pipeline_get(*, tenant: Tenant, pipeline_id: int, counts: bool = False) -> Pipeline | None:
    """A live pipeline, with the list page's counts when `counts`."""
    rows = pipelines_for(tenant=tenant).filter(pk=pipeline_id)
    if counts:
        rows = _with_counts(rows, tenant=tenant)
    return rows.first()


def pipeline_list_archived(*, tenant: Tenant) -> list[Pipeline]:
    """Archived pipelines, latest first, with the list page's counts (one query)."""
    rows = Pipeline.objects.filter(tenant=tenant, archived_at__isnull=False)
    return list(_with_counts(rows, tenant=tenant).order_by("-archived_at", "id"))


def pipeline_get_archived(*, tenant: Tenant, pipeline_id: int) -> Pipeline | None:
    return Pipeline.objects.filter(tenant=tenant, pk=pipeline_id, archived_at__isnull=False).first()


def partner_type_list_without_pipeline(*, tenant: Tenant) -> list[PartnerType]:
    """Partner types that no live pipeline starts (the list page's warning)."""
    assigned = PipelineAssignment.objects.filter(
        tenant=tenant, partner_type=OuterRef("pk"), pipeline__archived_at__isnull=True
    )
    return list(partner_types_for(tenant=tenant).filter(~Exists(assigned)))


def partner_type_rows_for_pipeline(*, tenant: Tenant, pipeline: Pipeline) -> list[dict[str, Any]]:
    """Every partner type, whether this pipeline starts it, and which other one does if any."""
    owners = {a.partner_type_id: a for a in _assignments(tenant=tenant).select_related("pipeline")}
    rows = []
    for partner_type in partner_types_for(tenant=tenant):
        owner = owners.get(partner_type.pk)
        rows.append(
            {
                "type": partner_type,
                "checked": owner is not None and owner.pipeline_id == pipeline.pk,
                "elsewhere": owner.pipeline
                if owner is not None and owner.pipeline_id != pipeline.pk
                else None,
            }
        )
    return rows


def stage_list_with_actions(*, tenant: Tenant, pipeline: Pipeline) -> list[StageRow]:
    """Live stages in order, each with `live_actions` (content joined) and its counts."""
    actions = (
        Action.objects.filter(tenant=tenant, archived_at__isnull=True)
        .select_related("asset", "article")
        .defer(
            "article__body_markdown",
            "article__body_html",
            "article__body_text",
            "article__search_vector",
        )
        .order_by("position", "id")
    )
    return list(
        _live_stages(tenant=tenant)
        .filter(pipeline=pipeline)
        .annotate(
            archived_action_count=_count_of(
                Action.objects.filter(tenant=tenant, archived_at__isnull=False), "stage"
            ),
            partners_here=_count_of(
                Enrollment.objects.filter(tenant=tenant, status=EnrollmentStatus.IN_PROGRESS),
                "current_stage",
            ),
        )
        .prefetch_related(Prefetch("actions", queryset=actions, to_attr="live_actions"))
        .order_by("position", "id")
    )


def stage_list_names(*, tenant: Tenant, pipeline: Pipeline) -> list[Stage]:
    """The pipeline's live stages in order, names only (the action page's stage menu)."""
    return list(
        _live_stages(tenant=tenant)
        .filter(pipeline=pipeline)
        .order_by("position", "id")
        .only("name")
    )


def stage_get_live(*, tenant: Tenant, pipeline: Pipeline, stage_id: int) -> Stage | None:
    """A live stage of this pipeline (never one of another pipeline)."""
    return _live_stages(tenant=tenant).filter(pipeline=pipeline, pk=stage_id).first()


def stage_reach_count(*, tenant: Tenant, stage: Stage) -> int:
    """Enrolled partners an action added to `stage` now would reach."""
    return StageProgress.objects.filter(
        tenant=tenant,
        stage=stage,
        status__in=[StageStatus.PENDING, StageStatus.CURRENT],
        enrollment__status=EnrollmentStatus.IN_PROGRESS,
    ).count()


def action_get_live(*, tenant: Tenant, pipeline: Pipeline, action_id: int) -> Action | None:
    """A live action in a live stage of this pipeline, with its stage."""
    return (
        _live_actions(tenant=tenant)
        .filter(stage__pipeline=pipeline, pk=action_id)
        .select_related("stage")
        .first()
    )


def action_status_counts(*, tenant: Tenant, action: Action) -> dict[str, int]:
    """How many partners' progress of `action` is in each status (absent statuses omitted)."""
    return dict(
        ActionProgress.objects.filter(tenant=tenant, action=action)
        .exclude(enrollment__status=EnrollmentStatus.SUPERSEDED)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )


def partner_account_list_not_enrolled(*, tenant: Tenant) -> QuerySet[PartnerAccount]:
    """Active partner accounts with no enrollment (an account has one enrollment)."""
    enrolled = Enrollment.objects.filter(
        tenant=tenant, partner_account=OuterRef("pk"), status__in=CURRENT_ENROLLMENT_STATUSES
    )
    return PartnerAccount.objects.filter(tenant=tenant, status=PartnerStatus.ACTIVE).filter(
        ~Exists(enrolled)
    )


def partner_account_list_enroll_candidates(
    *, tenant: Tenant, q: str, limit: int
) -> list[PartnerAccount]:
    """Up to `limit` + 1 accounts not enrolled yet, by name, narrowed by `q` (the extra row
    tells the page there are more)."""
    rows = partner_account_list_not_enrolled(tenant=tenant)
    if q:
        rows = rows.filter(name__icontains=q)
    return list(rows.select_related("partner_type").order_by(Lower("name"), "id")[: limit + 1])


def pipeline_for_partner_type(*, tenant: Tenant, partner_type_id: int) -> Pipeline | None:
    """The live pipeline that starts partners of this type (None when there is none)."""
    assignment = (
        PipelineAssignment.objects.filter(
            tenant=tenant, partner_type_id=partner_type_id, pipeline__archived_at__isnull=True
        )
        .select_related("pipeline")
        .first()
    )
    return assignment.pipeline if assignment is not None else None
