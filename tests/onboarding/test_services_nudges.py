"""services/nudges.py: reminders on the pipeline's days, once a day per user, and the welcome.

The partner enters its first stage at T0 (time-machine); each sweep runs with an explicit
`now` some days later, as the hourly beat task would.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.notifications.models import EmailStatus, Notification
from apps.notifications.preferences import (
    OPT_OUT_SALT,
    OptOutLinkExpired,
    OptOutLinkInvalid,
    opt_out_token,
    opt_out_token_read,
    reminders_opted_out,
)
from apps.onboarding.models import ActionProgress, NudgeSent, Pipeline
from apps.onboarding.selectors_nudges import last_reminded_at
from apps.onboarding.services import (
    OnboardingError,
    action_complete,
    action_request_changes,
    partner_enroll,
    partner_reenroll,
)
from apps.onboarding.services.nudges import (
    nudge_recipients,
    nudge_send,
    nudge_sweep,
    nudge_tenants_all_tenants,
)
from apps.onboarding.services.nudges_settings import nudge_preference_set, pipeline_reminders_update
from apps.partners.services.status import partner_suspend
from apps.tenancy.models import Membership
from tests.conftest import in_scope, race
from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline, stage_specs

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _at(days: float, hour: int = 10) -> datetime:
    return (T0 + timedelta(days=days)).replace(hour=hour, minute=15)


@pytest.fixture
def enrolled(acme):
    """acme's partner enters "Company details" (Legal details, Tax form) at T0."""
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    with time_machine.travel(T0, tick=False), scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    return pipeline, stages, actions, enrollment


def _sweep(program, now):
    with scope(tenant=program.tenant):
        return nudge_sweep(tenant=program.tenant, now=now)


def _reminders(program, user=None):
    with scope(tenant=program.tenant):
        rows = Notification.objects.filter(tenant=program.tenant, kind="onboarding_reminder")
        if user is not None:
            rows = rows.filter(recipient=user)
        return list(rows.order_by("id"))


def _progress(program, enrollment, action):
    with scope(tenant=program.tenant):
        return ActionProgress.objects.get(enrollment=enrollment, action=action)


def _complete(program, enrollment, action, submission=None):
    progress = _progress(program, enrollment, action)
    with scope(tenant=program.tenant):
        action_complete(
            tenant=program.tenant,
            actor=program.partner_user,
            progress_id=progress.pk,
            submission=submission or {"legal_name": "Acme Ltd"},
        )


# --- Reminder days ---------------------------------------------------------------------------


def test_reminded_on_day_3_and_day_7_only(acme, enrolled):
    sent = {day: _sweep(acme, _at(day)) for day in range(0, 10)}
    # Two partner users, each reminded on days 3 and 7, never on the days between.
    assert sent == {0: 0, 1: 0, 2: 0, 3: 2, 4: 0, 5: 0, 6: 0, 7: 2, 8: 0, 9: 0}
    notes = _reminders(acme)
    assert sorted(n.recipient.email for n in notes) == sorted(
        [acme.partner_admin.email, acme.partner_user.email] * 2
    )
    assert {n.email_status for n in notes} == {EmailStatus.PENDING}  # the outbox delivers
    assert all(not n.in_app for n in notes)


def test_the_email_lists_each_open_action_with_its_portal_link(acme, enrolled):
    _, _, actions, enrollment = enrolled
    _sweep(acme, _at(3))
    (note,) = _reminders(acme, acme.partner_user)
    legal = _progress(acme, enrollment, actions["Legal details"])
    tax = _progress(acme, enrollment, actions["Tax form"])
    for progress in (legal, tax):
        link = f"http://acme.localhost/portal/onboarding/actions/{progress.pk}/"
        assert link in note.email_text and link in note.email_html
    assert "Legal details" in note.email_text and "Tax form" in note.email_text
    assert "2 onboarding actions" in note.email_subject
    assert "http://acme.localhost/email/reminders/" in note.email_html  # the opt-out link
    assert note.email_to == acme.partner_user.email


def test_a_pipeline_without_reminder_days_sends_none(acme, enrolled):
    pipeline = enrolled[0]
    with scope(tenant=acme.tenant):
        pipeline_reminders_update(
            tenant=acme.tenant,
            actor=acme.admin,
            pipeline_id=pipeline.pk,
            reminder_days=[],
            welcome_email=False,
        )
        assert acme.tenant.pk not in nudge_tenants_all_tenants()
    assert _sweep(acme, _at(3)) == 0


