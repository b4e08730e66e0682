"""The onboarding app's audit verbs and partner event types, with their wording."""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb
from apps.partners.verbs import event_type

# Audit verbs: designing pipelines --------------------------------------------------------

PIPELINE_CREATED = audit_verb("pipeline.created", _("Pipeline created <strong>{target}</strong>"))
PIPELINE_UPDATED = audit_verb("pipeline.updated", _("Pipeline updated <strong>{target}</strong>"))
PIPELINE_TYPES_ASSIGNED = audit_verb(
    "pipeline.types_assigned", _("Pipeline types assigned <strong>{target}</strong>")
)
PIPELINE_ARCHIVED = audit_verb(
    "pipeline.archived", _("Pipeline archived <strong>{target}</strong>")
)
PIPELINE_RESTORED = audit_verb(
    "pipeline.restored", _("Pipeline restored <strong>{target}</strong>")
)
STAGE_CREATED = audit_verb("stage.created", _("Stage created <strong>{target}</strong>"))
STAGE_UPDATED = audit_verb("stage.updated", _("Stage updated <strong>{target}</strong>"))
STAGE_ARCHIVED = audit_verb("stage.archived", _("Stage archived <strong>{target}</strong>"))
STAGE_MOVED_IN_PIPELINE = audit_verb(
    "stage.moved_in_pipeline", _("Stage moved in pipeline <strong>{target}</strong>")
)
ACTION_CREATED = audit_verb("action.created", _("Action created <strong>{target}</strong>"))
ACTION_UPDATED = audit_verb("action.updated", _("Action updated <strong>{target}</strong>"))
ACTION_ARCHIVED = audit_verb("action.archived", _("Action archived <strong>{target}</strong>"))

# Audit verbs: a partner's progress -------------------------------------------------------

ACTION_COMPLETED = audit_verb(
    "action.completed",
    _("Completed <strong>{action}</strong>"),
    when={"to=waiting_for_approval": _("Submitted <strong>{action}</strong>")},
)
ACTION_VALIDATED = audit_verb("action.validated", _("Validated <strong>{action}</strong>"))
ACTION_CHANGES_REQUESTED = audit_verb(
    "action.changes_requested",
    _("Requested changes on <strong>{action}</strong>"),
    when={"comment": _("Requested changes on <strong>{action}</strong>: “{comment}”")},
)
ACTION_INVALIDATED = audit_verb(
    "action.invalidated",
    _("Invalidated <strong>{action}</strong>"),
    when={"comment": _("Invalidated <strong>{action}</strong>: “{comment}”")},
)
ACTION_SKIPPED = audit_verb(
    "action.skipped",
    _("Skipped <strong>{action}</strong>"),
    when={"comment": _("Skipped <strong>{action}</strong>: “{comment}”")},
)
STAGE_MOVED = audit_verb(
    "stage.moved",
    _("Moved to the stage <strong>{to}</strong>"),
    when={"how=automatic": _("Moved automatically to the stage <strong>{to}</strong>")},
)
ONBOARDING_ENROLLED = audit_verb(
    "onboarding.enrolled", _("Enrolled in <strong>{pipeline}</strong>")
)
ONBOARDING_COMPLETED = audit_verb(
    "onboarding.completed", _("Completed <strong>{pipeline}</strong>")
)
ONBOARDING_MOVED = audit_verb(
    "onboarding.moved",
    _("Moved from the pipeline <strong>{from}</strong> to <strong>{to}</strong>"),
)

# Partner events (milestones react to them) -----------------------------------------------

ENROLLED_EVENT = event_type("onboarding.enrolled", _("Enrolled in onboarding"))
ACTION_COMPLETED_EVENT = event_type(
    "onboarding.action_completed", _("Completed an onboarding action")
)
ACTION_SKIPPED_EVENT = event_type("onboarding.action_skipped", _("Onboarding action skipped"))
STAGE_COMPLETED_EVENT = event_type("onboarding.stage_completed", _("Completed an onboarding stage"))
COMPLETED_EVENT = event_type("onboarding.completed", _("Completed onboarding"))
LEFT_PIPELINE_EVENT = event_type("onboarding.left", _("Moved to another onboarding pipeline"))

# Audit verbs: nudges (services/nudges.py) ------------------------------------------------

PIPELINE_REMINDERS_CHANGED = audit_verb(
    "pipeline.reminders_changed",
    _("Changed the reminders of the pipeline <strong>{target}</strong>"),
)
ONBOARDING_REMINDED = audit_verb(
    "onboarding.reminded",
    _("Reminded {to} of {count} open onboarding actions"),
    when={"count=1": _("Reminded {to} of an open onboarding action")},
)
