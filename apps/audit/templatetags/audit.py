from django import template
from django.utils.safestring import SafeString

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
