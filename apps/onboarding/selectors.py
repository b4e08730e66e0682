"""Reads of onboarding: a partner's enrollment, progress and files.

The pipeline builder's reads are in `selectors_pipelines.py`; the live Onboarding tab's and
portal journey's progress reads are in `selectors_progress.py`. Every selector takes `tenant=`
and filters on it explicitly (the scoped managers fail closed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django_scopes import scopes_disabled

from apps.audit.models import AuditEvent
from apps.onboarding.models import (
    CURRENT_ENROLLMENT_STATUSES,
    DONE_STATUSES,
    Action,
    ActionFile,
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    Stage,
    StageProgress,
)
from apps.partners.selectors import partner_accounts_responsible_to

if TYPE_CHECKING:
    from datetime import datetime

    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def enrollment_for_partner(*, tenant: Tenant, partner_account_id: int) -> Enrollment | None:
    """The partner's current enrollment (in progress or completed; at most one)."""
    return (
        Enrollment.objects.filter(
            tenant=tenant,
            partner_account_id=partner_account_id,
            status__in=CURRENT_ENROLLMENT_STATUSES,
        )
        .select_related("pipeline", "current_stage")
        .order_by("-started_at", "-id")
        .first()
    )


def enrollment_history_for_partner(*, tenant: Tenant, partner_account_id: int) -> list[Enrollment]:
    """The pipelines the partner was moved out of, latest first, each with `actions_done`
    and `actions_total` (read-only history; one query)."""
    return list(
        Enrollment.objects.filter(
            tenant=tenant,
            partner_account_id=partner_account_id,
            status=EnrollmentStatus.SUPERSEDED,
        )
        .select_related("pipeline", "current_stage")
        .annotate(
            actions_total=Count("actions", distinct=True),
            actions_done=Count(
                "actions", filter=Q(actions__status__in=DONE_STATUSES), distinct=True
            ),
        )
        .order_by("-superseded_at", "-id")
    )


def enrollment_past_get(
    *, tenant: Tenant, partner_account_id: int, enrollment_id: int
) -> Enrollment | None:
    """One enrollment the partner was moved out of (the Onboarding tab's history view)."""
    return (
        Enrollment.objects.filter(
            tenant=tenant,
            partner_account_id=partner_account_id,
            pk=enrollment_id,
            status=EnrollmentStatus.SUPERSEDED,
        )
        .select_related("pipeline", "current_stage")
        .first()
    )


def enrollment_stages(*, tenant: Tenant, enrollment: Enrollment) -> list[Stage]:
    """The pipeline's stages with this partner's progress, in order (left menu)."""
    progress = {
        p.stage_id: p for p in StageProgress.objects.filter(tenant=tenant, enrollment=enrollment)
    }
    stages: list[Stage] = list(
        Stage.objects.filter(tenant=tenant, pipeline_id=enrollment.pipeline_id)
        .filter(Q(archived_at__isnull=True) | Q(pk__in=list(progress)))
        .annotate(action_count=Count("actions", filter=Q(actions__archived_at__isnull=True)))
        .order_by("position", "id")
    )
    for stage in stages:
        stage.progress = progress.get(stage.pk)
    return stages


def stage_action_rows(
    *, tenant: Tenant, enrollment: Enrollment, stage_id: int
) -> list[ActionProgress]:
    """One stage's actions for one partner, with files and history, in constant queries."""
    rows = list(
        ActionProgress.objects.filter(
            tenant=tenant, enrollment=enrollment, action__stage_id=stage_id
        )
        .filter(Q(action__archived_at__isnull=True) | ~Q(status=ActionStatus.PENDING))
        .select_related("action", "submitted_by")
        .defer("action__instructions", "action__upload_types")  # not on the card
        .prefetch_related(
            Prefetch(
                "files",
                # Only what the card shows (issue 15: fewer columns to turn into objects).
                queryset=ActionFile.objects.filter(tenant=tenant)
                .only("id", "tenant_id", "progress_id", "submission_round", "original_name", "size")
                .order_by("-submission_round", "id"),
            )
        )
        .order_by("action__position", "action__id")
    )
    history: dict[str, list[AuditEvent]] = {}
    if rows:
        for event in (
            AuditEvent.objects.filter(
                tenant=tenant,
                target_type="onboarding.actionprogress",
                target_id__in=[str(r.pk) for r in rows],
            )
            .only("id", "target_id", "created_at", "actor_label", "data")
            .order_by("-created_at", "-id")
        ):
            history.setdefault(event.target_id, []).append(event)
    for row in rows:
        row.history = history.get(str(row.pk), [])
        row.current_files = [
            f for f in row.files.all() if f.submission_round == row.submission_round
        ]
    return rows


def enrollment_counts(*, tenant: Tenant, enrollment: Enrollment) -> dict[str, int]:
    """Done / total applicable actions (the portal's progress bar)."""
    counts = ActionProgress.objects.filter(
        tenant=tenant, enrollment=enrollment, action__archived_at__isnull=True
    ).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status__in=DONE_STATUSES)),
    )
    total, done = counts["total"], counts["done"]
    counts["percent"] = (
        round(100 * done / total)
        if total
        else (100 if enrollment.status == EnrollmentStatus.COMPLETED else 0)
    )
    return counts