def test_reminder_days_follow_the_stage_the_partner_is_in(acme, enrolled):
    """Finishing the first stage on day 2 opens the next one then: reminded on days 5, 9."""
    _, _, actions, enrollment = enrolled
    with time_machine.travel(_at(2), tick=False):
        _complete(acme, enrollment, actions["Tax form"])
        _complete(acme, enrollment, actions["Legal details"])
        with scope(tenant=acme.tenant):
            from apps.onboarding.services import action_validate

            action_validate(
                tenant=acme.tenant,
                actor=acme.cam,
                progress_id=_progress(acme, enrollment, actions["Legal details"]).pk,
            )
            from apps.onboarding.services import enrollment_advance

            enrollment_advance(tenant=acme.tenant, enrollment_id=enrollment.pk)
    sent = {day: _sweep(acme, _at(day)) for day in range(3, 10)}
    assert sent == {3: 0, 4: 0, 5: 2, 6: 0, 7: 0, 8: 0, 9: 2}
    note = _reminders(acme, acme.partner_user)[0]
    assert "Signed NDA" in note.email_text and "Tax form" not in note.email_text


# --- Batching, once a day ---------------------------------------------------------------------


def test_one_email_a_day_per_user_even_with_actions_due_for_different_reasons(acme, enrolled):
    """Day 7: Tax form (open since day 0) and Legal details (changes requested on day 4)
    are both due: one email per user lists both."""
    _, _, actions, enrollment = enrolled
    with time_machine.travel(_at(1), tick=False):
        _complete(acme, enrollment, actions["Legal details"])
    legal = _progress(acme, enrollment, actions["Legal details"])
    with time_machine.travel(_at(4), tick=False), scope(tenant=acme.tenant):
        action_request_changes(
            tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk, comment="Full name"
        )
    assert _sweep(acme, _at(7)) == 2
    (note,) = _reminders(acme, acme.partner_user)
    assert "Tax form" in note.email_text and "Legal details" in note.email_text
    assert "Full name" in note.email_html  # the CAM's comment beside the action
    with scope(tenant=acme.tenant):
        assert NudgeSent.objects.filter(user=acme.partner_user).count() == 1


def test_a_second_sweep_the_same_day_sends_nothing(acme, enrolled):
    assert _sweep(acme, _at(3, hour=8)) == 2
    assert _sweep(acme, _at(3, hour=9)) == 0
    assert _sweep(acme, _at(3, hour=23)) == 0
    assert len(_reminders(acme)) == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_one_email_per_user(acme, enrolled):
    now = _at(3)
    results = race(
        in_scope(acme.tenant, nudge_sweep, now=now), in_scope(acme.tenant, nudge_sweep, now=now)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 2  # whichever sweep claimed each user sent its email
    assert sorted(n.recipient_id for n in _reminders(acme)) == sorted(
        [acme.partner_admin.pk, acme.partner_user.pk]
    )


# --- Stop the moment it is done ---------------------------------------------------------------


def test_an_action_done_before_the_reminder_is_not_listed(acme, enrolled):
    _, _, actions, enrollment = enrolled
    with time_machine.travel(_at(2), tick=False):
        _complete(acme, enrollment, actions["Tax form"])
    _sweep(acme, _at(3))
    (note,) = _reminders(acme, acme.partner_user)
    assert "Legal details" in note.email_text and "Tax form" not in note.email_text


def test_done_between_the_sweep_and_the_send_sends_nothing(acme, enrolled):
    _, _, actions, enrollment = enrolled
    today = _at(3).date()
    with scope(tenant=acme.tenant):
        recipients = nudge_recipients(tenant=acme.tenant, today=today)
    assert {r.user.pk for r in recipients} == {acme.partner_admin.pk, acme.partner_user.pk}
    # Meanwhile the partner does everything (Legal details now waits for the CAM).
    _complete(acme, enrollment, actions["Tax form"])
    _complete(acme, enrollment, actions["Legal details"])
    with scope(tenant=acme.tenant):
        for r in recipients:
            assert (
                nudge_send(
                    tenant=acme.tenant,
                    user=r.user,
                    account_id=r.account_id,
                    today=today,
                    now=_at(3),
                )
                == 0
            )
        assert last_reminded_at(tenant=acme.tenant, account_id=acme.partner.pk) is None
    assert _reminders(acme) == []


# --- Who is reminded --------------------------------------------------------------------------


def test_opt_out_is_honoured_at_once_and_opt_in_restores(acme, enrolled):
    today = _at(3).date()
    with scope(tenant=acme.tenant):
        recipients = nudge_recipients(tenant=acme.tenant, today=today)
        # The user opts out after the sweep listed them, before their email is built.
        assert nudge_preference_set(tenant=acme.tenant, user=acme.partner_user, receive=False)
        assert not nudge_preference_set(
            tenant=acme.tenant, user=acme.partner_user, receive=False
        )  # a second click changes nothing
        for r in recipients:
            nudge_send(
                tenant=acme.tenant, user=r.user, account_id=r.account_id, today=today, now=_at(3)
            )
        event = AuditEvent.objects.get(verb="email_preference.reminders_off")
        assert event.partner_id == acme.partner.pk and event.actor_id == acme.partner_user.pk
    assert [n.recipient_id for n in _reminders(acme)] == [acme.partner_admin.pk]
    with scope(tenant=acme.tenant):
        assert nudge_preference_set(tenant=acme.tenant, user=acme.partner_user, receive=True)
    assert _sweep(acme, _at(7)) == 2


def test_a_suspended_partner_is_not_reminded(acme, enrolled):
    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk)
    assert _sweep(acme, _at(3)) == 0


