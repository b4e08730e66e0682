"""Every change to an action's status for one partner (DOMAIN §4's table).

Each event is one function: it runs in one transaction, locks the row it changes (so two
CAMs clicking at once produce one transition), refuses anything TRANSITIONS does not allow
with `InvalidTransition`, writes the audit event, and queues its side effects
(notifications, auto-advance) only after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import LabelledActor, actor_user, audit_record
from apps.onboarding import verbs
from apps.onboarding.models import (
    Action,
    ActionFile,
    ActionProgress,
    ActionStatus,
    Enrollment,
)
from apps.onboarding.queue_badge import queue_changed
from apps.onboarding.services.errors import InvalidTransition, require_staff
from apps.onboarding.services.notices import notify_partner_redo, notify_waiting_for_approval
from apps.onboarding.services.partner_log import onboarding_event_record
from apps.onboarding.services.stages import enrollment_advance_after_commit
from apps.partners.models import PartnerAccount, PartnerStatus, PartnerUser

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

S = ActionStatus

# The only allowed changes of ActionProgress.status: event -> (from statuses, to status).
# A partner completing an action is "submit" when the action needs a CAM's approval and
# "complete" when it does not (action_complete picks one).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.PENDING, S.ACTION_REQUIRED}), S.WAITING_FOR_APPROVAL),
    "complete": (frozenset({S.PENDING, S.ACTION_REQUIRED}), S.COMPLETED),
    "validate": (frozenset({S.WAITING_FOR_APPROVAL}), S.COMPLETED),
    "request_changes": (frozenset({S.WAITING_FOR_APPROVAL}), S.ACTION_REQUIRED),
    "invalidate": (frozenset({S.COMPLETED}), S.ACTION_REQUIRED),
    "skip": (frozenset({S.PENDING}), S.SKIPPED),
}


@dataclass(frozen=True)
class Guard:
    """A condition an event needs beyond the status, with the refusal when it fails."""

    allows: Callable[[ActionProgress], bool]
    refusal: str  # formatted with the action's title


# Conditions beyond the status; checked with it, by the services and for the buttons.
GUARDS: dict[str, Guard] = {
    # Invalidating rolls back a CAM's validation: an action completed without one has none.
    "invalidate": Guard(
        allows=lambda progress: progress.validated_at is not None,
        refusal="“{title}” completed without approval, so there is no validation to roll back.",
    ),
}

# What the refusal says the user tried to do, where the event's name does not say it.
_REFUSAL_PHRASES: dict[str, str] = {
    "submit": "complete",
    "request_changes": "request changes on",
}


def _refusal_phrase(event: str) -> str:
    """The words for `event` in "You can’t … “title”" ("skip", "request changes on")."""
    return _REFUSAL_PHRASES.get(event, event.replace("_", " "))


def event_allowed(progress: ActionProgress, event: str) -> bool:
    """Whether TRANSITIONS (and the event's guard) allow `event` from the row's status."""
    sources, _target = TRANSITIONS[event]
    guard = GUARDS.get(event)
    return progress.status in sources and (guard is None or guard.allows(progress))


def allowed_events(progress: ActionProgress) -> list[str]:
    """The CAM buttons a row shows, in CAM_EVENTS order: the ones the table allows now."""
    return [event for event in CAM_EVENTS if event_allowed(progress, event)]


def _check(progress: ActionProgress, event: str) -> str:
    """The event's target status, or `InvalidTransition` saying why it is not allowed."""
    sources, target = TRANSITIONS[event]
    if progress.status not in sources:
        raise InvalidTransition(
            f"You can’t {_refusal_phrase(event)} “{progress.action.title}”: it is "
            f"{progress.get_status_display()}."
        )
    guard = GUARDS.get(event)
    if guard is not None and not guard.allows(progress):
        raise InvalidTransition(guard.refusal.format(title=progress.action.title))
    return target


def _lock_progress(*, tenant: Tenant, progress_id: int) -> ActionProgress:
    # Lock the row alone: joined rows in a FOR UPDATE query are not re-read after waiting
    # for the lock, so related objects are loaded afterwards, fresh.
    progress = (
        ActionProgress.objects.select_for_update().filter(tenant=tenant, pk=progress_id).first()
    )
    if progress is None:
        raise InvalidTransition("That action does not exist.")
    progress.action = Action.objects.select_related("stage").get(pk=progress.action_id)
    progress.enrollment = Enrollment.objects.get(pk=progress.enrollment_id)
    if progress.enrollment.is_superseded:
        # The partner moved to another pipeline: this one is history, read-only.
        raise InvalidTransition(
            _("“%(title)s” belongs to a pipeline the partner has left: it can no longer change.")
            % {"title": progress.action.title}
        )
    progress.partner_account = PartnerAccount.objects.select_related("cam").get(
        pk=progress.partner_account_id
    )
    return progress


def _audit_transition(
    *,
    tenant: Tenant,
    actor: User | LabelledActor | None,
    progress: ActionProgress,
    verb: str,
    before: str,
    comment: str = "",
) -> None:
    data = {"from": before, "to": progress.status, "action": progress.action.title}
    queue_changed(tenant_id=tenant.pk)  # the work queue's nav badges recount
    if comment:
        data["comment"] = comment
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verb,
        target=progress,
        partner_id=progress.partner_account_id,
        data=data,
    )


