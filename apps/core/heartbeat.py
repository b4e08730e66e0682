"""Heartbeats of the periodic jobs: each writes its last-run time, /healthz reads the ages.

    from apps.core.heartbeat import heartbeat_beat
    heartbeat_beat("milestone_sweep")      # at the end of the beat task

One statement per beat (INSERT … ON CONFLICT (name) DO UPDATE), so concurrent runs never
collide and the row never needs a read first.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from apps.core.models import Heartbeat

# The jobs /healthz expects, with the app that runs each (a job whose app is not installed
# yet is not expected).
MILESTONE_SWEEP = "milestone_sweep"
ONBOARDING_RECONCILE = "onboarding_reconcile"
OUTBOX_SWEEP = "outbox_sweep"
EXPECTED: dict[str, str] = {
    MILESTONE_SWEEP: "apps.milestones",
    ONBOARDING_RECONCILE: "apps.onboarding",
    OUTBOX_SWEEP: "apps.outbox",
}


def heartbeat_beat(name: str, *, at: datetime | None = None) -> None:
    """Record that the job `name` has just finished (or finished `at`)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )


def heartbeat_times() -> dict[str, datetime]:
    """Every recorded heartbeat: name -> last run."""
    return dict(Heartbeat.objects.values_list("name", "at"))
