"""The audit table refuses TRUNCATE too (issue 14).

Row triggers (0002, 0004) never see a TRUNCATE, which empties the table without a DELETE.
This statement trigger refuses it, whoever runs it, unless the session or database holds
`onramp.audit_truncate = 'on'`. Only the test database sets that (tests/conftest.py), since
Django empties it with TRUNCATE between transactional tests. In production the app's role
is not the table's owner and has no TRUNCATE privilege at all (docs/operations.md).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('onramp.audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (TRUNCATE refused)'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_erasure_redaction")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