def _action_completed_event(
    *,
    tenant: Tenant,
    progress: ActionProgress,
    actor: User | LabelledActor | None,
    type: str = verbs.ACTION_COMPLETED_EVENT,
) -> None:
    """Record the action's completion (or skip: it no longer counts against the partner) as
    a partner event, referenced `action:<id>`, for milestones to read."""
    onboarding_event_record(
        tenant=tenant,
        account_id=progress.partner_account_id,
        type=type,
        reference=f"action:{progress.action_id}",
        data={
            "title": progress.action.title,
            "type": progress.action.type,
            "stage_id": progress.action.stage_id,
        },
        actor=actor,
    )


# --- Partner side ------------------------------------------------------------------------


def progress_available_to_partner(progress: ActionProgress) -> bool:
    """Partners act on the current stage's actions, plus any action in Action required."""
    enrollment = progress.enrollment
    if enrollment.is_superseded:
        return False
    if progress.status == S.ACTION_REQUIRED:
        return True
    return (
        progress.status == S.PENDING
        and progress.action.archived_at is None
        and not enrollment.is_completed
        and progress.action.stage_id == enrollment.current_stage_id
    )


@dataclass(frozen=True)
class StoredFile:
    """A checked upload, ready to be attached to the submission."""

    uploaded: Any  # a django File
    original_name: str
    content_type: str
    size: int
    storage_key: str


@transaction.atomic
def action_complete(
    *,
    tenant: Tenant,
    actor: User | LabelledActor,
    progress_id: int,
    submission: dict[str, Any] | None = None,
    files: Sequence[StoredFile] = (),
) -> ActionProgress:
    """The partner completes an action: Completed, or Waiting for approval.

    `actor` is one of the partner's users, or an API key of the program completing it on
    the partner's behalf (an LMS reporting a course done): the key's scope allowed it, and
    it is the audit event's actor; the submission then has no user and no files."""
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    user = actor_user(actor)
    if user is None:
        if not isinstance(actor, LabelledActor) or actor.tenant_id != tenant.pk or files:
            raise InvalidTransition("Only the partner’s own users can complete its actions.")
        account = progress.partner_account
    else:
        link = (
            PartnerUser.objects.filter(
                tenant=tenant, membership__user=user, account_id=progress.partner_account_id
            )
            .select_related("account")
            .first()
        )
        if link is None:
            raise InvalidTransition("Only the partner’s own users can complete its actions.")
        account = link.account
    if account.status == PartnerStatus.SUSPENDED:
        raise InvalidTransition(
            "This partner account is suspended: its actions cannot be completed until it is "
            "reactivated."
        )
    needs_approval = progress.action.requires_approval
    target = _check(progress, "submit" if needs_approval else "complete")
    if not progress_available_to_partner(progress):
        raise InvalidTransition(
            f"“{progress.action.title}” is not available yet: it belongs to a later stage."
        )
    before = progress.status
    now = timezone.now()
    progress.status = target
    progress.submission = submission or {}
    progress.submitted_at = now
    progress.submitted_by = user
    progress.submission_round += 1
    progress.completed_at = None if needs_approval else now
    progress.validated_by = None
    progress.validated_at = None
    progress.save(
        update_fields=[
            "status",
            "submission",
            "submitted_at",
            "submitted_by",
            "submission_round",
            "completed_at",
            "validated_by",
            "validated_at",
            "updated_at",
        ]
    )
    for stored in files if user is not None else ():
        row = ActionFile(
            tenant=tenant,
            progress=progress,
            submission_round=progress.submission_round,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            uploaded_by=user,
        )
        row.file.save(stored.storage_key, stored.uploaded, save=False)
        row.save()
    _audit_transition(
        tenant=tenant, actor=actor, progress=progress, verb=verbs.ACTION_COMPLETED, before=before
    )
    if needs_approval:
        notify_waiting_for_approval(tenant=tenant, progress=progress)
    else:
        _action_completed_event(tenant=tenant, progress=progress, actor=actor)
        enrollment_advance_after_commit(tenant=tenant, enrollment_id=progress.enrollment_id)
    return progress


