"""The console queue, the application page and its decisions, settings, and the portal's
Team requests, through HTTP."""

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.applications.models import Application, ApplicationStatus, ProgramSettings
from apps.applications.services import application_approve
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerType, PartnerUser
from apps.tenancy.models import Role
from tests.applications.conftest import (
    apply_and_confirm,
    configure,
    links_in,
    path_of,
    reload,
    reseller,
    submit,
)

pytestmark = pytest.mark.django_db

S = ApplicationStatus
QUEUE = "/console/applications/"


def _pending(program, email, **kwargs):
    return apply_and_confirm(program, email, **kwargs).application


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- The queue -------------------------------------------------------------------------------


def test_queue_lists_pending_applications_newest_first(acme, client_for):
    configure(acme, domain_matching=True)
    _pending(acme, "a@gmail.com", company="Alpha")
    _pending(acme, "b@one.acme.test", company="Beta")
    submit(acme, "c@initech.example", company="Gamma")  # unconfirmed: not in "Pending"
    response = client_for(acme, acme.cam).get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Beta") < html.index("Alpha")
    assert "Gamma" not in html
    assert "Acme Partner One" in html  # Beta's match
    assert "Public email" in html
    assert 'name="ids"' in html and "Approve as new partners" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=unconfirmed", {"Gamma"}),
        ("?status=all", {"Alpha", "Beta", "Gamma", "Delta"}),
        ("?matched=yes", {"Beta"}),
        ("?matched=no", {"Alpha", "Delta"}),
        ("?source=invited", {"Delta"}),
        ("?source=self", {"Alpha", "Beta"}),
        ("?q=beta", {"Beta"}),
        ("?q=gmail", {"Alpha"}),
    ],
)
def test_queue_filters(acme, client_for, query, expected):
    from apps.applications.services import Applicant, application_submit, invitations_send

    configure(acme, domain_matching=True)
    _pending(acme, "a@gmail.com", company="Alpha")
    _pending(acme, "b@one.acme.test", company="Beta")
    submit(acme, "c@initech.example", company="Gamma")
    with scope(tenant=acme.tenant):
        (invitation,) = invitations_send(
            tenant=acme.tenant, actor=acme.cam, emails=["d@yahoo.com"], partner_type=reseller(acme)
        ).sent
        application_submit(
            tenant=acme.tenant,
            applicant=Applicant(
                email="d@yahoo.com",
                first_name="D",
                last_name="D",
                company="Delta",
                partner_type=reseller(acme),
            ),
            invitation=invitation,
            email_verified=True,
        )
    html = client_for(acme, acme.cam).get(QUEUE + query).content.decode()
    shown = {
        name for name in ("Alpha", "Beta", "Gamma", "Delta") if f"<strong>{name}</strong>" in html
    }
    assert shown == expected


