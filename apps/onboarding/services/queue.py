"""The work queue's bulk validation: several actions Waiting for approval at once.

Each action is validated by `action_validate`, the service the single Validate button runs,
so it is audited, logged on the partner's timeline and queues the auto-advance after the
commit exactly as one validation does. All of it is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from apps.onboarding.models import ActionProgress, ActionStatus
from apps.onboarding.services.actions import action_validate
from apps.onboarding.services.errors import InvalidTransition, require_staff

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

# The most one call validates (the queue's page shows 50).
VALIDATE_MANY_MAX = 200


@dataclass
class ValidateManyResult:
    validated: list[int] = field(default_factory=list)  # progress ids validated now
    already_handled: list[int] = field(default_factory=list)  # no longer waiting
    missing: list[int] = field(default_factory=list)  # not an action of this program


@transaction.atomic
def actions_validate_many(
    *, tenant: Tenant, actor: User, progress_ids: Iterable[int]
) -> ValidateManyResult:
    """Validate every listed action still Waiting for approval; skip (and report) those
    someone handled meanwhile. Locks the rows in id order first, so two CAMs validating
    overlapping selections wait for each other instead of deadlocking."""
    require_staff(tenant=tenant, actor=actor)
    ids = sorted(set(progress_ids))[:VALIDATE_MANY_MAX]
    statuses = dict(
        ActionProgress.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk__in=ids)
        .order_by("pk")
        .values_list("pk", "status")
    )
    result = ValidateManyResult()
    for pk in ids:
        if pk not in statuses:
            result.missing.append(pk)
        elif statuses[pk] != ActionStatus.WAITING_FOR_APPROVAL:
            result.already_handled.append(pk)
        else:
            try:
                action_validate(tenant=tenant, actor=actor, progress_id=pk)
            except InvalidTransition:  # e.g. the partner has left this pipeline
                result.already_handled.append(pk)
            else:
                result.validated.append(pk)
    return result