# --- CAM side ------------------------------------------------------------------------------


@transaction.atomic
def action_validate(
    *, tenant: Tenant, actor: User | LabelledActor, progress_id: int
) -> ActionProgress:
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    require_staff(tenant=tenant, actor=actor)
    target = _check(progress, "validate")
    before = progress.status
    now = timezone.now()
    progress.status = target
    progress.completed_at = now
    progress.validated_by = actor_user(actor)
    progress.validated_at = now
    progress.comment = ""
    progress.save(
        update_fields=[
            "status",
            "completed_at",
            "validated_by",
            "validated_at",
            "comment",
            "updated_at",
        ]
    )
    _audit_transition(
        tenant=tenant, actor=actor, progress=progress, verb=verbs.ACTION_VALIDATED, before=before
    )
    _action_completed_event(tenant=tenant, progress=progress, actor=actor)
    enrollment_advance_after_commit(tenant=tenant, enrollment_id=progress.enrollment_id)
    return progress


@transaction.atomic
def action_request_changes(
    *, tenant: Tenant, actor: User | LabelledActor, progress_id: int, comment: str
) -> ActionProgress:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidTransition("Say what needs to change: a comment is required.")
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    require_staff(tenant=tenant, actor=actor)
    target = _check(progress, "request_changes")
    before = progress.status
    progress.status = target
    progress.comment = comment
    progress.save(update_fields=["status", "comment", "updated_at"])
    _audit_transition(
        tenant=tenant,
        actor=actor,
        progress=progress,
        verb=verbs.ACTION_CHANGES_REQUESTED,
        before=before,
        comment=comment,
    )
    notify_partner_redo(tenant=tenant, progress=progress, kind="action_changes_requested")
    return progress


@transaction.atomic
def action_invalidate(
    *, tenant: Tenant, actor: User | LabelledActor, progress_id: int, comment: str = ""
) -> ActionProgress:
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    require_staff(tenant=tenant, actor=actor)
    target = _check(progress, "invalidate")
    before = progress.status
    progress.status = target
    progress.comment = (comment or "").strip()
    progress.completed_at = None
    progress.validated_by = None
    progress.validated_at = None
    progress.save(
        update_fields=[
            "status",
            "comment",
            "completed_at",
            "validated_by",
            "validated_at",
            "updated_at",
        ]
    )
    _audit_transition(
        tenant=tenant,
        actor=actor,
        progress=progress,
        verb=verbs.ACTION_INVALIDATED,
        before=before,
        comment=progress.comment,
    )
    notify_partner_redo(tenant=tenant, progress=progress, kind="action_invalidated")
    return progress


@transaction.atomic
def action_skip(
    *, tenant: Tenant, actor: User | LabelledActor, progress_id: int, comment: str = ""
) -> ActionProgress:
    """Skip a pending action; `comment` (optional) says why, kept in the audit event."""
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    require_staff(tenant=tenant, actor=actor)
    target = _check(progress, "skip")
    before = progress.status
    progress.status = target
    progress.completed_at = timezone.now()
    progress.save(update_fields=["status", "completed_at", "updated_at"])
    _audit_transition(
        tenant=tenant,
        actor=actor,
        progress=progress,
        verb=verbs.ACTION_SKIPPED,
        before=before,
        comment=(comment or "").strip(),
    )
    _action_completed_event(
        tenant=tenant, progress=progress, actor=actor, type=verbs.ACTION_SKIPPED_EVENT
    )
    enrollment_advance_after_commit(tenant=tenant, enrollment_id=progress.enrollment_id)
    return progress


# The console's events (its buttons, in this order) and the service each runs.
CAM_EVENTS: dict[str, Callable[..., ActionProgress]] = {
    "validate": action_validate,
    "request_changes": action_request_changes,
    "invalidate": action_invalidate,
    "skip": action_skip,
}
