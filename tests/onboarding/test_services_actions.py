"""services/actions.py: DOMAIN §4's transition table, row by row, everything outside it
refused, and the CAM buttons computed from it."""

import re

import pytest
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.onboarding.models import ActionProgress, ActionStatus
from apps.onboarding.services import (
    InvalidTransition,
    action_complete,
    action_invalidate,
    action_request_changes,
    action_skip,
    action_validate,
    allowed_events,
)
from apps.onboarding.services.actions import CAM_EVENTS, GUARDS, TRANSITIONS

pytestmark = pytest.mark.django_db
S = ActionStatus


def _set(progress, status, validated=False):
    from django.utils import timezone

    fields = {"status": status}
    if validated:
        fields.update(validated_at=timezone.now(), completed_at=timezone.now())
    with scope(tenant=progress.tenant):
        ActionProgress.objects.filter(pk=progress.pk).update(**fields)


def _status(progress):
    with scope(tenant=progress.tenant):
        return ActionProgress.objects.get(pk=progress.pk).status


def _run(event, program, progress, actor=None):
    tenant = program.tenant
    with scope(tenant=tenant):
        if event in ("submit", "complete"):
            return action_complete(
                tenant=tenant,
                actor=actor or program.partner_user,
                progress_id=progress.pk,
                submission={"legal_name": "One Ltd"},
            )
        kwargs = {"comment": "Please fix"} if event == "request_changes" else {}
        service = {
            "validate": action_validate,
            "request_changes": action_request_changes,
            "invalidate": action_invalidate,
            "skip": action_skip,
        }[event]
        return service(tenant=tenant, actor=actor or program.cam, progress_id=progress.pk, **kwargs)


# (start status, validated?, event, expected end status or None when refused)
TABLE = [
    (S.PENDING, False, "complete", "depends"),
    (S.ACTION_REQUIRED, False, "complete", "depends"),
    (S.WAITING_FOR_APPROVAL, False, "complete", None),
    (S.COMPLETED, True, "complete", None),
    (S.SKIPPED, False, "complete", None),
    (S.WAITING_FOR_APPROVAL, False, "validate", S.COMPLETED),
    (S.PENDING, False, "validate", None),
    (S.ACTION_REQUIRED, False, "validate", None),
    (S.COMPLETED, True, "validate", None),
    (S.SKIPPED, False, "validate", None),
    (S.WAITING_FOR_APPROVAL, False, "request_changes", S.ACTION_REQUIRED),
    (S.PENDING, False, "request_changes", None),
    (S.ACTION_REQUIRED, False, "request_changes", None),
    (S.COMPLETED, True, "request_changes", None),
    (S.SKIPPED, False, "request_changes", None),
    (S.COMPLETED, True, "invalidate", S.ACTION_REQUIRED),
    (S.COMPLETED, False, "invalidate", None),  # completed without a CAM's validation
    (S.PENDING, False, "invalidate", None),
    (S.WAITING_FOR_APPROVAL, False, "invalidate", None),
    (S.ACTION_REQUIRED, False, "invalidate", None),
    (S.SKIPPED, False, "invalidate", None),
    (S.PENDING, False, "skip", S.SKIPPED),
    (S.WAITING_FOR_APPROVAL, False, "skip", None),
    (S.COMPLETED, True, "skip", None),
    (S.ACTION_REQUIRED, False, "skip", None),
    (S.SKIPPED, False, "skip", None),
]


