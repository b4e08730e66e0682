"""Nudges' settings and preferences: a pipeline's reminder days and welcome email, which
program admins set (`pipeline_reminders_update`, checked by `reminder_days_clean`), and a
partner user's own choice to receive reminders or not, set from the one-click link in every
reminder (`nudge_preference_set`). The sweep and the emails themselves are in nudges.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.notifications.preferences import reminders_preference_set
from apps.onboarding import verbs
from apps.onboarding.models import Pipeline
from apps.onboarding.services.errors import OnboardingError
from apps.partners.models import PartnerUser
from apps.tenancy.models import Membership, Role, Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User

# At most this many reminder days per pipeline, each at most MAX_REMINDER_DAY.
MAX_REMINDER_DAYS = 10
MAX_REMINDER_DAY = 365


def reminder_days_clean(days: list[int]) -> list[int]:
    """Sorted, without duplicates; refuses days out of range or too many."""
    cleaned = sorted(set(days))
    if any(day < 1 or day > MAX_REMINDER_DAY for day in cleaned):
        raise OnboardingError(
            _("Reminder days are whole numbers of days from 1 to %(max)d.")
            % {"max": MAX_REMINDER_DAY}
        )
    if len(cleaned) > MAX_REMINDER_DAYS:
        raise OnboardingError(_("At most %(count)d reminder days.") % {"count": MAX_REMINDER_DAYS})
    return cleaned


@transaction.atomic
def pipeline_reminders_update(
    *,
    tenant: Tenant,
    actor: User,
    pipeline_id: int,
    reminder_days: list[int],
    welcome_email: bool,
) -> Pipeline:
    """Set a pipeline's reminder days and welcome email (program admins). Audited with
    before and after; saving the same values changes nothing."""
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
    ).exists():
        raise OnboardingError(_("Only program admins can change a pipeline’s reminders."))
    pipeline = (
        Pipeline.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=pipeline_id)
        .first()
    )
    if pipeline is None:
        raise OnboardingError(_("Unknown pipeline."))
    days = reminder_days_clean(reminder_days)
    before = {
        "reminder_days": list(pipeline.reminder_days),
        "welcome_email": pipeline.welcome_email,
    }
    after = {"reminder_days": days, "welcome_email": welcome_email}
    if before == after:
        return pipeline
    pipeline.reminder_days, pipeline.welcome_email = days, welcome_email
    pipeline.save(update_fields=["reminder_days", "welcome_email"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PIPELINE_REMINDERS_CHANGED,
        target=pipeline,
        data={"from": before, "to": after},
    )
    return pipeline


def nudge_preference_set(*, tenant: Tenant, user: User, receive: bool) -> bool:
    """The one-click link: `user` turns their reminder emails in `tenant` off or back on
    (acting for themselves). Returns whether it changed anything."""
    partner_id = (
        PartnerUser.objects.filter(tenant=tenant, membership__user=user)
        .values_list("account_id", flat=True)
        .first()
    )
    return reminders_preference_set(
        tenant=tenant, actor=user, user=user, receive=receive, partner_id=partner_id
    )
