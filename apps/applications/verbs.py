"""The applications app's audit verbs, with their wording on the program's timeline.

(The application's own history, on its detail page, words them in
`templates/applications/_history.html`.)
"""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

APPLICATION_RECEIVED = audit_verb(
    "application.received", _("Application received <strong>{target}</strong>")
)
APPLICATION_UPDATED = audit_verb(
    "application.updated", _("Application updated <strong>{target}</strong>")
)
APPLICATION_CONFIRMED = audit_verb(
    "application.confirmed", _("Application confirmed <strong>{target}</strong>")
)
APPLICATION_QUEUED = audit_verb(
    "application.queued", _("Application queued <strong>{target}</strong>")
)
APPLICATION_APPROVED = audit_verb(
    "application.approved", _("Application approved <strong>{target}</strong>")
)
APPLICATION_ADDED = audit_verb(
    "application.added", _("Application added <strong>{target}</strong>")
)
APPLICATION_REJECTED = audit_verb(
    "application.rejected", _("Application rejected <strong>{target}</strong>")
)
APPLICATION_DECLINED = audit_verb(
    "application.declined", _("Application declined <strong>{target}</strong>")
)
INVITATION_SENT = audit_verb("invitation.sent", _("Invitation sent <strong>{target}</strong>"))
INVITATION_RESENT = audit_verb(
    "invitation.resent", _("Invitation resent <strong>{target}</strong>")
)
INVITATION_REVOKED = audit_verb(
    "invitation.revoked", _("Invitation revoked <strong>{target}</strong>")
)
INVITATION_ACCEPTED = audit_verb(
    "invitation.accepted", _("Invitation accepted <strong>{target}</strong>")
)
SETTINGS_CHANGED = audit_verb(
    "applications.settings_changed", _("Applications settings changed <strong>{target}</strong>")
)
