"""The audit log refuses TRUNCATE, and the app works under a role that does not own it.

The role test applies the grants exactly as docs/operations.md writes them (the block between
its `grants:` markers), under a throwaway NOLOGIN role switched to with SET LOCAL ROLE inside
the test's transaction, so both the role and the grants vanish with the rollback.
"""

import re
import uuid
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes import scope

from apps.audit.erasure import audit_events_redact
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_for_partner
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _refused(statement: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        _sql(statement)


def test_truncate_is_refused_by_the_trigger(acme):
    # The test database allows TRUNCATE for Django's flush (tests/conftest.py): not here.
    _sql("SET LOCAL onramp.audit_truncate = 'off'")
    # Fire the fixtures' deferred FK checks now: PostgreSQL refuses any TRUNCATE while
    # trigger events are pending, which would hide whether our trigger refused it.
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    with scope(tenant=acme.tenant):
        count = AuditEvent.objects.filter(tenant=acme.tenant).count()
    assert count > 0
    _refused("TRUNCATE audit_auditevent", "TRUNCATE refused")
    _refused("TRUNCATE audit_auditevent CASCADE", "TRUNCATE refused")
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(tenant=acme.tenant).count() == count


def test_the_trigger_is_installed_for_truncate():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgtype FROM pg_trigger WHERE tgname = 'audit_event_no_truncate'"
            " AND tgrelid = 'audit_auditevent'::regclass AND tgenabled = 'O'"
        )
        rows = cursor.fetchall()
    assert len(rows) == 1
    # TRIGGER_TYPE_TRUNCATE (32) | BEFORE (2), statement level (no ROW bit).
    assert rows[0][0] & 32 and rows[0][0] & 2 and not rows[0][0] & 1


def _documented_grants(app_role: str) -> list[str]:
    text = OPERATIONS.read_text()
    block = re.search(r"<!-- grants:start -->\s*```sql\n(.*?)```\s*<!-- grants:end -->", text, re.S)
    assert block, "docs/operations.md lost its grants block"
    statements = []
    for line in block.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("--"):
            statements.append(line.rstrip(";").replace("onramp_app", app_role))
    assert statements
    return statements


@pytest.fixture
def app_role():
    """A NOLOGIN role with the documented grants; the test's connection switched to it."""
    name = f"onramp_app_{uuid.uuid4().hex[:12]}"
    _sql(f"CREATE ROLE {name} NOLOGIN")
    for statement in _documented_grants(name):
        _sql(statement)
    _sql(f"SET LOCAL ROLE {name}")
    _sql("SELECT 1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == name
    yield name
    _sql("RESET ROLE")


def test_app_role_records_and_reads_audit_events_but_cannot_change_them(acme, app_role, client_for):
    with scope(tenant=acme.tenant):
        event = audit_record(
            tenant=acme.tenant,
            actor=acme.cam,
            verb="partner.user_role_changed",
            target=acme.partner,
            data={"from": "a", "to": "b"},
            partner_id=acme.partner.pk,
        )
        timeline = list(audit_events_for_partner(tenant=acme.tenant, partner_id=acme.partner.pk))
        assert event.pk in [e.pk for e in timeline]
        count = AuditEvent.objects.filter(tenant=acme.tenant).count()

    # The app itself works under the role: the audit log page reads it.
    response = client_for(acme, acme.admin).get("/console/audit/")
    assert response.status_code == 200
    assert acme.partner.name in response.content.decode()

    # Not the owner: no privilege to change history, and no way around the triggers. The
    # test database's TRUNCATE switch is on, so the refusal here is the privilege alone.
    _refused("UPDATE audit_auditevent SET verb = 'tampered'", "permission denied")
    _refused("UPDATE audit_auditevent SET created_at = now()", "permission denied")
    _refused("DELETE FROM audit_auditevent", "permission denied")
    _refused("TRUNCATE audit_auditevent", "permission denied")
    _refused(
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only", "must be owner"
    )
    _refused("DROP TRIGGER audit_event_no_truncate ON audit_auditevent", "must be owner")
    # The redactable columns outside an erasure: the trigger still refuses.
    _refused("UPDATE audit_auditevent SET actor_label = 'someone else'", "append-only")

    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(tenant=acme.tenant).count() == count
        assert not AuditEvent.objects.filter(verb="tampered").exists()


def test_app_role_can_still_erase_a_person_from_the_audit_text(acme, app_role):
    with scope(tenant=acme.tenant):
        audit_record(
            tenant=acme.tenant,
            actor=acme.cam,
            verb="partner.user_role_changed",
            target=acme.partner,
            data={"note": "Mail jane.doe@example.com"},
            partner_id=acme.partner.pk,
        )
        changed = audit_events_redact(
            tenant=acme.tenant, replacements=[("jane.doe@example.com", "person-1")]
        )
        assert changed >= 1
        assert not AuditEvent.objects.filter(
            tenant=acme.tenant, data__note__icontains="jane.doe"
        ).exists()
