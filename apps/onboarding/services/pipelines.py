"""Editing pipelines, live: never loses a partner's progress, never silently blocks one.

- A new action is Pending for partners not yet past its stage; others never see it.
- A new stage is to do for partners not yet past its position; others skip it.
- A removed action or stage is archived: its history stays, and a stage it leaves finished
  lets its partners move on (their automatic move is queued after the commit).
- Reordering changes what comes next for partners who have not reached those stages.

The checks an action passes before it is saved are in `pipeline_guards.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.content.models import Asset
from apps.onboarding import verbs
from apps.onboarding.models import (
    APPROVABLE_TYPES,
    Action,
    ActionProgress,
    ActionType,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services.pipeline_guards import (
    PipelineError,
    _check_action,
    _check_asset_audience,
)
from apps.onboarding.services.stages import ADVANCE_KIND
from apps.outbox.services import outbox_enqueue_many
from apps.partners.models import PartnerType

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def _name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise PipelineError(f"Give the {what} a name.")
    return value[:200]


def _advance_partners_at(*, tenant: Tenant, stage_id: int) -> None:
    """Queue, after the commit, the automatic move of the partners whose current stage is
    `stage_id` (the only ones an archived action or stage can let move on): one outbox
    INSERT for all of them, delivered by one nudged sweep."""
    ids = list(
        Enrollment.objects.filter(
            tenant=tenant, current_stage_id=stage_id, status=EnrollmentStatus.IN_PROGRESS
        ).values_list("pk", flat=True)
    )
    outbox_enqueue_many(
        tenant=tenant,
        kind=ADVANCE_KIND,
        payloads=[{"enrollment_id": pk} for pk in ids],
        summaries=[f"enrollment #{pk}" for pk in ids],
    )


@transaction.atomic
def pipeline_create(
    *, tenant: Tenant, actor: User | None, name: str, description: str = ""
) -> Pipeline:
    name = _name(name, "pipeline")
    if Pipeline.objects.filter(tenant=tenant, name=name, archived_at__isnull=True).exists():
        raise PipelineError(f"A pipeline called “{name}” already exists.")
    pipeline = Pipeline.objects.create(tenant=tenant, name=name, description=description)
    audit_record(tenant=tenant, actor=actor, verb=verbs.PIPELINE_CREATED, target=pipeline)
    return pipeline


@transaction.atomic
def pipeline_update(
    *, tenant: Tenant, actor: User | None, pipeline: Pipeline, name: str, description: str
) -> Pipeline:
    name = _name(name, "pipeline")
    clash = Pipeline.objects.filter(tenant=tenant, name=name, archived_at__isnull=True).exclude(
        pk=pipeline.pk
    )
    if clash.exists():
        raise PipelineError(f"A pipeline called “{name}” already exists.")
    pipeline.name, pipeline.description = name, description
    pipeline.save(update_fields=["name", "description"])
    audit_record(tenant=tenant, actor=actor, verb=verbs.PIPELINE_UPDATED, target=pipeline)
    return pipeline


@transaction.atomic
def pipeline_assign_types(
    *, tenant: Tenant, actor: User | None, pipeline: Pipeline, partner_types: list[PartnerType]
) -> None:
    """Make `pipeline` the default of exactly these partner types (taking them from others).

    Refused for an archived pipeline, and when a type could not see an asset that one of the
    pipeline's View asset actions opens (its partners would be blocked there)."""
    if any(t.tenant_id != tenant.pk for t in partner_types):
        raise PipelineError("Unknown partner type.")
    pipeline = _lock_pipeline(tenant=tenant, pipeline_id=pipeline.pk)
    if pipeline.archived_at is not None:
        raise PipelineError(
            _("“%(name)s” is archived: restore it first.") % {"name": pipeline.name}
        )
    wanted = {t.pk for t in partner_types}
    assets = Asset.objects.filter(
        tenant=tenant,
        pk__in=Action.objects.filter(
            tenant=tenant,
            stage__pipeline=pipeline,
            type=ActionType.VIEW_ASSET,
            archived_at__isnull=True,
            stage__archived_at__isnull=True,
        ).values("asset_id"),
    ).order_by("pk")
    for asset in assets:
        _check_asset_audience(tenant=tenant, asset=asset, partner_types=list(partner_types))
    PipelineAssignment.objects.filter(tenant=tenant, pipeline=pipeline).exclude(
        partner_type_id__in=wanted
    ).delete()
    for type_id in wanted:
        PipelineAssignment.objects.update_or_create(
            tenant=tenant, partner_type_id=type_id, defaults={"pipeline": pipeline}
        )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PIPELINE_TYPES_ASSIGNED,
        target=pipeline,
        data={"types": sorted(t.name for t in partner_types)},
    )


