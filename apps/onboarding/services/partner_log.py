"""Onboarding's entries in the partner's event log (the milestones app reads them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.audit.services import actor_user
from apps.partners.services import partner_event_record

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.audit.services import LabelledActor
    from apps.tenancy.models import Tenant


def onboarding_event_record(
    *,
    tenant: Tenant,
    account_id: int,
    type: str,
    reference: str,
    data: dict[str, Any],
    actor: User | LabelledActor | None = None,
) -> None:
    """Record an onboarding change in the partner's event log. The event is recorded by the
    acting user; by nobody when the system or an API key acted."""
    partner_event_record(
        tenant=tenant,
        account_id=account_id,
        type=type,
        source="onboarding",
        reference=reference,
        data=data,
        actor=actor_user(actor),
    )
