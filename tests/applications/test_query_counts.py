"""How many queries the application path costs, through HTTP: the public form, the
confirmation link with each decision it makes, and the people's decisions afterwards.

The bounds hold the numbers of docs/performance.md ("Applications"). Counts include the test
transaction's SAVEPOINT/RELEASE around the outermost `transaction.atomic` (in production that
block is a plain BEGIN/COMMIT, which Django does not count). Issue 15 took the confirmation
with an automatic approval from 61 queries to 47 here, the confirmation that queues a
matched applicant from 19 to 12 (manual review: 13 to 6), a CAM's approval from 45 to 42,
an addition to an existing account from 30 to 29, and wrote the side effects of a decision
in one outbox INSERT.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.applications.models import Application, ApplicationStatus
from apps.outbox.models import OutboxMessage
from apps.tenancy.models import Role
from tests.applications.conftest import configure, issue_token, reseller, submit
from tests.conftest import Program

pytestmark = pytest.mark.django_db

S = ApplicationStatus

SUBMIT_MAX = 12
CONFIRM_APPROVE_MAX = 47
CONFIRM_PENDING_MAX = 12
CONFIRM_PENDING_MANUAL_MAX = 6
CAM_APPROVE_MAX = 42
CAM_ADD_MAX = 29
TEAM_ADD_MAX = 29


def _form(program: Program, email: str, company: str) -> dict[str, Any]:
    return {
        "email": email,
        "first_name": "Alex",
        "last_name": "Bench",
        "company": company,
        "partner_type": reseller(program).pk,
        "country": "DE",
        "website": "https://www.example.com",
        "phone": "+1 555 0100",
        "message": "We would like to resell your products.",
    }


def _application(program: Program, email: str) -> Application:
    with scope(tenant=program.tenant):
        return Application.objects.get(tenant=program.tenant, email=email)


def _statements(captured: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if f'INSERT INTO "{table}"' in q["sql"]]


def _confirm(client: Client, program: Program, email: str) -> CaptureQueriesContext:
    token = issue_token(program, _application(program, email))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/apply/confirm/{token}/")
    assert response.status_code == 200
    return captured


def _pending_matched(program: Program, email: str) -> Application:
    """A confirmed applicant whose domain a partner account holds: pending, proposed."""
    configure(program, domain_matching=True)
    submit(program, email)
    _confirm(Client(headers={"host": program.host}), program, email)
    application = _application(program, email)
    assert application.status == S.PENDING and application.matched_account_id
    return application


def test_submit(acme: Program, client_for: Any) -> None:
    client = client_for(acme)
    form = _form(acme, "alex@initech.example", "Initech")
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/apply/", form, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302, response.content[:500]
    assert len(captured) <= SUBMIT_MAX, len(captured)
    assert len(_statements(captured, "outbox_outboxmessage")) == 1  # the confirmation email


def test_confirm_auto_approve(acme: Program, client_for: Any) -> None:
    configure(acme, domain_matching=True)
    client = client_for(acme)
    client.post("/apply/", _form(acme, "alex@initech.example", "Initech"), REMOTE_ADDR="10.1.1.2")
    captured = _confirm(client, acme, "alex@initech.example")

    application = _application(acme, "alex@initech.example")
    assert application.status == S.APPROVED and application.partner_account_id
    assert len(captured) <= CONFIRM_APPROVE_MAX, len(captured)
    # The CAM's notification email and the applicant's approval email: one INSERT.
    (outbox,) = _statements(captured, "outbox_outboxmessage")
    with scope(tenant=acme.tenant):
        kinds = sorted(
            OutboxMessage.objects.filter(tenant=acme.tenant).values_list("kind", flat=True)
        )
    assert kinds.count("applications.email") == 2  # the confirmation link, the approval
    assert "notifications.email" in kinds
    assert "UNNEST" in outbox or outbox.count("), (") >= 1  # several rows, one statement
    # One write of the application row (confirmation and decision together).
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert sum('"applications_application"' in u for u in updates) == 1


def test_confirm_auto_approve_does_not_grow_with_cams(acme: Program, client_for: Any) -> None:
    """The round-robin picks one CAM among many in the same queries."""
    from apps.home.services import staff_member_add

    configure(acme, domain_matching=True)
    counts = []
    for n in range(2):
        if n:
            with scope(tenant=acme.tenant):
                for i in range(5):
                    staff_member_add(
                        tenant=acme.tenant,
                        actor=acme.admin,
                        email=f"cam{i}@acme.test",
                        role=Role.CHANNEL_MANAGER,
                        first_name="Cam",
                        last_name=str(i),
                        password="pw-cam-123456",
                    )
        email = f"alex{n}@company{n}.example"
        client = client_for(acme)
        client.post("/apply/", _form(acme, email, f"Company {n}"), REMOTE_ADDR=f"10.1.2.{n}")
        counts.append(len(_confirm(client, acme, email)))
    assert counts[0] == counts[1], counts


def test_confirm_pending_with_a_matched_partner(acme: Program, client_for: Any) -> None:
    configure(acme, domain_matching=True)
    client = client_for(acme)
    client.post("/apply/", _form(acme, "new@one.acme.test", "Matched"), REMOTE_ADDR="10.1.1.3")
    captured = _confirm(client, acme, "new@one.acme.test")

    application = _application(acme, "new@one.acme.test")
    assert application.status == S.PENDING and application.matched_account_id == acme.partner.pk
    assert len(captured) <= CONFIRM_PENDING_MAX, len(captured)
    assert len(_statements(captured, "outbox_outboxmessage")) == 1  # the partner admin's email
    assert len(_statements(captured, "audit_auditevent")) == 1  # confirmed + queued


def test_confirm_pending_manual_review(acme: Program, client_for: Any) -> None:
    client = client_for(acme)  # both settings off: every applicant waits for a CAM
    client.post("/apply/", _form(acme, "alex@initech.example", "Initech"), REMOTE_ADDR="10.1.1.4")
    captured = _confirm(client, acme, "alex@initech.example")
    assert _application(acme, "alex@initech.example").status == S.PENDING
    assert len(captured) <= CONFIRM_PENDING_MANUAL_MAX, len(captured)


def test_cam_approves_a_pending_application(acme: Program, client_for: Any) -> None:
    application = _pending_matched(acme, "new@one.acme.test")
    client = client_for(acme, acme.cam)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/console/applications/{application.pk}/approve/",
            {"partner_type": reseller(acme).pk},
        )
    assert response.status_code == 302
    assert _application(acme, "new@one.acme.test").status == S.APPROVED
    assert len(captured) <= CAM_APPROVE_MAX, len(captured)
    assert len(_statements(captured, "outbox_outboxmessage")) == 1


def test_cam_adds_to_an_existing_account(acme: Program, client_for: Any) -> None:
    application = _pending_matched(acme, "new@one.acme.test")
    client = client_for(acme, acme.cam)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/console/applications/{application.pk}/add/", {"account": acme.partner.pk}
        )
    assert response.status_code == 302
    assert _application(acme, "new@one.acme.test").status == S.ADDED
    assert len(captured) <= CAM_ADD_MAX, len(captured)


def test_partner_admin_adds_to_their_team(acme: Program, client_for: Any) -> None:
    application = _pending_matched(acme, "new@one.acme.test")
    client = client_for(acme, acme.partner_admin)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/portal/team-requests/{application.pk}/add/")
    assert response.status_code == 302
    assert _application(acme, "new@one.acme.test").status == S.ADDED
    assert len(captured) <= TEAM_ADD_MAX, len(captured)


def test_a_refused_automatic_approval_writes_none_of_its_messages(acme: Program) -> None:
    """An approval refused half-way (the address is already a partner user elsewhere) is
    rolled back with the outbox messages it had batched: only the pending path's remain."""
    from apps.applications.services import application_confirm
    from apps.partners.services import partner_user_add

    configure(acme, auto_onboarding=True)
    submission = submit(acme, "taken@initech.example")
    token = issue_token(acme, submission.application)
    with scope(tenant=acme.tenant):
        partner_user_add(  # meanwhile the address joins another partner
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.other_partner,
            email="taken@initech.example",
            role=Role.PARTNER_USER,
        )
        before = set(OutboxMessage.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as captured:
            result = application_confirm(tenant=acme.tenant, token=token)
        new = OutboxMessage.objects.exclude(pk__in=before)
        assert result.decision.outcome == S.PENDING
        assert "Not approved automatically" in result.decision.note
        assert not new.exists()  # no CAM notification of an account that was rolled back
        assert not re.search(r'INSERT INTO "outbox_outboxmessage"', str(captured.captured_queries))
