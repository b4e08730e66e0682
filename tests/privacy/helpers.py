"""The privacy tests' people and the scan that proves an erased person is found nowhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_scopes import scope

from apps.applications.models import Application, ApplicationStatus
from apps.notifications.services import notification_create
from apps.onboarding.models import ActionFile
from tests.applications.conftest import submit
from tests.applications.factories import reseller_of
from tests.onboarding.conftest import DEFAULT_SPEC, EnrollmentFactory, build_pipeline

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FIRST, LAST = "Zebulon", "Quartermaine"


@dataclass
class Subject:
    user: Any
    email: str
    file_name: str


def rich_person(program: Any) -> Subject:
    """The program's partner user, named, with an application, a notification, answers to a
    form and an uploaded file: the person the erasure tests erase."""
    user = program.partner_user
    get_user_model().objects.filter(pk=user.pk).update(first_name=FIRST, last_name=LAST)
    user.refresh_from_db()
    email = user.email
    # Their application, as an approval left it (the public form never reveals or reuses a
    # member's address, so the row is written as the decision wrote it).
    now = timezone.now()
    with scope(tenant=program.tenant):
        Application.objects.create(
            tenant=program.tenant,
            email=email,
            email_domain=email.split("@")[1],
            first_name=FIRST,
            last_name=LAST,
            company="Quartermaine Trading",
            partner_type=reseller_of(program.tenant),
            answers=[{"key": "why", "label": "Why", "value": f"{FIRST} wants in"}],
            status=ApplicationStatus.ADDED,
            partner_account=program.partner,
            confirmed_at=now,
            decided_at=now,
            submitted_ip="203.0.113.9",
        )
    _pipeline, _stages, actions = build_pipeline(program, stages_spec=DEFAULT_SPEC)
    enrollment = EnrollmentFactory(actor=program.cam, account=program.partner)
    from apps.onboarding.models import ActionProgress

    with scope(tenant=program.tenant):
        legal = ActionProgress.objects.get(enrollment=enrollment, action=actions["Legal details"])
        tax = ActionProgress.objects.get(enrollment=enrollment, action=actions["Tax form"])
        notification_create(
            tenant=program.tenant,
            recipient=user,
            kind="partner_assigned",
            context={"partner": program.partner, "actor_name": f"{FIRST} {LAST}"},
            url="/portal/",
            email=False,
        )
    client = Client(headers={"host": program.host})
    client.force_login(user)
    ok = client.post(
        f"/portal/onboarding/actions/{legal.pk}/",
        {"legal_name": f"{FIRST} {LAST} Ltd", "vat_number": "GB1"},
    )
    assert ok.status_code == 302
    ok = client.post(
        f"/portal/onboarding/actions/{tax.pk}/",
        {"files": [SimpleUploadedFile("w9.pdf", PDF, "application/pdf")]},
    )
    assert ok.status_code == 302
    with scope(tenant=program.tenant):
        stored = ActionFile.objects.get(progress=tax)
    return Subject(user=user, email=email, file_name=stored.file.name)


def applicant_only(
    program: Any, email: str = "wanda.applicant@initech.example", last: str = "Vexbridge"
) -> Any:
    """Someone who applied (never confirmed) and has no user: returns the application."""
    submission = submit(program, email, first="Wanda", last=last, company="Initech")
    return submission.application


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'json', 'jsonb')
            ORDER BY c.table_name, c.column_name
            """
        )
        return list(cursor.fetchall())


def _tables_with_tenant() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        )
        return {row[0] for row in cursor.fetchall()}


# Tables about identities rather than one program: scanned whole.
IDENTITY_TABLES = {"accounts_user", "account_emailaddress", "mfa_authenticator"}


def scan(tenant: Any, needles: list[str], *, identities: bool = True) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a text, varchar or JSON column of the program's
    rows (its tenant-owned tables, its tenant row, and the identity tables) contains a
    needle, case-insensitively."""
    owned = _tables_with_tenant()
    hits = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            if table in owned:
                where, params = "tenant_id = %s", [tenant.pk]
            elif table == "tenancy_tenant":
                where, params = "id = %s", [tenant.pk]
            elif identities and table in IDENTITY_TABLES:
                where, params = "TRUE", []
            else:
                continue
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE {where} '  # noqa: S608 - schema names
                    f'AND "{column}"::text ILIKE %s',
                    [*params, f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append((table, column, needle))
    return hits
