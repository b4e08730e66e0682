"""The outbox app's audit verbs, with their wording."""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

OUTBOX_MESSAGE_RESENT = audit_verb(
    "outbox.resent", _("Sent the message <strong>{target}</strong> again")
)
