"""Every write of the milestones layer (HackSoft services)."""

from apps.milestones.services.alerts import (
    ALERT_TRANSITIONS,
    AlertError,
    alert_acknowledge,
    alert_digest_send,
    alert_snooze,
)
from apps.milestones.services.events import (
    ACTIVITIES,
    EventResult,
    milestone_check_off,
    milestone_event_record,
    partner_activity_log,
)
from apps.milestones.services.review import (
    QBR_CADENCES,
    PlanItem,
    business_plan_document,
    review_record,
)
from apps.milestones.services.setup import (
    MilestoneError,
    milestone_template_install,
    partner_track_start,
    partner_track_switch,
)
from apps.milestones.services.sweep import SweepResult, milestone_sweep_all_tenants
from apps.milestones.services.tracks_edit import (
    milestone_completion_update,
    milestone_update,
    track_activation_set,
    track_settings_update,
)
from apps.milestones.services.tracks_milestones import (
    milestone_add_custom,
    milestone_add_standard,
    milestone_remove,
)
from apps.milestones.services.tracks_rules import rule_add, rule_retire, rule_update
from apps.milestones.services.tracks_start import track_copy, track_start, track_stop

__all__ = [
    "ACTIVITIES",
    "ALERT_TRANSITIONS",
    "QBR_CADENCES",
    "AlertError",
    "EventResult",
    "MilestoneError",
    "PlanItem",
    "SweepResult",
    "alert_acknowledge",
    "alert_digest_send",
    "alert_snooze",
    "business_plan_document",
    "milestone_add_custom",
    "milestone_add_standard",
    "milestone_check_off",
    "milestone_completion_update",
    "milestone_event_record",
    "milestone_sweep_all_tenants",
    "milestone_remove",
    "milestone_template_install",
    "milestone_update",
    "partner_activity_log",
    "partner_track_start",
    "partner_track_switch",
    "review_record",
    "rule_add",
    "rule_retire",
    "rule_update",
    "track_activation_set",
    "track_copy",
    "track_settings_update",
    "track_start",
    "track_stop",
]