def partner_todo(*, tenant: Tenant, enrollment: Enrollment) -> list[ActionProgress]:
    """What the partner can do now: the current stage's open actions and any to redo."""
    current = Q(
        action__stage_id=enrollment.current_stage_id,
        status__in=[
            ActionStatus.PENDING,
            ActionStatus.ACTION_REQUIRED,
            ActionStatus.WAITING_FOR_APPROVAL,
        ],
    )
    return list(
        ActionProgress.objects.filter(tenant=tenant, enrollment=enrollment)
        .filter(action__archived_at__isnull=True)
        .filter(current | Q(status=ActionStatus.ACTION_REQUIRED))
        .select_related("action", "action__stage")
        # The to-do list shows titles, types and statuses: no instructions or form definitions.
        .defer("action__instructions", "action__form_fields", "action__upload_types")
        .order_by("action__stage__position", "action__position", "action__id")
    )


def progress_for_partner_user(
    *, tenant: Tenant, partner_account_id: int, progress_id: int
) -> ActionProgress | None:
    return (
        ActionProgress.objects.filter(
            tenant=tenant, partner_account_id=partner_account_id, pk=progress_id
        )
        # A pipeline the partner left is history: its actions have no page of their own.
        .exclude(enrollment__status=EnrollmentStatus.SUPERSEDED)
        .select_related("action", "action__stage", "enrollment", "enrollment__pipeline")
        .first()
    )


def enrollments_due_for_advance_all_tenants(
    *, after_id: int = 0, limit: int = 500
) -> list[tuple[int, int]]:
    """(tenant_id, enrollment_id) of enrollments whose current stage is finished or removed,
    in id order from `after_id` on (the reconciliation's cursor).

    One set-based query for the periodic reconciliation: it repairs whatever a lost
    auto-advance task left undone.
    """
    from django_scopes import scopes_disabled

    with scopes_disabled():
        # Actions the partner had in the stage, archived ones included (see services/stages.py).
        applicable = ActionProgress.objects.filter(
            tenant_id=OuterRef("tenant_id"),
            enrollment_id=OuterRef("pk"),
            action__stage_id=OuterRef("current_stage_id"),
        )
        open_progress = ActionProgress.objects.filter(
            tenant_id=OuterRef("tenant_id"),
            enrollment_id=OuterRef("pk"),
            action__stage_id=OuterRef("current_stage_id"),
            action__archived_at__isnull=True,
        ).exclude(status__in=DONE_STATUSES)
        return list(
            Enrollment.objects.filter(
                status=EnrollmentStatus.IN_PROGRESS, current_stage__isnull=False, pk__gt=after_id
            )
            .filter(
                Q(current_stage__archived_at__isnull=False)
                | (Exists(applicable) & ~Exists(open_progress))
            )
            .order_by("pk")
            .values_list("tenant_id", "pk")[:limit]
        )


def content_opened_progress_all_tenants(
    *, after_id: int = 0, limit: int = 500
) -> list[tuple[int, int, int]]:
    """(tenant_id, progress_id, user_id) of View asset / Read article actions the partner can
    do now whose asset or article a partner user opened from the library since the action
    became theirs, in id order from `after_id` on. One set-based query; the reconciliation
    pass completes them."""
    from django.db.models import F, OuterRef, Subquery
    from django_scopes import scopes_disabled

    from apps.content.models import ContentOpen

    with scopes_disabled():
        opens = ContentOpen.objects.filter(
            tenant_id=OuterRef("tenant_id"),
            partner_account_id=OuterRef("partner_account_id"),
            created_at__gte=OuterRef("updated_at"),
        )
        asset_open = opens.filter(asset_id=OuterRef("action__asset_id"))
        article_open = opens.filter(article_id=OuterRef("action__article_id"))
        available = Q(status=ActionStatus.ACTION_REQUIRED) & ~Q(
            enrollment__status=EnrollmentStatus.SUPERSEDED
        ) | Q(
            status=ActionStatus.PENDING,
            enrollment__status=EnrollmentStatus.IN_PROGRESS,
            action__stage_id=F("enrollment__current_stage_id"),
        )
        rows = (
            ActionProgress.objects.filter(
                available, action__archived_at__isnull=True, pk__gt=after_id
            )
            .filter(
                Q(action__type="view_asset", action__asset_id__isnull=False) & Exists(asset_open)
                | Q(action__type="read_article", action__article_id__isnull=False)
                & Exists(article_open)
            )
            .annotate(
                opener=Subquery(
                    ContentOpen.objects.filter(
                        tenant_id=OuterRef("tenant_id"),
                        partner_account_id=OuterRef("partner_account_id"),
                        created_at__gte=OuterRef("updated_at"),
                    )
                    .filter(
                        Q(asset_id=OuterRef("action__asset_id"))
                        | Q(article_id=OuterRef("action__article_id"))
                    )
                    .order_by("created_at")
                    .values("user_id")[:1]
                )
            )
            .order_by("pk")
            .values_list("tenant_id", "pk", "opener")[:limit]
        )
        return list(rows)