def test_queue_filter_by_type_and_htmx_partial(acme, client_for):
    with scope(tenant=acme.tenant):
        msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
    _pending(acme, "a@alpha.example", company="Alpha")
    _pending(acme, "b@beta.example", company="Beta", partner_type=msp)
    client = client_for(acme, acme.cam)
    response = client.get(QUEUE + f"?type={msp.pk}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<strong>Beta</strong>" in html and "<strong>Alpha</strong>" not in html
    assert "<html" not in html  # the partial only
    assert "HX-Request" in response["Vary"]


def test_empty_queue_invites_to_invite(acme, client_for):
    html = client_for(acme, acme.cam).get(QUEUE).content.decode()
    assert "No applications waiting" in html


def test_console_nav_shows_applications_with_the_pending_count(acme, client_for):
    _pending(acme, "a@alpha.example")
    _pending(acme, "b@beta.example")
    html = client_for(acme, acme.cam).get("/console/").content.decode()
    assert 'href="/console/applications/"' in html
    assert '<span class="nav__count">2<span class="sr-only"> pending</span>' in html


# --- One application and its decisions -------------------------------------------------------


def test_detail_shows_everything_and_proposes_the_matched_account(acme, client_for):
    configure(
        acme,
        domain_matching=True,
        questions=[{"key": "reps", "label": "Sales reps", "kind": "number", "required": False}],
    )
    app = _pending(acme, "newbie@one.acme.test", company="One Newbie Ltd")
    with scope(tenant=acme.tenant):
        Application.objects.filter(pk=app.pk).update(
            message="Hello there", answers=[{"key": "reps", "label": "Sales reps", "value": "7"}]
        )
    html = client_for(acme, acme.cam).get(f"{QUEUE}{app.pk}/").content.decode()
    for text in (
        "One Newbie Ltd",
        "newbie@one.acme.test",
        "Hello there",
        "Sales reps",
        "Matching partner",
        "Approve as new partner",
        "Add to partner account",
        "Reject",
        "belongs to Acme Partner One",
    ):
        assert text in html, text
    assert f'name="account" value="{acme.partner.pk}" checked' in html


def test_account_search_offers_any_account(acme, client_for):
    app = _pending(acme, "x@initech.example")
    client = client_for(acme, acme.cam)
    html = client.get(f"{QUEUE}{app.pk}/?account_q=two.acme").content.decode()
    assert f'value="{acme.other_partner.pk}"' in html
    partial = client.get(
        f"{QUEUE}{app.pk}/?partial=accounts&account_q=Partner", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial
    assert "Acme Partner One" in partial and "Acme Partner Two" in partial


def test_approve_from_the_console_with_another_type(acme, client_for):
    app = _pending(acme, "x@initech.example")
    with scope(tenant=acme.tenant):
        msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
    client = client_for(acme, acme.cam)
    response = client.post(f"{QUEUE}{app.pk}/approve/", {"partner_type": msp.pk}, follow=True)
    assert "Initech is approved as a new partner." in _messages(response)
    app = reload(acme, app)
    assert app.status == S.APPROVED and app.decided_by == acme.cam and app.decided_via == "console"
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.get(pk=app.partner_account_id).partner_type == msp
    # Decisions are final: a second decision is refused with who decided what.
    again = client.post(f"{QUEUE}{app.pk}/reject/", {"reason": "late"}, follow=True)
    (message,) = _messages(again)
    assert "already approved as a new partner by Casey Cam" in message
    assert reload(acme, app).status == S.APPROVED


def test_add_to_an_existing_account_creates_only_the_user(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    app = _pending(acme, "x@initech.example", first="Xena", last="Ample")
    with scope(tenant=acme.tenant):
        accounts = PartnerAccount.objects.count()
    client = client_for(acme, acme.cam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{QUEUE}{app.pk}/add/", {"account": acme.other_partner.pk})
    assert response.status_code == 302
    app = reload(acme, app)
    assert app.status == S.ADDED and app.partner_account == acme.other_partner
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.count() == accounts
        link = PartnerUser.objects.select_related("membership").get(
            membership__user__email="x@initech.example"
        )
        assert link.account == acme.other_partner
        assert link.membership.role == Role.PARTNER_USER
    (mail,) = [m for m in mailoutbox if m.to == ["x@initech.example"]]
    assert "Acme Partner Two" in mail.subject
    assert "/accounts/password/reset/key/" in mail.body


def test_add_needs_an_account_of_this_program(acme, globex, client_for):
    app = _pending(acme, "x@initech.example")
    client = client_for(acme, acme.cam)
    for data in ({}, {"account": globex.partner.pk}, {"account": "abc"}):
        response = client.post(f"{QUEUE}{app.pk}/add/", data, follow=True)
        assert _messages(response), data
        assert reload(acme, app).status == S.PENDING


def test_reject_with_reason_and_email(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    configure(acme, rejection_intro="Thanks, but we are full this year.")
    app = _pending(acme, "x@initech.example")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(acme, acme.cam).post(
            f"{QUEUE}{app.pk}/reject/", {"reason": "No presence in our markets", "notify": "on"}
        )
    app = reload(acme, app)
    assert app.status == S.REJECTED and app.decision_reason == "No presence in our markets"
    (mail,) = [m for m in mailoutbox if m.to == ["x@initech.example"]]
    assert "Thanks, but we are full this year." in mail.body
    assert "No presence in our markets" in mail.body
    with scope(tenant=acme.tenant):
        event = AuditEvent.objects.get(verb="application.rejected")
    assert event.data["from"] == "pending" and event.data["to"] == "rejected"
    assert event.actor == acme.cam


def test_reject_without_email_sends_nothing(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    app = _pending(acme, "x@initech.example")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(acme, acme.cam).post(f"{QUEUE}{app.pk}/reject/", {})
    assert reload(acme, app).status == S.REJECTED
    assert [m for m in mailoutbox if m.to == ["x@initech.example"]] == []


def test_an_unconfirmed_application_cannot_be_decided(acme, client_for):
    app = submit(acme, "x@initech.example").application
    response = client_for(acme, acme.cam).post(
        f"{QUEUE}{app.pk}/approve/", {"partner_type": reseller(acme).pk}, follow=True
    )
    assert "has not confirmed their email address yet" in _messages(response)[0]
    assert reload(acme, app).status == S.UNCONFIRMED


def test_the_page_offers_only_the_decisions_the_table_allows(acme, client_for):
    client = client_for(acme, acme.cam)
    unconfirmed = submit(acme, "x@initech.example").application
    html = client.get(f"{QUEUE}{unconfirmed.pk}/").content.decode()
    assert "Waiting for email confirmation" in html
    assert f"{QUEUE}{unconfirmed.pk}/approve/" not in html
    assert f"{QUEUE}{unconfirmed.pk}/reject/" not in html
    pending = _pending(acme, "y@initech.example")
    html = client.get(f"{QUEUE}{pending.pk}/").content.decode()
    for event in ("approve", "add", "reject"):
        assert f"{QUEUE}{pending.pk}/{event}/" in html
    # Bulk decisions only on the list whose rows may all be decided.
    assert 'name="ids"' in client.get(QUEUE).content.decode()
    for status in ("unconfirmed", "approved", "all"):
        html = client.get(QUEUE, {"status": status}).content.decode()
        assert 'name="ids"' not in html and "Approve as new partners" not in html


def test_bulk_approve_and_reject(acme, client_for):
    apps = [_pending(acme, f"p{i}@c{i}.example", company=f"Company {i}") for i in range(4)]
    with scope(tenant=acme.tenant):
        application_approve(tenant=acme.tenant, actor=acme.admin, application_id=apps[0].pk)
    client = client_for(acme, acme.cam)
    response = client.post(
        f"{QUEUE}bulk/",
        {"ids": [apps[0].pk, apps[1].pk, apps[2].pk], "decision": "approve"},
        follow=True,
    )
    messages = _messages(response)
    assert "2 applications approved." in messages
    assert any("already approved as a new partner by Ada Admin" in m for m in messages)
    assert [reload(acme, a).status for a in apps] == [S.APPROVED, S.APPROVED, S.APPROVED, S.PENDING]
    response = client.post(
        f"{QUEUE}bulk/", {"ids": [apps[3].pk], "decision": "reject", "reason": "dup"}, follow=True
    )
    assert "1 application rejected." in _messages(response)
    assert reload(acme, apps[3]).decision_reason == "dup"


def test_bulk_without_a_selection_says_so(acme, client_for):
    response = client_for(acme, acme.cam).post(
        f"{QUEUE}bulk/", {"decision": "approve"}, follow=True
    )
    assert "Select at least one application" in _messages(response)[0]


# --- Settings --------------------------------------------------------------------------------


def test_program_admin_edits_settings(acme, client_for):
    client = client_for(acme, acme.admin)
    page = client.get(f"{QUEUE}settings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "hotmail.co.uk" in html and "Domain matching" in html  # the maintained list
    data = {
        "auto_onboarding": "on",
        "domain_matching": "on",
        "public_mail_domains": "gmail.com\nOutlook.com\n@corp-mail.example",
        "cam_assignment": "region",
        "region_emea": str(acme.cam.pk),
        "confirmation_intro": "Hi!",
        "approval_intro": "Welcome!",
        "rejection_intro": "Sorry.",
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
        "questions-0-label": "Sales reps",
        "questions-0-kind": "number",
        "questions-0-required": "on",
        "questions-1-label": "Focus",
        "questions-1-kind": "choice",
        "questions-1-choices": "SMB\nEnterprise",
        "questions-2-label": "",
    }
    response = client.post(f"{QUEUE}settings/", data)
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        row = ProgramSettings.objects.get(tenant=acme.tenant)
        assert AuditEvent.objects.filter(verb="applications.settings_changed").count() == 1
    assert row.auto_onboarding and row.domain_matching
    assert row.public_mail_domains == ["corp-mail.example", "gmail.com", "outlook.com"]
    assert row.cam_assignment == "region" and row.region_cams == {"emea": acme.cam.pk}
    assert [q["key"] for q in row.questions] == ["sales_reps", "focus"]  # core.questions
    assert row.questions[1]["choices"] == ["SMB", "Enterprise"]
    # Renaming a question keeps its key (answers stay comparable).
    data.update({"questions-0-key": "sales_reps", "questions-0-label": "Number of sales reps"})
    client.post(f"{QUEUE}settings/", data)
    with scope(tenant=acme.tenant):
        row.refresh_from_db()
    assert row.questions[0] == {
        "key": "sales_reps",
        "label": "Number of sales reps",
        "kind": "number",
        "required": True,
        "choices": [],
        "help": "",
    }


def test_settings_errors_are_422_and_save_nothing(acme, client_for):
    response = client_for(acme, acme.admin).post(
        f"{QUEUE}settings/",
        {
            "public_mail_domains": "gmail.com\nnot a domain",
            "cam_assignment": "round_robin",
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "0",
            "questions-0-label": "Focus",
            "questions-0-kind": "choice",
            "questions-0-choices": "Only one",
        },
    )
    assert response.status_code == 422
    assert b"Give at least two choices" in response.content
    with scope(tenant=acme.tenant):
        # The program's default settings (installed with it) are unchanged.
        assert ProgramSettings.objects.get().questions == []
        assert not AuditEvent.objects.filter(verb="applications.settings_changed").exists()


def test_cams_cannot_change_settings(acme, client_for):
    client = client_for(acme, acme.cam)
    assert client.get(f"{QUEUE}settings/").status_code == 403
    assert client.post(f"{QUEUE}settings/", {"auto_onboarding": "on"}).status_code == 403
    assert b"/console/applications/settings/" not in client.get(QUEUE).content


# --- The portal's Team requests --------------------------------------------------------------


REQUESTS = "/portal/team-requests/"


def test_partner_admin_sees_only_their_own_accounts_applicants(acme, client_for):
    configure(acme, domain_matching=True)
    mine = _pending(acme, "new@one.acme.test", first="Mina")
    other = _pending(acme, "new@two.acme.test", first="Otto")
    _pending(acme, "someone@gmail.com", first="Gus")
    html = client_for(acme, acme.partner_admin).get(REQUESTS).content.decode()
    assert "Mina" in html and "Otto" not in html and "Gus" not in html
    other_admin = client_for(acme, acme.other_partner_user)
    assert other_admin.post(f"{REQUESTS}{mine.pk}/add/").status_code == 404
    assert other_admin.post(f"{REQUESTS}{mine.pk}/decline/").status_code == 404
    assert reload(acme, mine).status == S.PENDING
    assert reload(acme, other).status == S.PENDING


def test_portal_nav_shows_team_requests_to_partner_admins_only(acme, client_for):
    assert b"Team requests" in client_for(acme, acme.partner_admin).get("/portal/").content
    assert b"Team requests" not in client_for(acme, acme.partner_user).get("/portal/").content
    assert client_for(acme, acme.partner_user).get(REQUESTS).status_code == 403


def test_partner_admin_adds_an_applicant_to_the_team(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    configure(acme, domain_matching=True)
    app = _pending(acme, "new@one.acme.test", first="Mina", last="Kay")
    client = client_for(acme, acme.partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{REQUESTS}{app.pk}/add/", follow=True)
    assert "Mina Kay is now on your team." in _messages(response)[0]
    app = reload(acme, app)
    assert (app.status, app.decided_via, app.decided_by) == (S.ADDED, "portal", acme.partner_admin)
    with scope(tenant=acme.tenant):
        link = PartnerUser.objects.get(membership__user__email="new@one.acme.test")
    assert link.account == acme.partner
    assert [m.to for m in mailoutbox if "reset/key" in m.body] == [["new@one.acme.test"]]
    assert "Added to your team" in response.content.decode()


def test_partner_admin_declines(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    configure(acme, domain_matching=True)
    app = _pending(acme, "new@one.acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(acme, acme.partner_admin).post(f"{REQUESTS}{app.pk}/decline/")
    assert reload(acme, app).status == S.DECLINED
    assert [m.subject for m in mailoutbox if m.to == ["new@one.acme.test"]] == [
        "Your request to join Acme Partner One"
    ]
    # The CAM sees the partner's decision and cannot override it.
    html = client_for(acme, acme.cam).get(f"{QUEUE}{app.pk}/").content.decode()
    assert "Declined by the partner" in html and "Approve as new partner" not in html


def test_whoever_decides_first_wins_and_the_other_sees_it(acme, client_for):
    configure(acme, domain_matching=True)
    app = _pending(acme, "new@one.acme.test")
    client_for(acme, acme.cam).post(
        f"{QUEUE}{app.pk}/approve/", {"partner_type": reseller(acme).pk}
    )
    response = client_for(acme, acme.partner_admin).post(f"{REQUESTS}{app.pk}/add/", follow=True)
    (message,) = _messages(response)
    assert "already approved as a new partner by Casey Cam" in message
    html = response.content.decode()
    assert "Approved as a separate partner" in html and "by the Acme Program team" in html
    assert reload(acme, app).status == S.APPROVED


# --- Set-password link -----------------------------------------------------------------------


def test_the_welcome_link_sets_a_password_and_signs_in_to_the_portal(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    configure(acme, auto_onboarding=True)
    with django_capture_on_commit_callbacks(execute=True):
        apply_and_confirm(acme, "peter@initech.example")
    (mail,) = [m for m in mailoutbox if m.to == ["peter@initech.example"]]
    link = path_of(next(u for u in links_in(mail) if "/reset/key/" in u))
    client = client_for(acme)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    set_password_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(
        set_password_url,
        {"password1": "a-long-new-password-42", "password2": "a-long-new-password-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    user = get_user_model().objects.get(email="peter@initech.example")
    assert user.check_password("a-long-new-password-42")
    # One-time: the link no longer works.
    again = client_for(acme).get(link, follow=True)
    assert b"password" in again.content.lower()
    assert not any("set-password" in url for url, _ in again.redirect_chain)


# --- Query counts ----------------------------------------------------------------------------


def _bulk_pending(program, n):
    """n pending applications, inserted directly (the services are tested elsewhere)."""
    from django.utils import timezone

    now = timezone.now()
    with scope(tenant=program.tenant):
        types = list(PartnerType.objects.filter(tenant=program.tenant))
        Application.objects.bulk_create(
            Application(
                tenant=program.tenant,
                email=f"p{i}@bulk{i}.example",
                email_domain=f"bulk{i}.example",
                first_name=f"P{i}",
                last_name="Bulk",
                company=f"Bulk {i}",
                partner_type=types[i % len(types)],
                status=S.PENDING,
                rule="domain_matched" if i % 3 == 0 else "manual",
                matched_account=program.partner if i % 3 == 0 else None,
                source="invited" if i % 2 else "self",
                confirmed_at=now,
            )
            for i in range(n)
        )


@pytest.mark.parametrize("n", [10, 200])
@pytest.mark.parametrize(
    "query", ["", "?status=all", "?matched=yes&source=invited", "?q=bulk", "?page=2"]
)
def test_queue_query_count_is_constant(acme, client_for, django_assert_max_num_queries, n, query):
    _bulk_pending(acme, n)
    client = client_for(acme, acme.cam)
    # Session, user, membership, the layout's badges (alerts, work queue), then the page:
    # types, count, rows, status counts. Constant in the number of applications.
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE + query)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_portal_requests_query_count_is_constant(
    acme, client_for, django_assert_max_num_queries, n
):
    _bulk_pending(acme, n)
    client = client_for(acme, acme.partner_admin)
    with django_assert_max_num_queries(12):
        response = client.get(REQUESTS)
    assert response.status_code == 200


def test_detail_query_count(acme, client_for, django_assert_max_num_queries):
    configure(acme, domain_matching=True)
    app = _pending(acme, "new@one.acme.test")
    client = client_for(acme, acme.cam)
    # 16: the layout's work-queue badge and saved Explorer views are read once per session
    # (cached afterwards).
    with django_assert_max_num_queries(16):
        response = client.get(f"{QUEUE}{app.pk}/?account_q=partner")
    assert response.status_code == 200
