"""The public form, email confirmation and its links: duplicates, enumeration, replay,
expiry, resend, rate limits and the honeypot."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_scopes import scope

from apps.applications.models import Application, ApplicationStatus
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount
from tests.applications.conftest import (
    apply_and_confirm,
    configure,
    confirm,
    issue_token,
    links_in,
    path_of,
    reload,
    reseller,
    submit,
)

pytestmark = pytest.mark.django_db

S = ApplicationStatus


def _form(program, email, **overrides):
    data = {
        "company": "Initech",
        "website": "initech.example",
        "first_name": "Peter",
        "last_name": "Gibbons",
        "email": email,
        "phone": "+1 555 0100",
        "country": "US",
        "partner_type": reseller(program).pk,
        "message": "We sell TPS report software.",
    }
    data.update(overrides)
    return data


def _apps(program, email=None):
    with scope(tenant=program.tenant):
        rows = Application.objects.filter(tenant=program.tenant)
        if email:
            rows = rows.filter(email=email)
        return list(rows)


# --- The form --------------------------------------------------------------------------------


def test_form_shows_the_contract_labels_and_the_tenants_types(acme, client_for):
    response = client_for(acme).get("/apply/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Company", "Email", "First name", "Last name"):
        assert f">{label}</label>" in html, label
    assert ">Apply</button>" in html
    assert "Managed Service Provider" in html
    assert "csrfmiddlewaretoken" in html


def test_form_is_only_on_a_tenant_host(db, client):
    assert client.get("/apply/", HTTP_HOST="nowhere.localhost").status_code == 404


def test_a_valid_application_is_stored_unconfirmed_and_the_link_is_mailed(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(acme).post("/apply/", _form(acme, "Peter@Initech.Example"))
    assert response.status_code == 302 and response["Location"] == "/apply/sent/"
    (app,) = _apps(acme)
    assert app.status == S.UNCONFIRMED and app.confirmed_at is None
    assert (app.email, app.email_domain, app.website) == (
        "peter@initech.example",
        "initech.example",
        "https://initech.example",
    )
    (mail,) = mailoutbox
    assert mail.to == ["peter@initech.example"]
    assert mail.subject == "Confirm your application to Acme Program"
    link = next(u for u in links_in(mail) if "/apply/confirm/" in u)
    assert link.startswith("http://acme.localhost/apply/confirm/")
    # Only a hash of the secret is stored.
    assert app.confirm_token_hash and app.confirm_token_hash not in link


def test_invalid_form_is_422_and_stores_nothing(acme, client_for):
    client = client_for(acme)
    response = client.post("/apply/", _form(acme, "not-an-email"))
    assert response.status_code == 422
    assert _apps(acme) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("company", "x" * 201),
        ("first_name", "x" * 101),
        ("message", "x" * 2001),
        ("phone", "call me maybe"),
        ("email", "a" * 250 + "@x.example"),
        ("website", "https://" + "x" * 200 + ".example"),
    ],
)
def test_input_length_and_format_limits(acme, client_for, field, value):
    data = _form(acme, "p@initech.example")
    data[field] = value
    response = client_for(acme).post("/apply/", data)
    assert response.status_code == 422
    assert _apps(acme) == []


def test_another_tenants_partner_type_is_refused(acme, globex, client_for):
    response = client_for(acme).post(
        "/apply/", _form(acme, "p@initech.example", partner_type=reseller(globex).pk)
    )
    assert response.status_code == 422
    assert _apps(acme) == []


def test_csrf_is_required(acme):
    client = Client(headers={"host": acme.host}, enforce_csrf_checks=True)
    assert client.post("/apply/", _form(acme, "p@initech.example")).status_code == 403
    assert _apps(acme) == []


def test_the_honeypot_answers_like_success_and_stores_nothing(acme, client_for, mailoutbox):
    response = client_for(acme).post(
        "/apply/", _form(acme, "bot@spam.example", hp_site_ref="http://spam.example")
    )
    assert response.status_code == 302 and response["Location"] == "/apply/sent/"
    assert _apps(acme) == [] and mailoutbox == []


def test_extra_questions_are_asked_and_stored_with_their_labels(acme, client_for):
    configure(
        acme,
        questions=[
            {"key": "reps", "label": "Sales reps", "kind": "number", "required": True},
            {
                "key": "focus",
                "label": "Main market",
                "kind": "choice",
                "choices": ["SMB", "Enterprise"],
                "required": False,
            },
        ],
    )
    client = client_for(acme)
    assert "Sales reps" in client.get("/apply/").content.decode()
    assert client.post("/apply/", _form(acme, "p@initech.example")).status_code == 422
    response = client.post("/apply/", _form(acme, "p@initech.example", q_reps="12", q_focus="SMB"))
    assert response.status_code == 302
    (app,) = _apps(acme)
    assert app.answers == [
        {"key": "reps", "label": "Sales reps", "value": "12"},
        {"key": "focus", "label": "Main market", "value": "SMB"},
    ]


# --- Duplicates and enumeration --------------------------------------------------------------


def test_reapplying_while_pending_creates_no_duplicate(acme, eager, mailoutbox):
    first = apply_and_confirm(acme, "peter@initech.example").application
    again = submit(acme, "PETER@initech.example", company="Initech Again")
    assert again.outcome == "already_pending"
    assert [a.pk for a in _apps(acme)] == [first.pk]
    assert reload(acme, first).company == "Initech"


def test_reapplying_while_unconfirmed_replaces_it_and_the_old_link_stops_working(acme):
    first = submit(acme, "peter@initech.example").application
    old = issue_token(acme, first)
    second = submit(acme, "peter@initech.example", company="Initech Corp")
    assert second.outcome == "updated" and second.application.pk == first.pk
    new = issue_token(acme, first)
    assert confirm(acme, old).state == "invalid"
    assert confirm(acme, new).state == "confirmed"
    assert reload(acme, first).company == "Initech Corp"
    assert len(_apps(acme)) == 1


def test_a_member_gets_no_application(acme):
    result = submit(acme, acme.partner_user.email.upper())
    assert result.outcome == "already_member" and result.application is None
    assert _apps(acme) == []


def test_closed_applications_do_not_block_a_new_one(acme):
    from apps.applications.services import application_reject

    first = apply_and_confirm(acme, "peter@initech.example").application
    with scope(tenant=acme.tenant):
        application_reject(tenant=acme.tenant, actor=acme.cam, application_id=first.pk)
    second = submit(acme, "peter@initech.example")
    assert second.outcome == "new" and second.application.pk != first.pk


def test_the_database_refuses_two_open_applications_for_one_address(acme):
    from django.db import IntegrityError, transaction

    submit(acme, "peter@initech.example")
    with scope(tenant=acme.tenant), pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(
            tenant=acme.tenant,
            email="peter@initech.example",
            email_domain="initech.example",
            first_name="P",
            last_name="G",
            company="Dup",
            partner_type=reseller(acme),
        )


def test_responses_are_identical_for_new_pending_unconfirmed_and_member_addresses(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    apply_and_confirm(acme, "pending@initech.example")
    submit(acme, "unconfirmed@initech.example")
    cases = {
        "new": "new@initech.example",
        "pending": "pending@initech.example",
        "unconfirmed": "unconfirmed@initech.example",
        "member": acme.partner_user.email,
        "staff": acme.cam.email,
    }
    seen = {}
    for name, email in cases.items():
        client = client_for(acme)
        client.get("/apply/")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/apply/", _form(acme, email), REMOTE_ADDR=f"10.0.0.{len(seen)}")
        follow = client.get(response["Location"])
        seen[name] = (
            response.status_code,
            response["Location"],
            response.content,
            sorted(response.cookies.keys()),
            follow.status_code,
            # Each client has its own CSRF token: the one difference allowed.
            re.sub(rb'"X-CSRFToken": "[^"]+"', b"", follow.content),
        )
    first = next(iter(seen.values()))
    for name, value in seen.items():
        assert value == first, name
    # Each address's owner got a mail saying what applies to them (nobody else can see it).
    by_address = {m.to[0]: m.subject for m in mailoutbox}
    assert by_address["new@initech.example"].startswith("Confirm your application")
    assert by_address["unconfirmed@initech.example"].startswith("Confirm your application")
    assert by_address["pending@initech.example"].startswith("We already have your application")
    assert by_address[acme.partner_user.email].startswith("You already have access")
    assert by_address[acme.cam.email].startswith("You already have access")


# --- Confirmation links: replay, expiry, resend -----------------------------------------------


def test_confirming_twice_changes_nothing_the_second_time(acme, client_for):
    configure(acme, auto_onboarding=True)
    app = submit(acme, "peter@initech.example").application
    link = f"/apply/confirm/{issue_token(acme, app)}/"
    client = client_for(acme)
    first = client.get(link)
    assert first.status_code == 200 and b"Welcome to Acme Program" in first.content
    with scope(tenant=acme.tenant):
        before = AuditEvent.objects.count()
        accounts = PartnerAccount.objects.count()
    again = client.get(link)
    assert again.status_code == 200
    assert b"already used" in again.content
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.count() == before
        assert PartnerAccount.objects.count() == accounts
    assert reload(acme, app).status == S.APPROVED


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(acme, client_for):
    app = submit(acme, "peter@initech.example").application
    token = issue_token(acme, app)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = client_for(acme).get(f"/apply/confirm/{token}/")
        assert response.status_code == 410
        assert b"This link has expired" in response.content
        assert confirm(acme, token).state == "expired"
    assert reload(acme, app).status == S.UNCONFIRMED


def test_a_link_is_valid_until_its_expiry(acme):
    app = submit(acme, "peter@initech.example").application
    token = issue_token(acme, app)
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        assert confirm(acme, token).state == "confirmed"


def test_the_database_expiry_is_checked_too(acme):
    app = submit(acme, "peter@initech.example").application
    token = issue_token(acme, app)
    with scope(tenant=acme.tenant):
        Application.objects.filter(pk=app.pk).update(
            confirm_expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert confirm(acme, token).state == "expired"
    assert reload(acme, app).status == S.UNCONFIRMED


@pytest.mark.parametrize("token", ["garbage", "a" * 43 + ".xyz.abc", "x" * 300])
def test_forged_links_are_404(acme, client_for, token):
    response = client_for(acme).get(f"/apply/confirm/{token}/")
    assert response.status_code == 404
    assert b"This link doesn" in response.content


def test_another_programs_link_is_404_here(acme, globex, client_for):
    app = submit(acme, "peter@initech.example").application
    token = issue_token(acme, app)
    assert client_for(globex).get(f"/apply/confirm/{token}/").status_code == 404
    assert reload(acme, app).status == S.UNCONFIRMED


def test_resend_sends_a_new_link_and_says_the_same_for_unknown_addresses(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    submit(acme, "peter@initech.example")
    client = client_for(acme)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/apply/resend/", {"email": "peter@initech.example"})
        unknown = client.post("/apply/resend/", {"email": "nobody@initech.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/apply/sent/?resent=1"
    (mail,) = mailoutbox
    assert mail.to == ["peter@initech.example"]
    link = next(u for u in links_in(mail) if "/apply/confirm/" in u)
    assert client.get(path_of(link)).status_code == 200


# --- Rate limits ------------------------------------------------------------------------------


def test_ten_applications_an_hour_per_ip_then_a_clear_message_and_nothing_stored(acme, client_for):
    client = client_for(acme)
    for i in range(10):
        response = client.post("/apply/", _form(acme, f"p{i}@initech.example"))
        assert response.status_code == 302, i
    response = client.post("/apply/", _form(acme, "p10@initech.example"))
    assert response.status_code == 429
    assert b"wait an hour" in response.content
    assert len(_apps(acme)) == 10
    # Another address from another network is unaffected ...
    other = client.post("/apply/", _form(acme, "q@initech.example"), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302
    # ... and once the last hour holds fewer than ten, this network may apply again.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert client.post("/apply/", _form(acme, "p11@initech.example")).status_code == 302


def test_three_applications_an_hour_per_address(acme, client_for, mailoutbox):
    client = client_for(acme)
    for i in range(3):
        response = client.post(
            "/apply/", _form(acme, "peter@initech.example"), REMOTE_ADDR=f"10.0.1.{i}"
        )
        assert response.status_code == 302
    with scope(tenant=acme.tenant):
        audits = AuditEvent.objects.count()
    response = client.post(
        "/apply/", _form(acme, "Peter@Initech.example", company="X"), REMOTE_ADDR="10.0.1.9"
    )
    assert response.status_code == 429
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.count() == audits
    assert reload(acme, _apps(acme)[0]).company == "Initech"


def test_the_limit_does_not_depend_on_whether_the_address_is_known(acme, client_for):
    """A member's address and an unknown one are refused at the same count."""
    client = client_for(acme)
    for email in (acme.partner_user.email, "unknown@initech.example"):
        codes = [
            client.post("/apply/", _form(acme, email), REMOTE_ADDR=f"10.1.{i}.1").status_code
            for i in range(4)
        ]
        assert codes == [302, 302, 302, 429], email


def test_resend_is_rate_limited(acme, client_for):
    client = client_for(acme)
    codes = [
        client.post("/apply/resend/", {"email": "p@initech.example"}).status_code for _ in range(4)
    ]
    assert codes == [302, 302, 302, 429]


def test_limits_are_per_program(acme, globex, client_for):
    for i in range(10):
        client_for(acme).post("/apply/", _form(acme, f"p{i}@initech.example"))
    assert client_for(acme).post("/apply/", _form(acme, "x@i.example")).status_code == 429
    assert client_for(globex).post("/apply/", _form(globex, "x@i.example")).status_code == 302
