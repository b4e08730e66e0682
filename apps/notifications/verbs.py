"""The notifications app's audit verbs (a program's email wording), with their wording."""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

EMAIL_WORDING_CHANGED = audit_verb(
    "email_wording.changed", _("Changed the wording of the email <strong>{target}</strong>")
)
EMAIL_WORDING_RESET = audit_verb(
    "email_wording.reset",
    _("Reset the email <strong>{target}</strong> to its default wording"),
)
REMINDERS_OPTED_OUT = audit_verb(
    "email_preference.reminders_off", _("{target} turned off onboarding reminder emails")
)
REMINDERS_OPTED_IN = audit_verb(
    "email_preference.reminders_on", _("{target} turned onboarding reminder emails back on")
)
