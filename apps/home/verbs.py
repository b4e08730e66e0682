"""The home app's audit verbs (the program and its staff), with their timeline wording."""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

PROGRAM_CREATED = audit_verb("program.created", _("Created the program"))
STAFF_ADDED = audit_verb("staff.added", _("Added {user} to the program staff"))
STAFF_ROLE_CHANGED = audit_verb("staff.role_changed", _("Changed {user}’s staff role"))
PROGRAM_COMPLETED = audit_verb(
    "program.completed", _("Installed the program’s missing starting data")
)
STAFF_INVITATION_RESENT = audit_verb(
    "staff.invitation_resent", _("Sent {user} a new staff invitation")
)
STAFF_DEACTIVATED = audit_verb("staff.deactivated", _("Deactivated {user} on the program staff"))
STAFF_REACTIVATED = audit_verb("staff.reactivated", _("Reactivated {user} on the program staff"))
