"""Thin Celery tasks of the analytics rollup."""

import logging

from celery import shared_task

from apps.analytics.snapshots import snapshots_refresh_all_tenants

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, expires=110)
def analytics_snapshots_refresh() -> dict[str, int]:
    """Every two minutes: recompute the viewed analytics snapshots whose data moved."""
    result = snapshots_refresh_all_tenants()
    if result.refreshed or result.left:
        logger.info("analytics snapshots: %s", result)
    return {
        "refreshed": result.refreshed,
        "unchanged": result.unchanged,
        "dropped": result.dropped,
        "left": result.left,
    }
