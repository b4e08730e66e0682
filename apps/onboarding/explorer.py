"""The Partner Explorer's onboarding filters and column (registered in OnboardingConfig.ready
through apps/partners/explorer_registry.py): the partner's current stage, "stalled" (in the
current stage longer than N days) and a Current stage column.

Only a partner's current enrollment counts (in progress or completed): one it left for
another pipeline (superseded) is history, never a stage the partner is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.onboarding.models import Enrollment, EnrollmentStatus, Stage, StageProgress, StageStatus
from apps.partners.explorer_registry import (
    Choices,
    ExplorerCell,
    explorer_column_register,
    explorer_filter_register,
)

if TYPE_CHECKING:
    from apps.partners.models import PartnerAccount
    from apps.tenancy.models import Tenant

# The stage filter's values besides a stage id.
COMPLETED = "completed"
NOT_ENROLLED = "none"
# The stalled filter's choices of N (days).
STALLED_DAYS = (7, 14, 30, 60)


def _current_enrollments(tenant: Tenant) -> QuerySet[Enrollment]:
    """The outer account's current enrollment (none superseded), for an Exists()."""
    return Enrollment.objects.filter(tenant=tenant, partner_account=OuterRef("pk")).exclude(
        status=EnrollmentStatus.SUPERSEDED
    )


def stage_choices(tenant: Tenant) -> Choices:
    """Every stage of the program, grouped by pipeline (archived ones marked: partners may
    still be at them), then "completed" and "not enrolled". One query."""
    stages = (
        Stage.objects.filter(tenant=tenant)
        .select_related("pipeline")
        .order_by(Lower("pipeline__name"), "pipeline_id", "position", "id")
    )
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for stage in stages:
        pipeline = stage.pipeline
        if pipeline.pk not in groups:
            name = pipeline.name
            if pipeline.archived_at is not None:
                name = _("%(name)s (archived)") % {"name": name}
            groups[pipeline.pk] = (name, [])
        label = stage.name
        if stage.archived_at is not None:
            label = _("%(name)s (removed)") % {"name": label}
        groups[pipeline.pk][1].append((str(stage.pk), label))
    return [
        ("", _("Any stage")),
        *groups.values(),
        (
            _("Onboarding"),
            [(COMPLETED, _("Onboarding completed")), (NOT_ENROLLED, _("Not enrolled"))],
        ),
    ]


def stage_apply(
    queryset: QuerySet[PartnerAccount], value: str, *, tenant: Tenant
) -> QuerySet[PartnerAccount]:
    """Partners whose current enrollment is at stage `value` (an id), has completed, or who
    have no current enrollment ("none")."""
    current = _current_enrollments(tenant)
    if value == COMPLETED:
        return queryset.filter(Exists(current.filter(status=EnrollmentStatus.COMPLETED)))
    if value == NOT_ENROLLED:
        return queryset.filter(~Exists(current))
    if value.isdigit():
        return queryset.filter(
            Exists(current.filter(status=EnrollmentStatus.IN_PROGRESS, current_stage_id=int(value)))
        )
    return queryset


def stalled_choices(tenant: Tenant) -> Choices:
    return [
        ("", _("Any time in stage")),
        *(
            (
                str(days),
                ngettext("In stage over %(days)d day", "In stage over %(days)d days", days)
                % {"days": days},
            )
            for days in STALLED_DAYS
        ),
    ]


def stalled_apply(
    queryset: QuerySet[PartnerAccount], value: str, *, tenant: Tenant
) -> QuerySet[PartnerAccount]:
    """Partners in their current stage for longer than `value` days: entered strictly before
    now minus N days (exactly N days is not yet stalled). Onboarding in progress only."""
    if not value.isdigit():
        return queryset
    since = timezone.now() - timedelta(days=int(value))
    stuck = StageProgress.objects.filter(
        tenant=tenant,
        enrollment__partner_account=OuterRef("pk"),
        enrollment__status=EnrollmentStatus.IN_PROGRESS,
        status=StageStatus.CURRENT,
        entered_at__lt=since,
    )
    return queryset.filter(Exists(stuck))


def current_stage_cells(*, tenant: Tenant, account_ids: Sequence[int]) -> dict[int, ExplorerCell]:
    """account id -> its current stage (and pipeline, days in the stage). One query."""
    entered = StageProgress.objects.filter(
        tenant=tenant, enrollment=OuterRef("pk"), stage=OuterRef("current_stage_id")
    ).values("entered_at")[:1]
    rows = (
        Enrollment.objects.filter(tenant=tenant, partner_account_id__in=list(account_ids))
        .exclude(status=EnrollmentStatus.SUPERSEDED)
        .annotate(entered_at=Subquery(entered))
        .values_list(
            "partner_account_id", "status", "current_stage__name", "pipeline__name", "entered_at"
        )
    )
    now = timezone.now()
    cells: dict[int, ExplorerCell] = {}
    for account_id, status, stage_name, pipeline_name, entered_at in rows:
        cells[account_id] = _cell(status, stage_name, pipeline_name, entered_at, now)
    return cells


def _cell(status: str, stage: str | None, pipeline: str, entered_at: Any, now: Any) -> ExplorerCell:
    if status == EnrollmentStatus.COMPLETED or not stage:
        return ExplorerCell(_("Onboarding completed"), pipeline)
    if entered_at is None:
        return ExplorerCell(stage, pipeline)
    days = max((now - entered_at).days, 0)
    since = ngettext("%(days)d day in stage", "%(days)d days in stage", days) % {"days": days}
    return ExplorerCell(stage, f"{pipeline} · {since}")


def explorer_register() -> None:
    """Called from OnboardingConfig.ready."""
    explorer_filter_register("stage", gettext_lazy("Stage"), stage_choices, stage_apply)
    explorer_filter_register("stalled", gettext_lazy("Stalled"), stalled_choices, stalled_apply)
    explorer_column_register("current_stage", gettext_lazy("Current stage"), current_stage_cells)