@pytest.mark.parametrize(("start", "validated", "event", "end"), TABLE)
@pytest.mark.parametrize("title", ["Legal details", "Tax form"])  # with / without approval
def test_transition_table(acme, journey, start, validated, event, end, title):
    progress = journey.progress(title)
    _set(progress, start, validated)
    with scope(tenant=acme.tenant):
        audits_before = AuditEvent.objects.filter(target_id=str(progress.pk)).count()
    if end is None:
        with pytest.raises(InvalidTransition):
            _run(event, acme, progress)
        assert _status(progress) == start
        with scope(tenant=acme.tenant):
            assert AuditEvent.objects.filter(target_id=str(progress.pk)).count() == audits_before
        return
    _run(event, acme, progress)
    if end == "depends":
        needs_approval = journey.actions[title].requires_approval
        end = S.WAITING_FOR_APPROVAL if needs_approval else S.COMPLETED
    assert _status(progress) == end
    with scope(tenant=acme.tenant):
        event_row = AuditEvent.objects.filter(target_id=str(progress.pk)).latest("id")
    assert event_row.data["from"] == start
    assert event_row.data["to"] == end


@pytest.mark.parametrize("event", ["validate", "request_changes", "invalidate", "skip"])
def test_partner_users_cannot_do_cam_transitions(acme, journey, event):
    progress = journey.progress("Legal details")
    _set(
        progress,
        {
            "validate": S.WAITING_FOR_APPROVAL,
            "request_changes": S.WAITING_FOR_APPROVAL,
            "invalidate": S.COMPLETED,
            "skip": S.PENDING,
        }[event],
        validated=True,
    )
    before = _status(progress)
    with pytest.raises(InvalidTransition, match="channel managers"):
        _run(event, acme, progress, actor=acme.partner_admin)
    assert _status(progress) == before


def test_staff_and_other_partners_cannot_complete(acme, journey):
    progress = journey.progress("Legal details")
    for actor in (acme.cam, acme.admin, acme.other_partner_user):
        with pytest.raises(InvalidTransition):
            _run("complete", acme, progress, actor=actor)
    assert _status(progress) == S.PENDING


def test_cam_of_another_tenant_is_refused(acme, globex, journey):
    progress = journey.progress("Legal details")
    _set(progress, S.WAITING_FOR_APPROVAL)
    with scope(tenant=acme.tenant), pytest.raises(InvalidTransition):
        action_validate(tenant=acme.tenant, actor=globex.cam, progress_id=progress.pk)
    # And globex's tenant cannot even find acme's row.
    with scope(tenant=globex.tenant), pytest.raises(InvalidTransition, match="does not exist"):
        action_validate(tenant=globex.tenant, actor=globex.cam, progress_id=progress.pk)
    assert _status(progress) == S.WAITING_FOR_APPROVAL


def test_partner_cannot_complete_an_action_of_a_later_stage(acme, journey):
    later = journey.progress("Signed NDA")
    with pytest.raises(InvalidTransition, match="later stage"):
        _run("complete", acme, later)
    assert _status(later) == S.PENDING


def test_cam_may_skip_actions_of_a_later_stage(acme, journey):
    later = journey.progress("Signed NDA")
    _run("skip", acme, later)
    assert _status(later) == S.SKIPPED


def test_request_changes_needs_a_comment(acme, journey):
    progress = journey.progress("Legal details")
    _set(progress, S.WAITING_FOR_APPROVAL)
    with scope(tenant=acme.tenant), pytest.raises(InvalidTransition, match="comment"):
        action_request_changes(
            tenant=acme.tenant, actor=acme.cam, progress_id=progress.pk, comment="   "
        )
    assert _status(progress) == S.WAITING_FOR_APPROVAL


def test_action_required_can_be_redone_even_in_a_past_stage(acme, journey):
    legal = journey.progress("Legal details")
    _run("complete", acme, legal)
    _run("validate", acme, legal)
    _run("invalidate", acme, legal)
    assert _status(legal) == S.ACTION_REQUIRED
    _run("complete", acme, legal)
    assert _status(legal) == S.WAITING_FOR_APPROVAL


# The partner's "complete" is "submit" for an action that needs approval.
EVENT_ACTION = {"submit": "Legal details", "complete": "Tax form"}


def _reset(progress, status, *, validated):
    from django.utils import timezone

    now = timezone.now() if validated else None
    with scope(tenant=progress.tenant):
        ActionProgress.objects.filter(pk=progress.pk).update(
            status=status, validated_at=now, completed_at=now
        )
        return ActionProgress.objects.get(pk=progress.pk)


