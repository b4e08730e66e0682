"""Personal-data erasure in the audit log (issue 14): the rows stay, the person becomes a
pseudonym.

The append-only trigger (migration 0004) allows an UPDATE only while the transaction holds
the erasure switch open, and only of the personal columns (`actor_label`, `target_label`,
`data`, and `actor_id` pointed at the person's stand-in). Nothing else calls this.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from apps.audit.models import AuditEvent
from apps.core.redaction import Replacements, rows_redact

_SWITCH = "onramp.audit_erasure"


def _switch(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [_SWITCH, value])


@transaction.atomic
def audit_events_redact(
    *,
    tenant: Any,
    replacements: Replacements,
    actor_id: int | None = None,
    stand_in_id: int | None = None,
) -> int:
    """In `tenant`'s audit rows, replace each needle by its pseudonym (case-insensitive) and,
    when given, point the events `actor_id` did at `stand_in_id`. Set-based (two UPDATEs);
    returns how many rows were changed."""
    # The switch is transaction-local (and undone if this savepoint rolls back); it is
    # closed again as soon as the two statements are done.
    _switch("on")
    fields = [AuditEvent._meta.get_field(name) for name in ("actor_label", "target_label", "data")]
    changed = rows_redact(
        AuditEvent.objects.filter(tenant=tenant),
        replacements,
        fields=fields,  # type: ignore[arg-type]
    )
    if actor_id is not None and stand_in_id is not None and actor_id != stand_in_id:
        changed += AuditEvent.objects.filter(tenant=tenant, actor_id=actor_id).update(
            actor_id=stand_in_id
        )
    _switch("off")
    return changed