def test_a_deactivated_member_is_not_reminded(acme, enrolled):
    with scope(tenant=acme.tenant):
        Membership.objects.filter(tenant=acme.tenant, user=acme.partner_user).update(
            is_active=False
        )
    assert _sweep(acme, _at(3)) == 1
    assert [n.recipient_id for n in _reminders(acme)] == [acme.partner_admin.pk]


def test_a_superseded_enrollment_is_ignored(acme, enrolled):
    """Moved on day 1 to another pipeline: the old one's actions are never reminded; the
    new stage opened on day 1, so its reminders come on days 4 and 8."""
    with scope(tenant=acme.tenant):
        from apps.onboarding.demo import pipeline_build

        other = pipeline_build(
            tenant=acme.tenant,
            actor=acme.admin,
            name="Distributor onboarding",
            stages=stage_specs([("Paperwork", [("Bank details", "provide_information", True)])]),
        ).pipeline
    with time_machine.travel(_at(1), tick=False), scope(tenant=acme.tenant):
        partner_reenroll(
            tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk, pipeline_id=other.pk
        )
    sent = {day: _sweep(acme, _at(day)) for day in range(2, 9)}
    assert sent == {2: 0, 3: 0, 4: 2, 5: 0, 6: 0, 7: 0, 8: 2}
    for note in _reminders(acme):
        assert "Bank details" in note.email_text
        assert "Tax form" not in note.email_text and "Legal details" not in note.email_text


def test_other_programs_are_untouched(acme, globex, enrolled):
    assert _sweep(globex, _at(3)) == 0
    assert _sweep(acme, _at(3)) == 2
    with scope(tenant=globex.tenant):
        assert not Notification.objects.filter(kind="onboarding_reminder").exists()


def test_finding_recipients_takes_a_constant_number_of_queries(
    acme, enrolled, django_assert_max_num_queries
):
    from apps.partners.models import PartnerType
    from apps.partners.services import partner_account_create, partner_user_add
    from apps.tenancy.models import Role

    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        for i in range(4):
            account = partner_account_create(
                tenant=acme.tenant, actor=acme.admin, name=f"Extra {i}", partner_type=reseller
            )
            partner_user_add(
                tenant=acme.tenant,
                actor=acme.admin,
                account=account,
                email=f"user{i}@extra.test",
                role=Role.PARTNER_ADMIN,
            )
            with time_machine.travel(T0, tick=False):
                partner_enroll(tenant=acme.tenant, actor=acme.cam, account=account)
        with django_assert_max_num_queries(3):
            recipients = nudge_recipients(tenant=acme.tenant, today=_at(3).date())
    assert len(recipients) == 6


# --- Last reminded, audit ---------------------------------------------------------------------


def test_last_reminded_at_and_the_timeline(acme, enrolled):
    with scope(tenant=acme.tenant):
        assert last_reminded_at(tenant=acme.tenant, account_id=acme.partner.pk) is None
    _sweep(acme, _at(3))
    _sweep(acme, _at(7))
    with scope(tenant=acme.tenant):
        assert last_reminded_at(tenant=acme.tenant, account_id=acme.partner.pk) == _at(7)
        assert last_reminded_at(tenant=acme.tenant, account_id=acme.other_partner.pk) is None
        events = AuditEvent.objects.filter(verb="onboarding.reminded", partner_id=acme.partner.pk)
        assert events.count() == 4
        assert events.first().data["count"] == 2


# --- Settings ---------------------------------------------------------------------------------


def test_reminder_settings_are_cleaned_audited_and_admin_only(acme, enrolled):
    pipeline = enrolled[0]
    with scope(tenant=acme.tenant):
        pipeline_reminders_update(
            tenant=acme.tenant,
            actor=acme.admin,
            pipeline_id=pipeline.pk,
            reminder_days=[7, 2, 7],
            welcome_email=True,
        )
        pipeline.refresh_from_db()
        assert pipeline.reminder_days == [2, 7] and pipeline.welcome_email
        event = AuditEvent.objects.get(verb="pipeline.reminders_changed")
        assert event.data == {
            "from": {"reminder_days": [3, 7], "welcome_email": False},
            "to": {"reminder_days": [2, 7], "welcome_email": True},
        }
        for days in ([0], [400], list(range(1, 13))):
            with pytest.raises(OnboardingError):
                pipeline_reminders_update(
                    tenant=acme.tenant,
                    actor=acme.admin,
                    pipeline_id=pipeline.pk,
                    reminder_days=days,
                    welcome_email=True,
                )
        with pytest.raises(OnboardingError):
            pipeline_reminders_update(
                tenant=acme.tenant,
                actor=acme.cam,
                pipeline_id=pipeline.pk,
                reminder_days=[1],
                welcome_email=True,
            )
        assert Pipeline.objects.get(pk=pipeline.pk).reminder_days == [2, 7]


