"""The webhooks app's vocabulary: its own audit verbs, with their wording; and the webhook
event types it sends, grouped, with their labels and the audit verbs (other apps') that emit
each.

The other apps' verbs are named here by string, not imported: they belong to higher layers
(partners, onboarding, applications, milestones), which this app must not import.

The milestones sweep's own events (DIRECT_EVENTS: a milestone achieved or missed, an alert
raised) have no audit verb: milestones emits them itself, set-based, through
`apps.webhooks.emission.webhook_emit_many`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

Label = str | Promise

WEBHOOK_CREATED = audit_verb(
    "webhook.created", _('Added the webhook endpoint <span class="mono">{target}</span>')
)
WEBHOOK_UPDATED = audit_verb(
    "webhook.updated",
    _('Edited the webhook endpoint <span class="mono">{target}</span>'),
    when={"fields": _('Edited the webhook endpoint <span class="mono">{target}</span>: {fields}')},
)
WEBHOOK_DELETED = audit_verb(
    "webhook.deleted", _('Deleted the webhook endpoint <span class="mono">{target}</span>')
)
WEBHOOK_DISABLED = audit_verb(
    "webhook.disabled",
    _('Disabled the webhook endpoint <span class="mono">{target}</span>'),
    when={
        "reason=failing": _(
            'Disabled the webhook endpoint <span class="mono">{target}</span> after a day of '
            "failed deliveries"
        )
    },
)
WEBHOOK_ENABLED = audit_verb(
    "webhook.enabled", _('Enabled the webhook endpoint <span class="mono">{target}</span>')
)
WEBHOOK_SECRET_ROLLED = audit_verb(
    "webhook.secret_rolled",
    _('Rolled the signing secret of the webhook endpoint <span class="mono">{target}</span>'),
)
WEBHOOK_REPLAYED = audit_verb(
    "webhook.replayed",
    _('Sent the webhook event {event_type} again to <span class="mono">{url}</span>'),
)
WEBHOOK_TEST_SENT = audit_verb(
    "webhook.test_sent",
    _('Sent a test event to the webhook endpoint <span class="mono">{target}</span>'),
)


# --- Webhook event types ------------------------------------------------------------------


@dataclass(frozen=True)
class EventGroup:
    name: str  # "application": the pattern is "application.*"
    label: Label
    types: tuple[tuple[str, Label], ...]

    @property
    def pattern(self) -> str:
        return f"{self.name}.*"


GROUPS: tuple[EventGroup, ...] = (
    EventGroup(
        "application",
        _("Applications"),
        (
            ("application.submitted", _("An application was submitted (email confirmed)")),
            ("application.approved", _("An application was approved")),
            ("application.rejected", _("An application was rejected")),
        ),
    ),
    EventGroup(
        "partner",
        _("Partner accounts"),
        (
            ("partner.created", _("A partner account was created")),
            ("partner.updated", _("A partner account was edited")),
            ("partner.suspended", _("A partner account was suspended")),
            ("partner.reactivated", _("A partner account was reactivated")),
        ),
    ),
    EventGroup(
        "action",
        _("Onboarding actions"),
        (
            ("action.completed", _("An action was completed (or submitted for approval)")),
            ("action.validated", _("An action was validated")),
            ("action.changes_requested", _("Changes were requested on an action")),
            ("action.skipped", _("An action was skipped")),
        ),
    ),
    EventGroup(
        "stage",
        _("Onboarding stages"),
        (
            ("stage.completed", _("A partner finished a stage")),
            ("stage.advanced", _("A partner moved to a stage")),
        ),
    ),
    EventGroup(
        "onboarding",
        _("Onboarding"),
        (("onboarding.completed", _("A partner completed onboarding")),),
    ),
    EventGroup(
        "milestone",
        _("Milestones"),
        (
            ("milestone.achieved", _("A partner achieved a milestone")),
            ("milestone.missed", _("A partner missed a milestone")),
        ),
    ),
    EventGroup(
        "alert",
        _("CAM alerts"),
        (
            ("alert.raised", _("An alert was raised")),
            ("alert.acknowledged", _("An alert was acknowledged")),
            ("alert.resolved", _("An alert was resolved")),
        ),
    ),
)


# Audit verb -> the webhook event types it emits. A verb emitting a type only under a
# condition on the event's data is listed in CONDITIONS.
VERB_EVENTS: dict[str, tuple[str, ...]] = {
    # An application counts once its address is confirmed (an unconfirmed one may be anyone's).
    "application.confirmed": ("application.submitted",),
    "application.approved": ("application.approved",),
    "application.rejected": ("application.rejected",),
    "partner.created": ("partner.created",),
    "partner.imported": ("partner.created",),
    "partner.updated": ("partner.updated",),
    "partner.import_updated": ("partner.updated",),
    "partner.profile_updated": ("partner.updated",),
    "partner.suspended": ("partner.suspended",),
    "partner.reactivated": ("partner.reactivated",),
    "action.completed": ("action.completed",),
    "action.validated": ("action.validated",),
    "action.changes_requested": ("action.changes_requested",),
    "action.skipped": ("action.skipped",),
    # A move to the next stage closes the one the partner was in ("from"); the last stage
    # closes with the pipeline.
    "stage.moved": ("stage.completed", "stage.advanced"),
    "onboarding.completed": ("stage.completed", "onboarding.completed"),
    "alert.acknowledged": ("alert.acknowledged",),
    "alert.resolved": ("alert.resolved",),
}

# Emitted only when the audit event's data has a value under this key.
CONDITIONS: dict[tuple[str, str], str] = {
    ("stage.moved", "stage.completed"): "from",
    ("onboarding.completed", "stage.completed"): "from",
}

# Event types no audit verb emits: the milestones sweep writes them set-based, with no audit
# row per partner, and emits them directly (apps/milestones/services/webhook_events.py).
DIRECT_EVENTS = frozenset({"milestone.achieved", "milestone.missed", "alert.raised"})