def _lock_pipeline(*, tenant: Tenant, pipeline_id: int) -> Pipeline:
    pipeline = (
        Pipeline.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=pipeline_id)
        .first()
    )
    if pipeline is None:
        raise PipelineError(_("Unknown pipeline."))
    return pipeline


@transaction.atomic
def pipeline_archive(*, tenant: Tenant, actor: User | None, pipeline_id: int) -> Pipeline:
    """Archive a pipeline: it takes no new partners; partners already in it carry on.

    Refused while it is the default pipeline of a partner type (new partners of that type
    would silently get no onboarding): the admin gives those types another pipeline first.
    """
    pipeline = _lock_pipeline(tenant=tenant, pipeline_id=pipeline_id)
    if pipeline.archived_at is not None:
        raise PipelineError(_("“%(name)s” is already archived.") % {"name": pipeline.name})
    types = list(
        PipelineAssignment.objects.filter(tenant=tenant, pipeline=pipeline)
        .order_by("partner_type__position", "partner_type__name")
        .values_list("partner_type__name", flat=True)
    )
    if types:
        raise PipelineError(
            _(
                "“%(name)s” is the default pipeline of %(types)s: new partners of these types "
                "start it. Give these types another pipeline first, then archive it."
            )
            % {"name": pipeline.name, "types": ", ".join(types)}
        )
    pipeline.archived_at = timezone.now()
    pipeline.save(update_fields=["archived_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PIPELINE_ARCHIVED,
        target=pipeline,
        data={"from": "live", "to": "archived"},
    )
    return pipeline


@transaction.atomic
def pipeline_restore(*, tenant: Tenant, actor: User | None, pipeline_id: int) -> Pipeline:
    """Bring an archived pipeline back: partners can be enrolled in it again. Refused when
    a live pipeline has taken its name meanwhile (names are unique among live pipelines)."""
    pipeline = _lock_pipeline(tenant=tenant, pipeline_id=pipeline_id)
    if pipeline.archived_at is None:
        raise PipelineError(_("“%(name)s” is not archived.") % {"name": pipeline.name})
    clash = _("A live pipeline is already called “%(name)s”: rename it, then restore this one.") % {
        "name": pipeline.name
    }
    pipeline.archived_at = None
    try:
        with transaction.atomic():  # a savepoint: the unique index has the last word
            pipeline.save(update_fields=["archived_at"])
    except IntegrityError as exc:
        raise PipelineError(clash) from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PIPELINE_RESTORED,
        target=pipeline,
        data={"from": "archived", "to": "live"},
    )
    return pipeline


# --- Stages ------------------------------------------------------------------------------


@transaction.atomic
def stage_create(
    *, tenant: Tenant, actor: User | None, pipeline: Pipeline, name: str, description: str = ""
) -> Stage:
    position = Stage.objects.filter(tenant=tenant, pipeline=pipeline).aggregate(m=Max("position"))[
        "m"
    ]
    stage = Stage.objects.create(
        tenant=tenant,
        pipeline=pipeline,
        name=_name(name, "stage"),
        description=description,
        position=0 if position is None else position + 1,
    )
    # Partners still in the pipeline will do it (it comes after where they are); partners
    # who finished do not get it.
    enrollments = Enrollment.objects.filter(tenant=tenant, pipeline=pipeline)
    StageProgress.objects.bulk_create(
        StageProgress(
            tenant=tenant,
            enrollment_id=e_id,
            stage=stage,
            status=StageStatus.PENDING
            if status == EnrollmentStatus.IN_PROGRESS
            else StageStatus.NOT_APPLICABLE,
        )
        for e_id, status in enrollments.values_list("id", "status")
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.STAGE_CREATED,
        target=stage,
        data={"pipeline": pipeline.name},
    )
    return stage


@transaction.atomic
def stage_update(
    *, tenant: Tenant, actor: User | None, stage: Stage, name: str, description: str
) -> Stage:
    stage.name, stage.description = _name(name, "stage"), description
    stage.save(update_fields=["name", "description"])
    audit_record(tenant=tenant, actor=actor, verb=verbs.STAGE_UPDATED, target=stage)
    return stage


@transaction.atomic
def stage_archive(*, tenant: Tenant, actor: User | None, stage: Stage) -> Stage:
    stage.archived_at = timezone.now()
    stage.save(update_fields=["archived_at"])
    audit_record(tenant=tenant, actor=actor, verb=verbs.STAGE_ARCHIVED, target=stage)
    _advance_partners_at(tenant=tenant, stage_id=stage.pk)
    return stage