def test_every_event_from_every_status(acme, journey):
    """Every (event, status) pair of TRANSITIONS: allowed ones reach the table's target and
    write one audit event; the others raise and change nothing. (One set-up for all pairs:
    each pair starts from a status set here.)"""
    for event, (sources, target) in TRANSITIONS.items():
        progress = journey.progress(EVENT_ACTION.get(event, "Legal details"))
        for status in ActionStatus.values:
            pair = (event, status)
            # A completed action here was validated by a CAM, so the invalidate guard holds.
            before = _reset(progress, status, validated=status == S.COMPLETED)
            with scope(tenant=acme.tenant):
                audits = AuditEvent.objects.filter(target_id=str(progress.pk)).count()
            if status in sources:
                _run(event, acme, progress)
                assert _status(progress) == target, pair
                with scope(tenant=acme.tenant):
                    after = AuditEvent.objects.filter(target_id=str(progress.pk)).count()
                assert after == audits + 1, pair
                continue
            with pytest.raises(InvalidTransition):
                _run(event, acme, progress)
            with scope(tenant=acme.tenant):
                after = ActionProgress.objects.get(pk=progress.pk)
                assert AuditEvent.objects.filter(target_id=str(progress.pk)).count() == audits
            assert after.status == status, pair
            assert after.updated_at == before.updated_at, pair
            assert after.submission_round == before.submission_round, pair


# What each refusal says the user tried ("You can’t … “title”: it is Skipped.").
REFUSALS = {
    "submit": "complete",
    "complete": "complete",
    "validate": "validate",
    "request_changes": "request changes on",
    "invalidate": "invalidate",
    "skip": "skip",
}


def test_each_refusal_says_what_was_tried(acme, journey):
    assert set(REFUSALS) == set(TRANSITIONS)
    for event, words in REFUSALS.items():
        title = EVENT_ACTION.get(event, "Legal details")
        progress = _reset(journey.progress(title), S.SKIPPED, validated=False)
        refusal = f"You can’t {words} “{title}”: it is Skipped."
        with pytest.raises(InvalidTransition, match=f"^{re.escape(refusal)}$"):
            _run(event, acme, progress)


def test_cam_buttons_are_the_events_the_table_allows(acme, journey):
    progress = journey.progress("Legal details")
    # The console's buttons, spelled out once: what a CAM sees in each status.
    shown = {
        (S.PENDING, False): ["skip"],
        (S.WAITING_FOR_APPROVAL, False): ["validate", "request_changes"],
        (S.COMPLETED, True): ["invalidate"],
        (S.COMPLETED, False): [],  # completed without approval: nothing to roll back
        (S.ACTION_REQUIRED, False): [],
        (S.SKIPPED, False): [],
    }
    for (status, validated), buttons in shown.items():
        row = _reset(progress, status, validated=validated)
        expected = [
            event
            for event in CAM_EVENTS
            if status in TRANSITIONS[event][0]
            and (event not in GUARDS or GUARDS[event].allows(row))
        ]
        assert allowed_events(row) == expected == buttons, (status, validated)


def test_a_suspended_partner_cannot_complete_and_resumes_where_it_was(acme, journey):
    from apps.partners.services import partner_reactivate, partner_suspend

    journey.complete(acme, "Legal details")
    legal_before = _status(journey.progress("Legal details"))
    tax = journey.progress("Tax form")
    tax_before = _status(tax)
    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk)
    with pytest.raises(InvalidTransition, match="suspended"):
        _run("complete", acme, tax)
    assert _status(tax) == tax_before
    with scope(tenant=acme.tenant):
        partner_reactivate(tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk)
    assert _status(journey.progress("Legal details")) == legal_before == S.COMPLETED
    assert journey.reloaded().current_stage == journey.stages[0]
    _run("complete", acme, tax)
    assert _status(tax) == S.COMPLETED
