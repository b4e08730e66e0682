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
PROGRAM_SETTINGS_CHANGED = audit_verb(
    "program.settings_changed", _("Changed the program settings: {fields}")
)
PROGRAM_LOGO_CHANGED = audit_verb(
    "program.logo_changed",
    _("Uploaded a new program logo"),
    when={"to=": _("Removed the program logo")},
)
PROGRAM_HOST_ADDED = audit_verb(
    "program.host_added", _('Added the address <span class="mono">{host}</span>')
)
PROGRAM_HOST_PRIMARY_CHANGED = audit_verb(
    "program.host_primary_changed",
    _('Made <span class="mono">{to}</span> the primary address (used in email links)'),
)
PROGRAM_HOST_REMOVED = audit_verb(
    "program.host_removed", _('Removed the address <span class="mono">{host}</span>')
)
PRIVACY_RETENTION_CHANGED = audit_verb(
    "privacy.retention_changed",
    _("Set how long unconfirmed applications and expired invitations are kept: {to} days"),
)
PRIVACY_RETENTION_PURGED = audit_verb(
    "privacy.retention_purged",
    _(
        "Deleted {applications} unconfirmed applications and {invitations} expired "
        "invitations older than {days} days"
    ),
)
PRIVACY_PERSON_EXPORTED = audit_verb(
    "privacy.person_exported", _("Exported the personal data held about {person}")
)
PRIVACY_PERSON_ERASED = audit_verb(
    "privacy.person_erased", _("Erased the personal data of {person}")
)