def test_another_programs_pipeline_is_unknown(acme, globex, enrolled):
    with scope(tenant=globex.tenant), pytest.raises(OnboardingError):
        pipeline_reminders_update(
            tenant=globex.tenant,
            actor=globex.admin,
            pipeline_id=enrolled[0].pk,
            reminder_days=[1],
            welcome_email=True,
        )


# --- Welcome email ----------------------------------------------------------------------------


def test_welcome_email_lists_the_first_stages_actions(acme, enrolled):
    pipeline = enrolled[0]
    with scope(tenant=acme.tenant):
        pipeline_reminders_update(
            tenant=acme.tenant,
            actor=acme.admin,
            pipeline_id=pipeline.pk,
            reminder_days=[3, 7],
            welcome_email=True,
        )
        pipeline.refresh_from_db()
        enrollment = partner_enroll(
            tenant=acme.tenant, actor=acme.cam, account=acme.other_partner, pipeline=pipeline
        )
        (note,) = Notification.objects.filter(kind="onboarding_welcome")
        first = ActionProgress.objects.filter(
            enrollment=enrollment, action__stage=enrollment.current_stage
        )
    assert note.recipient_id == acme.other_partner_user.pk and not note.in_app
    assert note.email_status == EmailStatus.PENDING
    assert "Company details" in note.email_subject
    for progress in first:
        assert progress.action.title in note.email_text
        assert f"/portal/onboarding/actions/{progress.pk}/" in note.email_html
    assert "Signed NDA" not in note.email_text  # a later stage
    assert "/email/reminders/" not in note.email_html  # transactional: no opt-out link


def test_welcome_email_off_by_default_and_not_stopped_by_the_opt_out(acme, enrolled):
    pipeline = enrolled[0]
    with scope(tenant=acme.tenant):
        assert not Notification.objects.filter(kind="onboarding_welcome").exists()
        Pipeline.objects.filter(pk=pipeline.pk).update(welcome_email=True)
        nudge_preference_set(tenant=acme.tenant, user=acme.other_partner_user, receive=False)
        pipeline.refresh_from_db()
        partner_enroll(
            tenant=acme.tenant, actor=acme.cam, account=acme.other_partner, pipeline=pipeline
        )
        assert Notification.objects.filter(
            kind="onboarding_welcome", recipient=acme.other_partner_user
        ).exists()


# --- The opt-out link -------------------------------------------------------------------------


def test_opt_out_tokens_name_one_user_of_one_program(acme, globex):
    token = opt_out_token(tenant_id=acme.tenant.pk, user_id=acme.partner_user.pk)
    link = opt_out_token_read(token=token, tenant_id=acme.tenant.pk)
    assert link.user_id == acme.partner_user.pk
    with pytest.raises(OptOutLinkInvalid):  # another program's host
        opt_out_token_read(token=token, tenant_id=globex.tenant.pk)
    forged = signing.TimestampSigner(salt="something-else").sign_object(
        {"t": acme.tenant.pk, "u": acme.admin.pk}
    )
    for bad in (forged, token[:-2] + "xx", "", "x" * 400):
        with pytest.raises(OptOutLinkInvalid):
            opt_out_token_read(token=bad, tenant_id=acme.tenant.pk)
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(days=91)),
        pytest.raises(OptOutLinkExpired),
    ):
        opt_out_token_read(token=token, tenant_id=acme.tenant.pk)
    assert OPT_OUT_SALT  # the salt keeps these tokens from being any other signed value
    with scope(tenant=acme.tenant):
        assert reminders_opted_out(tenant=acme.tenant, user_ids=[]) == set()


# --- The beat task ----------------------------------------------------------------------------


@pytest.fixture
def eager():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_hourly_task_waits_for_the_morning_then_sends_once(acme, enrolled, eager):
    from apps.onboarding.tasks import nudges_send

    with time_machine.travel(_at(3, hour=7), tick=False):
        assert nudges_send() == 0
    assert _reminders(acme) == []
    with time_machine.travel(_at(3, hour=8), tick=False):
        assert nudges_send() >= 1  # programs queued (acme among them)
    with time_machine.travel(_at(3, hour=9), tick=False):
        nudges_send()
    assert len(_reminders(acme)) == 2
