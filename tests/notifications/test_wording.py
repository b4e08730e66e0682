"""The registry of the program's emails (wording.py), the safe formatter, and every sender
sending the program's wording (its override, else the default)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.notifications.formatting import wording_errors, wording_format
from apps.notifications.models import EmailWording, Notification
from apps.notifications.rendering import email_preview, email_render
from apps.notifications.selectors import email_wording_effective
from apps.notifications.services import (
    WordingError,
    email_wording_reset,
    email_wording_save,
    notification_create,
)
from apps.notifications.wording import EMAILS, IN_APP_ONLY, sample_context
from tests.conftest import in_scope, race

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def _override(program, key, subject="Custom {program_name}", intro="Custom intro."):
    with scope(tenant=program.tenant):
        return email_wording_save(
            tenant=program.tenant, actor=program.admin, key=key, subject=subject, intro=intro
        )


def _events(program, verb):
    with scope(tenant=program.tenant):
        return list(AuditEvent.objects.filter(tenant=program.tenant, verb=verb).order_by("pk"))


# --- The registry covers every email sent ---------------------------------------------------


def test_every_notification_kind_sent_by_the_code_is_registered_or_in_app_only():
    kinds = set()
    for path in (ROOT / "apps").rglob("*.py"):
        kinds |= set(re.findall(r'kind="([a-z_]+)"', path.read_text()))
    templates = {p.name for p in (ROOT / "templates/notifications").iterdir() if p.is_dir()}
    sent = (kinds & templates) | {
        t for t in templates if (ROOT / "templates/notifications" / t / "email.html").exists()
    }
    sent.discard("wording")
    assert sent, "no notification kinds found"
    for kind in sent:
        assert f"notifications.{kind}" in EMAILS or kind in IN_APP_ONLY, kind
    for kind in IN_APP_ONLY:
        assert f"notifications.{kind}" not in EMAILS


def test_every_application_and_staff_email_is_registered():
    from apps.applications.services.emails import KINDS

    for kind in (*KINDS, "invitation", "team_invite"):
        assert f"applications.{kind}" in EMAILS, kind
    for name in ("program_admin", "staff_invitation"):
        assert f"home.{name}" in EMAILS, name
    assert "partners.import_invite" in EMAILS
    # Their subject lives in the registry now, not in a template.
    assert not list((ROOT / "templates").rglob("emails/*/subject.txt"))


@pytest.mark.parametrize("key", sorted(EMAILS))
def test_each_default_uses_only_its_variables_and_previews(acme, key):
    email = EMAILS[key]
    get_template(email.text_template), get_template(email.html_template)
    assert wording_errors(str(email.subject), email.names) == []
    assert wording_errors(str(email.intro), email.names) == []
    assert len({v.name for v in email.variables}) == len(email.variables)
    preview = email_preview(
        tenant=acme.tenant, key=key, subject=str(email.subject), intro=str(email.intro)
    )
    assert preview.subject and "{" not in preview.subject
    assert "{" not in preview.text.replace("{{", "")
    assert acme.tenant.name in preview.html


# --- Every sender sends the program's wording -----------------------------------------------


def _sent_subject(mailoutbox):
    assert mailoutbox, "nothing was sent"
    return mailoutbox[-1].subject


def test_application_emails_use_the_override(acme, mailoutbox):
    from apps.applications.services import application_email_deliver, invitation_email_deliver
    from tests.applications.factories import ApplicationFactory, InvitationFactory

    for key in EMAILS:
        if key.startswith("applications."):
            _override(acme, key, subject=f"[{key}] {{program_name}}")
    application = ApplicationFactory(tenant=acme.tenant, email_verified=True)
    with scope(tenant=acme.tenant):
        for kind in ("already_pending", "rejected", "declined"):
            assert application_email_deliver(
                tenant=acme.tenant, kind=kind, application_id=application.pk
            )
            assert _sent_subject(mailoutbox) == f"[applications.{kind}] {acme.tenant.name}"
            assert "Custom intro." in mailoutbox[-1].body
            assert "Custom intro." in mailoutbox[-1].alternatives[0][0]
        assert application_email_deliver(
            tenant=acme.tenant, kind="already_member", email=acme.partner_user.email
        )
        assert _sent_subject(mailoutbox) == f"[applications.already_member] {acme.tenant.name}"
    unconfirmed = ApplicationFactory(tenant=acme.tenant)
    with scope(tenant=acme.tenant):
        assert application_email_deliver(
            tenant=acme.tenant, kind="confirm", application_id=unconfirmed.pk
        )
        assert _sent_subject(mailoutbox) == f"[applications.confirm] {acme.tenant.name}"
    invitation = InvitationFactory(tenant=acme.tenant, actor=acme.cam)
    with scope(tenant=acme.tenant):
        assert invitation_email_deliver(tenant=acme.tenant, invitation_id=invitation.pk)
    assert _sent_subject(mailoutbox) == f"[applications.invitation] {acme.tenant.name}"


def test_approval_email_uses_the_override(acme, mailoutbox, django_capture_on_commit_callbacks):
    from apps.applications.services import application_approve, application_email_deliver
    from tests.applications.factories import ApplicationFactory

    _override(acme, "applications.approved", subject="Hi {first_name} of {partner_name}")
    application = ApplicationFactory(
        tenant=acme.tenant, email_verified=True, applicant__company="Bluefin"
    )
    with scope(tenant=acme.tenant):
        application_approve(tenant=acme.tenant, actor=acme.admin, application_id=application.pk)
        assert application_email_deliver(
            tenant=acme.tenant, kind="approved", application_id=application.pk
        )
    assert _sent_subject(mailoutbox) == "Hi Peter of Bluefin"


def test_team_and_staff_emails_use_the_override(acme, mailoutbox):
    from apps.applications.services.team import team_invitation_email_deliver
    from apps.home.services import program_admin_email_send, staff_invitation_email_send
    from apps.partners.models import PartnerUser
    from apps.partners.services.importing_email import partner_import_invitation_deliver

    for key in (
        "applications.team_invite",
        "home.staff_invitation",
        "home.program_admin",
        "partners.import_invite",
    ):
        _override(acme, key, subject=f"[{key}]", intro="Hello from {program_name}.")
    with scope(tenant=acme.tenant):
        member = PartnerUser.objects.get(tenant=acme.tenant, membership__user=acme.partner_user)
        assert team_invitation_email_deliver(tenant=acme.tenant, member_id=member.pk)
    assert _sent_subject(mailoutbox) == "[applications.team_invite]"
    assert f"Hello from {acme.tenant.name}." in mailoutbox[-1].body
    with scope(tenant=acme.tenant):
        assert partner_import_invitation_deliver(tenant=acme.tenant, member_id=member.pk)
    assert _sent_subject(mailoutbox) == "[partners.import_invite]"
    staff_invitation_email_send(tenant_id=acme.tenant.pk, user_id=acme.cam.pk, inviter_id=None)
    assert _sent_subject(mailoutbox) == "[home.staff_invitation]"
    program_admin_email_send(tenant_id=acme.tenant.pk, user_id=acme.admin.pk)
    assert _sent_subject(mailoutbox) == "[home.program_admin]"


def test_partner_assignment_notification_uses_the_override(acme, unscoped):
    from apps.partners.models import PartnerType
    from apps.partners.services import partner_account_create

    _override(acme, "notifications.partner_assigned", subject="{partner_name} for {first_name}")
    with scope(tenant=acme.tenant):
        partner_account_create(
            tenant=acme.tenant,
            actor=acme.admin,
            name="Bluefin",
            partner_type=PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR"),
            domains=["bluefin.example"],
            cam=acme.cam,
        )
    note = Notification.objects.filter(recipient=acme.cam, kind="partner_assigned").latest("pk")
    assert note.title == note.email_subject == "Bluefin for Casey"
    assert note.body == "Custom intro."
    assert "Custom intro." in note.email_html


def test_approvals_digest_uses_the_override(acme, unscoped):
    from apps.onboarding.models import ActionProgress
    from apps.onboarding.services import action_complete, partner_enroll
    from apps.onboarding.tasks import approval_digest_send
    from tests.onboarding.conftest import PI, build_pipeline

    _override(acme, "notifications.approvals_digest", subject="Please review {actions}")
    build_pipeline(acme, stages_spec=[("Forms", [(f"Form {i}", PI, True) for i in range(3)])])
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
        for progress in ActionProgress.objects.filter(enrollment=enrollment):
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                progress_id=progress.pk,
                submission={"legal_name": "x"},
            )
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 3
    digest = Notification.objects.get(recipient=acme.cam, kind="approvals_digest")
    assert digest.email_subject == "Please review 3 actions"
    assert "Form 2" in digest.email_text  # the list (structure) is still there


@pytest.mark.parametrize("key", sorted(k for k in EMAILS if k.startswith("notifications.")))
def test_each_notification_uses_its_override_and_default(acme, unscoped, key):
    kind = key.removeprefix("notifications.")
    context = {
        k: v
        for k, v in sample_context(acme.tenant).items()
        if k not in ("tenant", "recipient", "url")
    }
    with scope(tenant=acme.tenant):
        default = notification_create(
            tenant=acme.tenant, recipient=acme.cam, kind=kind, context=context, url="/console/"
        )
    assert default.title == default.email_subject
    assert default.title and "{" not in default.title
    _override(acme, key, subject="Own {program_name}", intro="Own intro for {first_name}.")
    with scope(tenant=acme.tenant):
        own = notification_create(
            tenant=acme.tenant, recipient=acme.cam, kind=kind, context=context, url="/console/"
        )
    assert own.email_subject == f"Own {acme.tenant.name}"
    assert "Own intro for Casey." in own.email_text
    assert "Own intro for Casey." in own.email_html


def test_another_programs_override_changes_nothing_here(acme, globex, mailoutbox):
    from apps.home.services import staff_invitation_email_send

    _override(globex, "home.staff_invitation", subject="Globex only")
    staff_invitation_email_send(tenant_id=acme.tenant.pk, user_id=acme.cam.pk, inviter_id=None)
    assert _sent_subject(mailoutbox) == f"You are invited to the staff of {acme.tenant.name}"


def test_one_query_reads_the_wording(acme, django_assert_num_queries):
    _override(acme, "applications.rejected")
    with django_assert_num_queries(1):
        subject, _intro, own = email_wording_effective(
            tenant=acme.tenant, key="applications.rejected"
        )
    assert own and subject == "Custom {program_name}"
    with django_assert_num_queries(1):
        assert email_wording_effective(tenant=acme.tenant, key="applications.declined")[2] is False


# --- The safe formatter ---------------------------------------------------------------------


def test_template_code_is_refused_on_save_and_never_runs(acme, unscoped):
    for text in ("{{ 7*7 }}", "{% load static %}", "{first_name.__class__}", "{0}", "a } b"):
        with pytest.raises(WordingError):
            _override(acme, "applications.rejected", intro=text)
    assert not EmailWording.objects.filter(tenant=acme.tenant).exists()
    # A stored text (saved before a rule, or written around it) is sent literally.
    EmailWording.objects.create(
        tenant=acme.tenant,
        key="notifications.partner_assigned",
        subject="{{ 7*7 }} {% now 'Y' %}",
        intro="{% load static %}{{ tenant.name }} {first_name} {nope}",
    )
    rendered = email_render(
        tenant=acme.tenant,
        key="notifications.partner_assigned",
        context=sample_context(acme.tenant),
    )
    assert rendered.subject == "{{ 7*7 }} {% now 'Y' %}"
    assert "{% load static %}{{ tenant.name }} Sam {nope}" in rendered.text
    assert "49" not in rendered.subject


def test_unknown_variable_is_refused_with_the_list_of_allowed_ones():
    errors = wording_errors("Hi {firstname}", EMAILS["applications.approved"].names)
    assert len(errors) == 1
    assert "{firstname}" in errors[0] and "{first_name}" in errors[0]
    assert "{partner_name}" in errors[0]
    assert wording_errors("Hi {first_name}", EMAILS["applications.approved"].names) == []


def test_values_are_substituted_once():
    assert wording_format("{a} {b}", {"a": "{b}", "b": "x"}) == "{b} x"


def test_values_and_wording_are_escaped_in_the_html_part(acme, unscoped):
    _override(
        acme,
        "notifications.partner_assigned",
        subject="New: {partner_name}",
        intro="<b>Look</b> at {partner_name}\n\nSecond paragraph.",
    )
    context = sample_context(acme.tenant)
    context["partner"].name = "<script>alert(1)</script>\nAcme"
    rendered = email_render(
        tenant=acme.tenant, key="notifications.partner_assigned", context=context
    )
    assert "<script>" not in rendered.html and "<b>Look" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&lt;b&gt;Look&lt;/b&gt;" in rendered.html
    assert "Second paragraph.</p>" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text  # plain text is plain
    assert "\n" not in rendered.subject  # never a line break in a mail header


# --- Saving, resetting, audit, races -----------------------------------------------------------


def test_save_and_reset_are_audited_with_before_and_after(acme, unscoped):
    default = EMAILS["applications.rejected"]
    _override(acme, "applications.rejected", subject="One", intro="First.")
    _override(acme, "applications.rejected", subject="Two", intro="First.")
    _override(acme, "applications.rejected", subject="Two", intro="First.")  # no change
    changed = _events(acme, "email_wording.changed")
    assert [e.data["to"]["subject"] for e in changed] == ["One", "Two"]
    assert changed[0].data["from"] == {"subject": str(default.subject), "intro": str(default.intro)}
    assert changed[1].data["from"]["subject"] == "One"
    with scope(tenant=acme.tenant):
        assert email_wording_reset(
            tenant=acme.tenant, actor=acme.admin, key="applications.rejected"
        )
        assert not email_wording_reset(
            tenant=acme.tenant, actor=acme.admin, key="applications.rejected"
        )
    (reset,) = _events(acme, "email_wording.reset")
    assert reset.data["from"]["subject"] == "Two"
    assert reset.data["to"]["subject"] == str(default.subject)
    assert not EmailWording.objects.filter(tenant=acme.tenant).exists()


def test_saving_the_default_wording_removes_the_override(acme, unscoped):
    email = EMAILS["home.staff_invitation"]
    _override(acme, email.key)
    assert _override(acme, email.key, subject=str(email.subject), intro=str(email.intro)) is None
    assert not EmailWording.objects.filter(tenant=acme.tenant).exists()


def test_unknown_key_is_refused(acme):
    with pytest.raises(KeyError):
        _override(acme, "nope.nothing")


@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_the_first_override_at_once_leave_one(acme, unscoped):
    key = "applications.declined"
    results = race(
        in_scope(
            acme.tenant,
            email_wording_save,
            actor=acme.admin,
            key=key,
            subject="A",
            intro="From A.",
        ),
        in_scope(
            acme.tenant,
            email_wording_save,
            actor=acme.admin,
            key=key,
            subject="B",
            intro="From B.",
        ),
    )
    assert all(isinstance(r, EmailWording) for r in results), results
    (row,) = EmailWording.objects.filter(tenant=acme.tenant, key=key)
    assert row.subject in ("A", "B")
    assert len(_events(acme, "email_wording.changed")) == 2