def _swap(
    model: type[Stage] | type[Action],
    *,
    tenant: Tenant,
    obj: Stage | Action,
    siblings: QuerySet[Stage] | QuerySet[Action],
    direction: str,
) -> None:
    ordered: list[Stage | Action] = list(siblings.order_by("position", "id"))
    index = next((i for i, o in enumerate(ordered) if o.pk == obj.pk), None)
    if index is None:  # archived: it has no place in the order any more
        return
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        if row.position != position:
            model.objects.filter(tenant=tenant, pk=row.pk).update(position=position)


@transaction.atomic
def stage_move(*, tenant: Tenant, actor: User | None, stage: Stage, direction: str) -> None:
    """Move a stage up or down. Partners who already passed it keep their history; what
    comes next changes only for partners who have not reached the affected stages."""
    # Lock the pipeline's stages so two editors reorder one after the other.
    siblings = Stage.objects.select_for_update().filter(
        tenant=tenant, pipeline_id=stage.pipeline_id, archived_at__isnull=True
    )
    list(siblings)
    _swap(Stage, tenant=tenant, obj=stage, siblings=siblings, direction=direction)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.STAGE_MOVED_IN_PIPELINE,
        target=stage,
        data={"direction": direction},
    )


# --- Actions -----------------------------------------------------------------------------


@transaction.atomic
def action_create(
    *, tenant: Tenant, actor: User | None, stage: Stage, type: str, title: str, **fields: Any
) -> Action:
    """Add an action to `stage`. `requires_approval` defaults to yes for the types that can
    need approval (Provide information, Upload document) and to no for the others; an
    explicit value is kept (and refused where the type cannot need approval)."""
    fields.setdefault("requires_approval", type in APPROVABLE_TYPES)
    fields = _check_action(tenant=tenant, type=type, pipeline_id=stage.pipeline_id, fields=fields)
    position = Action.objects.filter(tenant=tenant, stage=stage).aggregate(m=Max("position"))["m"]
    action = Action.objects.create(
        tenant=tenant,
        stage=stage,
        type=type,
        title=title.strip(),
        position=0 if position is None else position + 1,
        **fields,
    )
    # Pending for every partner not yet past this stage (it is their current or a later one).
    not_past = StageProgress.objects.filter(
        tenant=tenant,
        stage=stage,
        status__in=[StageStatus.PENDING, StageStatus.CURRENT],
        enrollment__status=EnrollmentStatus.IN_PROGRESS,
    ).values_list("enrollment_id", "enrollment__partner_account_id")
    ActionProgress.objects.bulk_create(
        ActionProgress(
            tenant=tenant, enrollment_id=e_id, action=action, partner_account_id=account_id
        )
        for e_id, account_id in not_past
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ACTION_CREATED,
        target=action,
        data={"stage": stage.name, "type": type},
    )
    return action


@transaction.atomic
def action_update(
    *, tenant: Tenant, actor: User | None, action: Action, title: str, **fields: Any
) -> Action:
    fields = _check_action(
        tenant=tenant,
        type=action.type,
        pipeline_id=action.stage.pipeline_id,
        fields=fields,
        current=action,
    )
    action.title = title.strip()
    for key, value in fields.items():
        setattr(action, key, value)
    action.save()
    audit_record(tenant=tenant, actor=actor, verb=verbs.ACTION_UPDATED, target=action)
    return action


@transaction.atomic
def action_archive(*, tenant: Tenant, actor: User | None, action: Action) -> Action:
    action.archived_at = timezone.now()
    action.save(update_fields=["archived_at"])
    audit_record(tenant=tenant, actor=actor, verb=verbs.ACTION_ARCHIVED, target=action)
    _advance_partners_at(tenant=tenant, stage_id=action.stage_id)
    return action


@transaction.atomic
def action_move(*, tenant: Tenant, actor: User | None, action: Action, direction: str) -> None:
    siblings = Action.objects.select_for_update().filter(
        tenant=tenant, stage_id=action.stage_id, archived_at__isnull=True
    )
    list(siblings)
    _swap(Action, tenant=tenant, obj=action, siblings=siblings, direction=direction)


__all__ = [
    "pipeline_create",
    "pipeline_update",
    "pipeline_assign_types",
    "pipeline_archive",
    "pipeline_restore",
    "stage_create",
    "stage_update",
    "stage_archive",
    "stage_move",
    "action_create",
    "action_update",
    "action_archive",
    "action_move",
]
