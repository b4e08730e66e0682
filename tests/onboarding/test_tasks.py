"""tasks.py through a real Celery worker: auto-advance, and its repair after the worker is
killed in the middle of a task."""

import pytest
from django.db import connection
from django_scopes import scope

from apps.onboarding.models import Enrollment
from apps.onboarding.services import action_complete, action_skip
from apps.onboarding.tasks import onboarding_reconcile
from config.celery import app
from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _stage(journey):
    with scope(tenant=journey.pipeline.tenant):
        return Enrollment.objects.get(pk=journey.enrollment.pk).current_stage_id


def _advance_waiting_for_the_lock() -> bool:
    """Whether another session (the worker's) is inside enrollment_advance, blocked on the
    enrollment row's lock: the task is demonstrably in progress."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND wait_event_type = 'Lock' AND state = 'active'
              AND query ILIKE %s AND query ILIKE %s
            """,
            ["%onboarding_enrollment%", "%FOR UPDATE%"],
        )
        return cursor.fetchone()[0] > 0


def test_worker_moves_the_partner_after_the_last_completion(acme, journey, celery_worker_process):
    celery_worker_process.start()
    with scope(tenant=acme.tenant):
        action_skip(
            tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Legal details").pk
        )
        action_complete(
            tenant=acme.tenant, actor=acme.partner_user, progress_id=journey.progress("Tax form").pk
        )
    assert wait_for(lambda: _stage(journey) == journey.stages[1].pk)


def test_reconciliation_repairs_what_a_killed_worker_lost(acme, journey, celery_worker_process):
    # A second session holds the enrollment's row lock, so the worker's advance task, once
    # started, waits inside its transaction: it is killed while it holds the task.
    locker = connection.copy()
    try:
        locker.set_autocommit(False)
        with locker.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM onboarding_enrollment WHERE id = %s FOR UPDATE",
                [journey.enrollment.pk],
            )
        celery_worker_process.start()
        with scope(tenant=acme.tenant):
            action_skip(
                tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Legal details").pk
            )
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_user,
                progress_id=journey.progress("Tax form").pk,
            )
        assert wait_for(_advance_waiting_for_the_lock), "the worker never started the task"
        celery_worker_process.kill()  # SIGKILL mid-task: the worker is gone
    finally:
        locker.rollback()
        locker.close()
    # The task died before it moved anyone; the other queued advance message is lost with
    # the broker state (as after a crash), and the unacknowledged one is only redelivered
    # after the visibility timeout.
    app.control.purge()
    assert _stage(journey) == journey.stages[0].pk
    # A new worker runs the periodic reconciliation, which repairs the enrollment.
    celery_worker_process.start()
    onboarding_reconcile.delay()
    assert wait_for(lambda: _stage(journey) == journey.stages[1].pk)
