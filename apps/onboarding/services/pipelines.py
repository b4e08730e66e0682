"""Editing pipelines, live: never loses a partner's progress, never silently blocks one.

- A new action is Pending for partners not yet past its stage; others never see it.
- A new stage is to do for partners not yet past its position; others skip it.
- A removed action or stage is archived: its history stays, and a stage it leaves finished
  lets its partners move on (their automatic move is queued after the commit).
- Reordering changes what comes next for partners who have not reached those stages.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.questions import question_key
from apps.onboarding import verbs
from apps.onboarding.models import (
    APPROVABLE_TYPES,
    Action,
    ActionProgress,
    ActionType,
    Enrollment,
    EnrollmentStatus,
    FieldKind,
    Pipeline,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services.stages import enrollment_advance_after_commit
from apps.partners.models import PartnerType

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


class PipelineError(Exception):
    """A pipeline edit broke a rule; the message is shown to the user."""


def _name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise PipelineError(f"Give the {what} a name.")
    return value[:200]


def _advance_partners_at(*, tenant: Tenant, stage_id: int) -> None:
    """Queue, after the commit, the automatic move of the partners whose current stage is
    `stage_id` (the only ones an archived action or stage can let move on)."""
    for enrollment_id in Enrollment.objects.filter(
        tenant=tenant, current_stage_id=stage_id, status=EnrollmentStatus.IN_PROGRESS
    ).values_list("pk", flat=True):
        enrollment_advance_after_commit(tenant=tenant, enrollment_id=enrollment_id)


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
    """Make `pipeline` the default of exactly these partner types (taking them from others)."""
    if any(t.tenant_id != tenant.pk for t in partner_types):
        raise PipelineError("Unknown partner type.")
    wanted = {t.pk for t in partner_types}
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

FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def clean_form_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a Provide information form's definition; returns the normalised list."""
    cleaned: list[dict[str, Any]] = []
    keys: set[str] = set()
    for raw in fields:
        label = str(raw.get("label", "")).strip()
        if not label:
            continue
        given = {str(r["key"]) for r in fields if r.get("key")}  # kept keys: never taken
        key = str(raw.get("key") or question_key(label, taken=given))[:50]
        if not FIELD_KEY.match(key or ""):
            key = f"field_{len(cleaned) + 1}"
        if key in keys:
            raise PipelineError(f"Two fields are called “{key}”.")
        kind = raw.get("kind", FieldKind.TEXT)
        if kind not in FieldKind.values:
            raise PipelineError(f"Unknown field type “{kind}”.")
        choices = [str(c).strip() for c in raw.get("choices", []) if str(c).strip()]
        if kind == FieldKind.CHOICE and len(choices) < 2:
            raise PipelineError(f"“{label}” needs at least two choices.")
        keys.add(key)
        cleaned.append(
            {
                "key": key,
                "label": label[:200],
                "kind": kind,
                "required": bool(raw.get("required")),
                "choices": choices if kind == FieldKind.CHOICE else [],
                "help": str(raw.get("help", ""))[:300],
            }
        )
    return cleaned


def _check_action(*, tenant: Tenant, type: str, fields: dict[str, Any]) -> dict[str, Any]:
    if type not in ActionType.values:
        raise PipelineError("Unknown action type.")
    if fields.get("requires_approval") and type not in APPROVABLE_TYPES:
        raise PipelineError("Only Provide information and Upload document can need approval.")
    if type == ActionType.VIEW_ASSET and not fields.get("asset"):
        raise PipelineError("Choose the asset to view.")
    if type == ActionType.READ_ARTICLE and not fields.get("article"):
        raise PipelineError("Choose the article to read.")
    for key in ("asset", "article"):
        obj = fields.get(key)
        if obj is not None and obj.tenant_id != tenant.pk:
            raise PipelineError("Unknown content.")
    if type == ActionType.PROVIDE_INFORMATION:
        fields["form_fields"] = clean_form_fields(fields.get("form_fields") or [])
        if not fields["form_fields"]:
            raise PipelineError("Add at least one field to the form.")
    return fields


@transaction.atomic
def action_create(
    *, tenant: Tenant, actor: User | None, stage: Stage, type: str, title: str, **fields: Any
) -> Action:
    fields = _check_action(tenant=tenant, type=type, fields=fields)
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
    fields = _check_action(tenant=tenant, type=action.type, fields=fields)
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
    "PipelineError",
    "pipeline_create",
    "pipeline_update",
    "pipeline_assign_types",
    "stage_create",
    "stage_update",
    "stage_archive",
    "stage_move",
    "clean_form_fields",
    "action_create",
    "action_update",
    "action_archive",
    "action_move",
]
