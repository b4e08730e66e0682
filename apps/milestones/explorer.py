"""The Partner Explorer's "overdue" filter (registered in MilestonesConfig.ready through
apps/partners/explorer_registry.py): partners with an overdue milestone (open, due date
passed: the console home's count), with an open alert (the alert inbox's Open tab: open and
not snoozed), with nothing overdue, or not tracked at all (no milestone tracking: their type
has no track, or tracking never started)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.milestones.models import Alert, AlertStatus, PartnerMilestone, PartnerTrack
from apps.milestones.selectors.alerts import not_snoozed
from apps.partners.explorer_registry import Choices, explorer_filter_register

if TYPE_CHECKING:
    from apps.partners.models import PartnerAccount
    from apps.tenancy.models import Tenant

OVERDUE = "overdue"
OPEN_ALERT = "alert"
ON_TRACK = "on_track"
NOT_TRACKED = "not_tracked"


def overdue_choices(tenant: Tenant) -> Choices:
    return [
        ("", _("Any milestones")),
        (OVERDUE, _("Overdue milestone")),
        (OPEN_ALERT, _("Open alert")),
        (ON_TRACK, _("Nothing overdue")),
        (NOT_TRACKED, _("Not tracked")),
    ]


def overdue_apply(
    queryset: QuerySet[PartnerAccount], value: str, *, tenant: Tenant
) -> QuerySet[PartnerAccount]:
    now = timezone.now()
    overdue = PartnerMilestone.objects.filter(
        tenant=tenant, account=OuterRef("pk"), completed_at__isnull=True, due_at__lte=now
    )
    if value == OVERDUE:
        return queryset.filter(Exists(overdue))
    if value == ON_TRACK:
        return queryset.filter(~Exists(overdue))
    if value == NOT_TRACKED:
        tracked = PartnerTrack.objects.filter(tenant=tenant, account=OuterRef("pk"))
        return queryset.filter(~Exists(tracked))
    if value == OPEN_ALERT:
        alerts = Alert.objects.filter(
            not_snoozed(timezone.localdate(now)),
            tenant=tenant,
            account=OuterRef("pk"),
            status=AlertStatus.OPEN,
            resolved_at__isnull=True,
        )
        return queryset.filter(Exists(alerts))
    return queryset


def explorer_register() -> None:
    """Called from MilestonesConfig.ready."""
    explorer_filter_register("overdue", gettext_lazy("Overdue"), overdue_choices, overdue_apply)
