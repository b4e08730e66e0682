"""Auto-advance through a real Celery worker, and its repair after a worker is killed."""

import pytest
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
    celery_worker_process.start()
    celery_worker_process.kill()  # SIGKILL: the worker is gone
    with scope(tenant=acme.tenant):
        action_skip(
            tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Legal details").pk
        )
        action_complete(
            tenant=acme.tenant, actor=acme.partner_user, progress_id=journey.progress("Tax form").pk
        )
    # The queued advance messages are lost with the broker state (as after a crash).
    app.control.purge()
    assert _stage(journey) == journey.stages[0].pk
    # A new worker runs the periodic reconciliation, which repairs the enrollment.
    celery_worker_process.start()
    onboarding_reconcile.delay()
    assert wait_for(lambda: _stage(journey) == journey.stages[1].pk)