def waiting_for_cam_since(
    *, tenant: Tenant, cam: User, since: datetime | None
) -> list[ActionProgress]:
    # The partners whose approvals go to `cam`: theirs, or unassigned ones for an admin.
    rows = ActionProgress.objects.filter(
        tenant=tenant,
        status=ActionStatus.WAITING_FOR_APPROVAL,
        partner_account__in=partner_accounts_responsible_to(tenant=tenant, user=cam),
    ).exclude(enrollment__status=EnrollmentStatus.SUPERSEDED)
    if since is not None:
        rows = rows.filter(submitted_at__gt=since)
    return list(
        rows.select_related("action", "partner_account").order_by("submitted_at", "id")[:200]
    )


def pipelines_for(*, tenant: Tenant) -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(tenant=tenant, archived_at__isnull=True).order_by("name")


def partner_journey_rows(
    *, tenant: Tenant, enrollment: Enrollment
) -> dict[int, list[ActionProgress]]:
    """Every applicable action of the enrollment, grouped by stage id (portal journey)."""
    grouped: dict[int, list[ActionProgress]] = {}
    for row in (
        ActionProgress.objects.filter(tenant=tenant, enrollment=enrollment)
        .filter(action__archived_at__isnull=True)
        .select_related("action")
        # The journey shows titles and statuses: no instructions or form definitions.
        .defer("action__instructions", "action__form_fields", "action__upload_types")
        .order_by("action__position", "action__id")
    ):
        grouped.setdefault(row.action.stage_id, []).append(row)
    return grouped


# --- Action files ----------------------------------------------------------------------------


def action_file_get(*, tenant: Tenant, partner_account_id: int, file_id: int) -> ActionFile | None:
    """One file a partner uploaded, looked up within that partner’s progress; None otherwise."""
    return ActionFile.objects.filter(
        tenant=tenant, pk=file_id, progress__partner_account_id=partner_account_id
    ).first()


def action_file_list(*, tenant: Tenant, progress: ActionProgress) -> list[ActionFile]:
    """The files of the progress's current submission round (none before the first one)."""
    if not progress.submission_round:
        return []
    return list(
        ActionFile.objects.filter(
            tenant=tenant, progress=progress, submission_round=progress.submission_round
        )
    )


# --- Set-based reads for higher layers (the milestones sweep) --------------------------------


def enrollment_last_id_all_tenants() -> int:
    """The highest enrollment id in any program (0 when there is none): a cursor position."""
    with scopes_disabled():
        return Enrollment.objects.aggregate(last=Max("id"))["last"] or 0


class EnrollmentRow(TypedDict):
    """One row of `enrollment_rows_all_tenants`."""

    id: int
    tenant_id: int
    started_at: datetime
    account_id: int
    partner_type_id: int


def enrollment_rows_all_tenants(
    *, after_id: int, up_to_id: int
) -> QuerySet[Enrollment, EnrollmentRow]:
    """Enrollments with an id in (after_id, up_to_id], every program, as rows (id,
    tenant_id, account_id, partner_type_id, started_at), unordered, for a higher layer's
    set-based statement to read as a subquery (milestones starts tracking from them)."""
    with scopes_disabled():
        rows = Enrollment.objects.order_by()
    return rows.filter(id__gt=after_id, id__lte=up_to_id).values(
        "id",
        "tenant_id",
        "started_at",
        account_id=F("partner_account_id"),
        partner_type_id=F("partner_account__partner_type_id"),
    )


class ActionRow(TypedDict):
    id: int
    stage_id: int
    tenant_id: int


def action_rows_all_tenants() -> QuerySet[Action, ActionRow]:
    """Every live (not archived) action as rows (id, stage_id, tenant_id), unordered, for a
    higher layer's set-based statement to join by stage (milestones counts a stage's actions
    as a track's orientation items)."""
    with scopes_disabled():
        rows = Action.objects.order_by()
    return rows.filter(archived_at__isnull=True).values("id", "stage_id", "tenant_id")


def live_action_ids_by_stage(*, tenant: Tenant, stage_ids: list[int]) -> dict[int, list[int]]:
    """The live (not archived) action ids of each stage, in pipeline order, in one query
    (milestones counts a stage's actions as a track's orientation items)."""
    found: dict[int, list[int]] = {stage_id: [] for stage_id in stage_ids}
    if not stage_ids:
        return found
    rows = (
        Action.objects.filter(tenant=tenant, stage_id__in=stage_ids, archived_at__isnull=True)
        .order_by("stage_id", "position", "id")
        .values_list("stage_id", "id")
    )
    for stage_id, action_id in rows:
        found[stage_id].append(action_id)
    return found
