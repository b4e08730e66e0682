"""The CAM workload panel of /console/analytics/: per channel manager, their partners, the
actions waiting for their approval and their open alerts. Three statements grouped by CAM,
each filtered on the tenant and on the partner scope of `AnalyticsFilters` (a subquery).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.milestones.models import Alert, AlertStatus
from apps.milestones.selectors.alerts import not_snoozed
from apps.onboarding.models import CURRENT_ENROLLMENT_STATUSES, ActionProgress, ActionStatus
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.tenancy.models import Membership, Tenant


def cam_workload_panel(
    *,
    tenant: Tenant,
    filters: AnalyticsFilters,
    managers: list[Membership],
    now: datetime,
) -> Panel:
    """Per active staff member (and "Unassigned": no CAM, or one no longer active): partners,
    actions waiting for approval, open alerts. Three grouped queries; `managers` is the active
    staff (`channel_managers_for`, which the filter form has read already)."""
    panel = Panel(
        key="cam_workload",
        title=_("CAM workload"),
        description=_(
            "Partners per channel manager, the actions waiting for their approval, and their "
            "open alerts. “Unassigned” is partners without an active CAM: their approvals and "
            "alerts go to the program admins."
        ),
        columns=[_("Channel manager"), _("Partners"), _("Waiting approvals"), _("Open alerts")],
        rows=[],
        chart="hbar",
    )
    accounts = filters.accounts(tenant)
    # The approvals and alerts of the accounts in scope: through the accounts subquery only
    # when the filters narrow them (else the tenant filter alone selects the same rows).
    waiting_rows = ActionProgress.objects.filter(tenant=tenant)
    alert_rows = Alert.objects.filter(tenant=tenant)
    if filters.narrows_accounts:
        waiting_rows = waiting_rows.filter(partner_account__in=accounts.values("pk"))
        alert_rows = alert_rows.filter(account__in=accounts.values("pk"))
    partners = dict(
        accounts.values("cam_id").annotate(n=Count("id")).order_by().values_list("cam_id", "n")
    )
    waiting = dict(
        waiting_rows.filter(
            status=ActionStatus.WAITING_FOR_APPROVAL,
            enrollment__status__in=CURRENT_ENROLLMENT_STATUSES,
        )
        .values("partner_account__cam_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("partner_account__cam_id", "n")
    )
    alerts = dict(
        alert_rows.filter(
            not_snoozed(timezone.localdate(now)),
            status=AlertStatus.OPEN,
        )
        .values("account__cam_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("account__cam_id", "n")
    )
    active = {m.user_id: m for m in managers}
    unassigned = [0, 0, 0]
    for column, counts in enumerate((partners, waiting, alerts)):
        for cam_id, n in counts.items():
            if cam_id not in active:
                unassigned[column] += n
    for user_id, membership in active.items():
        if filters.cam and user_id != filters.cam:
            continue
        figures = [partners.get(user_id, 0), waiting.get(user_id, 0), alerts.get(user_id, 0)]
        if not any(figures) and membership.role != Role.CHANNEL_MANAGER:
            continue  # a program admin without partners of their own
        name = membership.user.get_full_name() or membership.user.email
        panel.rows.append([name, *figures])
    if any(unassigned) and not filters.cam:
        panel.rows.append([_("Unassigned"), *unassigned])
    panel.rows.sort(key=lambda row: (-row[1], str(row[0])))
    panel.series = [(str(row[0]), float(row[1])) for row in panel.rows]
    if not any(any(row[1:]) for row in panel.rows):
        panel.rows = []
        panel.empty = _(
            "No partner in scope: clear the filters, or assign channel managers to partners "
            "from the Partner Explorer."
        )
    return panel
