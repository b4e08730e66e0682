from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from apps.audit.models import AuditEvent
from apps.audit.vocabulary import audit_history_wording as _audit_history_wording
from apps.audit.vocabulary import audit_wording as _audit_wording

register = template.Library()


@register.filter
def audit_wording(event: AuditEvent) -> SafeString:
    """The timeline sentence of an audit event, from its verb's declared label."""
    return _audit_wording(event)


@register.filter
def audit_history_wording(event: AuditEvent) -> SafeString:
    """The sentence of an audit event on its target's own history (an application's page)."""
    return _audit_history_wording(event)


def _change_value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        # A moment stored as ISO 8601 (activated at…): shown as a date and time, local.
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "DATETIME_FORMAT")
    return str(value)


@register.filter
def audit_changes(event: AuditEvent) -> list[tuple[str, str | None, str]]:
    """Field-level before → after of an audit event whose data holds `from` and `to` as
    dicts of field → value (an edit, a bulk change, a settings change): one row per field
    that differs, for the timeline to show under the sentence. A creation (`from` is not a
    dict) lists the values set, with `None` as "before"."""
    data = event.data if isinstance(event.data, dict) else {}
    before, after = data.get("from"), data.get("to")
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    created = not isinstance(before, dict)  # a creation: values only, no "before"
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows: list[tuple[str, str | None, str]] = []
    for field in list(dict.fromkeys([*before, *after])):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        label = str(field).replace("_", " ").capitalize()
        rows.append((label, None if created else _change_value(old), _change_value(new)))
    return rows
