"""The sweep through a real Celery worker, and a rerun after the worker was killed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.milestones.models import Alert, SweepCursor
from apps.milestones.services import partner_track_start
from apps.milestones.tasks import milestone_sweep
from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _alerts():
    with scopes_disabled():
        return list(Alert.objects.values_list("partner_milestone_id", "rule_id"))


def _swept_since(moment) -> bool:
    with scopes_disabled():
        cursor = SweepCursor.objects.filter(name="events").first()
    return cursor is not None and cursor.position_at is not None and cursor.position_at >= moment


def _track(program, days_ago):
    with scope(tenant=program.tenant):
        partner_track_start(
            tenant=program.tenant,
            actor=program.cam,
            account=program.partner,
            enrolled_at=timezone.now() - timedelta(days=days_ago),
        )


def test_a_real_worker_runs_the_sweep(acme, celery_worker_process):
    _track(acme, days_ago=10)  # profile (day 5) and welcome call (day 7) are due
    celery_worker_process.start()
    milestone_sweep.delay()
    assert wait_for(lambda: len(_alerts()) == 2)


def test_a_sweep_rerun_after_its_worker_was_killed_raises_nothing_twice(
    acme, celery_worker_process
):
    _track(acme, days_ago=50)
    celery_worker_process.start()
    milestone_sweep.delay()
    celery_worker_process.kill()  # SIGKILL, possibly mid-sweep: its transaction rolls back
    # Beat sends the next sweep a minute later; a new worker runs it.
    celery_worker_process.start()
    milestone_sweep.delay()
    assert wait_for(lambda: len(_alerts()) == 7)
    marker = timezone.now()
    milestone_sweep.delay()
    assert wait_for(lambda: _swept_since(marker))
    stored = _alerts()
    assert len(stored) == len(set(stored)) == 7
