"""The panels of /console/analytics/ that are not segment panels, in page order: the
pipeline's (funnel, time in stage, stall actions; `selectors_pipeline.py`), the applications'
(`selectors_applications.py`) and the CAM workload (`selectors_workload.py`). The segment
panels are `selectors_segments.segment_panels`; the view interleaves the two lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from apps.analytics.selectors_applications import applications_panel, applications_weekly_panel
from apps.analytics.selectors_pipeline import (
    funnel_panel,
    pipeline_scope,
    stage_figures,
    time_in_stage_panel,
)
from apps.analytics.selectors_stalls import stall_actions_panel
from apps.analytics.selectors_workload import cam_workload_panel

if TYPE_CHECKING:
    from apps.analytics.panels import AnalyticsFilters, Panel
    from apps.tenancy.models import Membership, Tenant


def pipeline_panels(
    *,
    tenant: Tenant,
    filters: AnalyticsFilters,
    now: datetime,
    managers: list[Membership],
) -> list[Panel]:
    """Every pipeline panel of the page, in page order. A constant number of queries."""
    scope = pipeline_scope(tenant=tenant, filters=filters)
    figures = stage_figures(tenant=tenant, filters=filters, scope=scope, now=now, roomy_sort=True)
    return [
        funnel_panel(scope=scope, figures=figures, filters=filters),
        time_in_stage_panel(scope=scope, figures=figures),
        stall_actions_panel(tenant=tenant, filters=filters, scope=scope, figures=figures, now=now),
        applications_panel(tenant=tenant, filters=filters),
        applications_weekly_panel(tenant=tenant, filters=filters, now=now),
        cam_workload_panel(tenant=tenant, filters=filters, managers=managers, now=now),
    ]
