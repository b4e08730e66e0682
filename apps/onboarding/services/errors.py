"""The errors onboarding services raise, and the staff check the CAM transitions share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.audit.services import LabelledActor
from apps.tenancy.models import STAFF_ROLES, Membership

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


class InvalidTransition(Exception):
    """The change is not allowed now; the message says why and is shown to the user."""


class OnboardingError(Exception):
    """A rule of the pipeline was broken; the message is shown to the user."""


def require_staff(*, tenant: Tenant, actor: User | LabelledActor | None) -> None:
    """Refuse anyone but an active channel manager or admin of `tenant`. An API key of
    `tenant` passes: what it may do is its scopes, checked before the service is called."""
    if isinstance(actor, LabelledActor):
        if actor.tenant_id != tenant.pk:
            raise InvalidTransition("Only channel managers can do this.")
        return
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
    ).exists():
        raise InvalidTransition("Only channel managers can do this.")
