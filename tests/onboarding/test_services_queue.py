"""apps/onboarding/services/queue.py: validating a selection of waiting actions at once."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.onboarding import verbs
from apps.onboarding.models import ActionProgress, ActionStatus, Enrollment
from apps.onboarding.services import (
    InvalidTransition,
    action_validate,
    actions_validate_many,
    partner_reenroll,
)
from apps.partners.models import PartnerEvent
from tests.conftest import race
from tests.onboarding.queue_data import make_waiting, queue_pipeline

pytestmark = pytest.mark.django_db
S = ActionStatus


def _statuses(rows):
    with scopes_disabled():
        found = dict(
            ActionProgress.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "status")
        )
    return [found[r.pk] for r in rows]


def _validated_events(rows):
    with scopes_disabled():
        return AuditEvent.objects.filter(
            verb=verbs.ACTION_VALIDATED, target_id__in=[str(r.pk) for r in rows]
        )


def test_validates_each_waiting_action_as_the_single_validate_does(
    acme, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.outbox.helpers import queued_by

    queue = make_waiting(acme, partners=3, per_partner=1, cam=acme.cam)
    results = []

    def validate():
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            scope(tenant=acme.tenant),
        ):
            results.append(
                actions_validate_many(
                    tenant=acme.tenant, actor=acme.cam, progress_ids=[r.pk for r in queue.waiting]
                )
            )
        results.append(callbacks)

    # The auto-advance of each partner is an outbox message of the same transaction.
    queued = [
        (tenant_id, payload["enrollment_id"])
        for tenant_id, payload in queued_by(validate, kind="onboarding.advance")
    ]
    result, callbacks = results
    assert sorted(result.validated) == sorted(r.pk for r in queue.waiting)
    assert result.already_handled == [] and result.missing == []
    assert _statuses(queue.waiting) == [S.COMPLETED] * 3
    # One audit event per action, as one Validate writes, with its before and after.
    events = list(_validated_events(queue.waiting))
    assert len(events) == 3
    assert {(e.data["from"], e.data["to"], e.actor_id) for e in events} == {
        (S.WAITING_FOR_APPROVAL, S.COMPLETED, acme.cam.pk)
    }
    # On each partner's timeline.
    with scopes_disabled():
        logged = PartnerEvent.objects.filter(
            account_id__in=[a.pk for a in queue.accounts], type=verbs.ACTION_COMPLETED_EVENT
        )
        assert logged.count() == 3
    with scopes_disabled():
        enrollments = set(
            Enrollment.objects.filter(partner_account__in=queue.accounts).values_list(
                "tenant_id", "pk"
            )
        )
    assert set(queued) == enrollments


def test_skips_and_reports_actions_no_longer_waiting(acme):
    queue = make_waiting(acme, partners=3, cam=acme.cam)
    first, handled, third = queue.waiting
    with scope(tenant=acme.tenant):
        action_validate(tenant=acme.tenant, actor=acme.admin, progress_id=handled.pk)
        result = actions_validate_many(
            tenant=acme.tenant, actor=acme.cam, progress_ids=[third.pk, handled.pk, first.pk]
        )
    assert result.validated == [first.pk, third.pk]
    assert result.already_handled == [handled.pk]
    # The one handled before keeps its validation: one event, by the admin.
    assert [e.actor_id for e in _validated_events([handled])] == [acme.admin.pk]


def test_a_partner_moved_to_another_pipeline_is_skipped(acme):
    queue = make_waiting(acme, partners=2, cam=acme.cam)
    other = queue_pipeline(acme, per_partner=1)
    with scope(tenant=acme.tenant):
        partner_reenroll(
            tenant=acme.tenant,
            actor=acme.admin,
            account_id=queue.accounts[0].pk,
            pipeline_id=other.pk,
        )
        result = actions_validate_many(
            tenant=acme.tenant, actor=acme.cam, progress_ids=[r.pk for r in queue.waiting]
        )
    assert result.validated == [queue.waiting[1].pk]
    assert result.already_handled == [queue.waiting[0].pk]
    assert _statuses(queue.waiting) == [S.WAITING_FOR_APPROVAL, S.COMPLETED]


def test_another_programs_actions_are_left_alone(acme, globex):
    ours = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    theirs = make_waiting(globex, partners=1, cam=globex.cam).waiting[0]
    with scope(tenant=acme.tenant):
        result = actions_validate_many(
            tenant=acme.tenant, actor=acme.cam, progress_ids=[ours.pk, theirs.pk]
        )
    assert result.validated == [ours.pk] and result.missing == [theirs.pk]
    assert _statuses([theirs]) == [S.WAITING_FOR_APPROVAL]


@pytest.mark.parametrize("who", ["partner_admin", "outsider"])
def test_only_staff_may_and_nothing_changes(acme, globex, who):
    actor = acme.partner_admin if who == "partner_admin" else globex.admin
    queue = make_waiting(acme, partners=2, cam=acme.cam)
    with scope(tenant=acme.tenant), pytest.raises(InvalidTransition):
        actions_validate_many(
            tenant=acme.tenant, actor=actor, progress_ids=[r.pk for r in queue.waiting]
        )
    assert _statuses(queue.waiting) == [S.WAITING_FOR_APPROVAL] * 2
    assert not _validated_events(queue.waiting).exists()


def test_one_transaction_a_failure_undoes_the_whole_selection(acme, monkeypatch):
    from apps.onboarding.services import queue as queue_module

    queue = make_waiting(acme, partners=3, cam=acme.cam)
    real = queue_module.action_validate
    calls = []

    def fails_on_the_third(**kwargs):
        calls.append(kwargs["progress_id"])
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(queue_module, "action_validate", fails_on_the_third)
    with scope(tenant=acme.tenant), pytest.raises(RuntimeError):
        actions_validate_many(
            tenant=acme.tenant, actor=acme.cam, progress_ids=[r.pk for r in queue.waiting]
        )
    assert _statuses(queue.waiting) == [S.WAITING_FOR_APPROVAL] * 3
    assert not _validated_events(queue.waiting).exists()


@pytest.mark.django_db(transaction=True)
def test_overlapping_selections_at_once_validate_each_action_once(acme):
    queue = make_waiting(acme, partners=4, cam=acme.cam)
    ids = [r.pk for r in queue.waiting]

    def bulk(actor, selection):
        def run():
            with scope(tenant=acme.tenant):
                return actions_validate_many(
                    tenant=acme.tenant, actor=actor, progress_ids=selection
                )

        return run

    def single(actor, pk):
        def run():
            with scope(tenant=acme.tenant):
                return action_validate(tenant=acme.tenant, actor=actor, progress_id=pk)

        return run

    results = race(
        bulk(acme.cam, ids[:3]),
        bulk(acme.admin, list(reversed(ids[1:]))),
        single(acme.admin, ids[2]),
    )
    assert not isinstance(results[0], Exception) and not isinstance(results[1], Exception)
    validated = results[0].validated + results[1].validated
    if not isinstance(results[2], Exception):
        validated.append(results[2].pk)
    else:
        assert "Completed" in str(results[2])  # the clear refusal, not a crash
    assert sorted(validated) == sorted(ids)  # each exactly once
    assert _statuses(queue.waiting) == [S.COMPLETED] * 4
    assert _validated_events(queue.waiting).count() == 4
