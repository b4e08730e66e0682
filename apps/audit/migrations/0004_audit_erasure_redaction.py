"""Personal-data erasure (issue 14): audit rows stay, but may name a pseudonym.

The append-only trigger keeps refusing every DELETE and every UPDATE, except one narrow
redaction: inside a transaction that opened the erasure switch
(`SELECT set_config('onramp.audit_erasure', 'on', true)`, see apps/audit/erasure.py), an
UPDATE may replace the personal text (`actor_label`, `target_label`, `data`) and point
`actor_id` at the person's stand-in user. What happened, to which object, and when
(`id`, `tenant_id`, `created_at`, `verb`, `target_type`, `target_id`, `partner_id`) can
never change.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF current_setting('onramp.audit_erasure', true) = 'on'
           AND NEW.id = OLD.id
           AND NEW.tenant_id = OLD.tenant_id
           AND NEW.created_at = OLD.created_at
           AND NEW.verb = OLD.verb
           AND NEW.target_type = OLD.target_type
           AND NEW.target_id = OLD.target_id
           AND NEW.partner_id IS NOT DISTINCT FROM OLD.partner_id THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_log_page_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
