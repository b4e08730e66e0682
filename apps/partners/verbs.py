"""The partners app's audit verbs, and the partner event log's vocabulary.

Partner event types are declared like audit verbs: each app that records an event type
declares it in its own `verbs.py` with `event_type(...)`; `partner_event_record` refuses an
undeclared type, except from an external source (the API), whose clients name their own
types (the API checks their shape and keeps `onboarding.*` and `milestone.*` for us).
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import Label, Vocabulary, audit_verb

PARTNER_CREATED = audit_verb(
    "partner.created",
    _("Created partner account <strong>{target}</strong>"),
    when={"type": _("Created partner account <strong>{target}</strong> ({type})")},
)
PARTNER_DOMAIN_ADDED = audit_verb(
    "partner.domain_added",
    _('Added domain <span class="mono">{domain}</span> to <strong>{target}</strong>'),
)
PARTNER_USER_ADDED = audit_verb(
    "partner.user_added", _("Added {user} to <strong>{target}</strong>")
)
PARTNER_USER_ROLE_CHANGED = audit_verb(
    "partner.user_role_changed", _("Changed {user}’s role in <strong>{target}</strong>")
)
PARTNER_SUSPENDED = audit_verb(
    "partner.suspended",
    _("Suspended partner account <strong>{target}</strong>"),
    when={"reason": _("Suspended partner account <strong>{target}</strong>: {reason}")},
)
PARTNER_REACTIVATED = audit_verb(
    "partner.reactivated", _("Reactivated partner account <strong>{target}</strong>")
)
# Recorded for the milestones sweep (partner_accounts_activate_many / _mark_dark_many).
PARTNER_ACTIVATED = audit_verb(
    "partner.activated", _("Partner activated <strong>{target}</strong>")
)
PARTNER_WENT_DARK = audit_verb(
    "partner.went_dark", _("Partner went dark <strong>{target}</strong>")
)
# A staff member's own Partner Explorer views (apps/partners/services/saved_views.py).
SAVED_VIEW_CREATED = audit_verb(
    "partner.saved_view_created", _("Saved the Partner Explorer view <strong>{target}</strong>")
)
SAVED_VIEW_RENAMED = audit_verb(
    "partner.saved_view_renamed", _("Renamed the Partner Explorer view <strong>{target}</strong>")
)
SAVED_VIEW_DELETED = audit_verb(
    "partner.saved_view_deleted", _("Deleted the Partner Explorer view <strong>{target}</strong>")
)


# --- Partner events ------------------------------------------------------------------------

EVENT_TYPES = Vocabulary("partner event type")

# Where an event comes from, with its label on the event log.
EVENT_SOURCES: dict[str, Label] = {
    "onboarding": _("Onboarding"),
    "content": _("Library"),
    "api": _("API"),
    "console": _("Console"),
    "applications": _("Applications"),
    "system": _("System"),
}
# Sources whose senders name their own event types (declared or not).
EXTERNAL_SOURCES = frozenset({"api"})


def event_type(name: str, label: Label) -> str:
    """Declare a partner event type (in an app's `verbs.py`); returns its name."""
    return EVENT_TYPES.declare(name, label)


def event_type_require(*, type: str, source: str) -> None:
    """Refuse an undeclared event type (`UnknownVerb`), unless an external system sent it."""
    if source not in EXTERNAL_SOURCES:
        EVENT_TYPES.require(type)


class _Event(Protocol):
    type: str
    reference: str
    data: Any


def event_wording(event: _Event) -> str:
    """A readable sentence for a partner event (plain text: the template escapes it)."""
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("label"):
        return str(data["label"])
    declared = EVENT_TYPES.get(event.type)
    label = str(declared.label) if declared is not None else event.type
    title = data.get("title") or data.get("stage")
    if title:
        return f"{label}: {title}"
    if event.type.startswith("certification.") and event.reference:
        return f"{label} ({event.reference})"
    return label


def event_source_label(source: str) -> str:
    label = EVENT_SOURCES.get(source)
    return str(label) if label is not None else (source or "").capitalize()


# Declared after the event vocabulary so as not to move the code above (issue 10, point 3).
PARTNER_UPDATED = audit_verb(
    "partner.updated",
    _("Edited partner account <strong>{target}</strong>"),
    when={"fields": _("Edited partner account <strong>{target}</strong>: {fields}")},
)


# The program's partner types and tiers (/console/settings/partner-types/, issue 10, point 7).
PARTNER_TYPE_CREATED = audit_verb(
    "partner_type.created", _("Added partner type <strong>{target}</strong>")
)
PARTNER_TYPE_RENAMED = audit_verb(
    "partner_type.renamed",
    _("Renamed partner type <strong>{previous}</strong> to <strong>{target}</strong>"),
)
PARTNER_TYPE_ARCHIVED = audit_verb(
    "partner_type.archived", _("Archived partner type <strong>{target}</strong>")
)
PARTNER_TYPE_RESTORED = audit_verb(
    "partner_type.restored", _("Restored partner type <strong>{target}</strong>")
)
PARTNER_TYPE_DELETED = audit_verb(
    "partner_type.deleted", _("Deleted partner type <strong>{target}</strong>")
)
PARTNER_TYPE_MOVED = audit_verb(
    "partner_type.moved", _("Moved partner type <strong>{target}</strong> in the list")
)
PARTNER_TIER_CREATED = audit_verb("partner_tier.created", _("Added tier <strong>{target}</strong>"))
PARTNER_TIER_RENAMED = audit_verb(
    "partner_tier.renamed",
    _("Renamed tier <strong>{previous}</strong> to <strong>{target}</strong>"),
)
PARTNER_TIER_ARCHIVED = audit_verb(
    "partner_tier.archived", _("Archived tier <strong>{target}</strong>")
)
PARTNER_TIER_RESTORED = audit_verb(
    "partner_tier.restored", _("Restored tier <strong>{target}</strong>")
)
PARTNER_TIER_MOVED = audit_verb(
    "partner_tier.moved", _("Moved tier <strong>{target}</strong> in the list")
)


# CSV import of partner accounts (issue 10, point 5): one event per account, one per import.
PARTNER_IMPORTED = audit_verb(
    "partner.imported",
    _("Imported partner account <strong>{target}</strong> from a CSV file"),
    when={"file": _("Imported partner account <strong>{target}</strong> from {file}")},
)
PARTNER_IMPORT_UPDATED = audit_verb(
    "partner.import_updated",
    _("Updated partner account <strong>{target}</strong> from a CSV import: {fields}"),
)
PARTNERS_IMPORT = audit_verb(
    "partner.import",
    _("Imported partners from {file}: {created} created, {updated} updated, {unchanged} unchanged"),
)


# The partner's company profile (/portal/profile/, issue 12, point 1) and its settings.
PARTNER_PROFILE_UPDATED = audit_verb(
    "partner.profile_updated",
    _("Updated the company profile of <strong>{target}</strong>"),
    when={"fields": _("Updated the company profile of <strong>{target}</strong>: {fields}")},
)
PROFILE_SETTINGS_CHANGED = audit_verb(
    "partner.profile_settings_changed",
    _("Changed the required partner profile fields"),
)
# Events a partner's own people cause in the portal.
EVENT_SOURCES.setdefault("portal", _("Portal"))
PROFILE_COMPLETED_EVENT = event_type("profile.completed", _("Completed the partner profile"))
PORTAL_ACCESS_CONFIRMED_EVENT = event_type(
    "portal.access_confirmed", _("Signed in to the portal for the first time")
)
