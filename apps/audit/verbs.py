"""The audit app's own audit verbs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

AUDIT_EXPORTED = audit_verb(
    "audit.exported",
    _("Exported the audit log as CSV"),
    when={"filters_text": _("Exported the audit log as CSV ({filters_text})")},
)
