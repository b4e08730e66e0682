"""The milestones app's audit verbs and partner event types, with their wording.

The event types are those a CAM logs on the Milestones tab and those the milestone
templates react to (external systems send most of them through the API).
"""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb
from apps.partners.verbs import event_type

# Audit verbs -------------------------------------------------------------------------------

TEMPLATE_INSTALLED = audit_verb(
    "milestones.template_installed", _("Milestones template installed <strong>{target}</strong>")
)
TRACKING_STARTED = audit_verb(
    "milestones.tracking_started", _("Milestones tracking started <strong>{target}</strong>")
)
TRACK_SWITCHED = audit_verb(
    "milestones.track_switched",
    _("Milestone track changed from <strong>{from}</strong> to <strong>{to}</strong>"),
)
REVIEW_RECORDED = audit_verb(
    "milestones.review_recorded", _("Milestones review recorded <strong>{target}</strong>")
)
PLAN_DOCUMENTED = audit_verb(
    "milestones.plan_documented", _("Milestones plan documented <strong>{target}</strong>")
)
ACTIVITY_LOGGED = audit_verb(
    "partner.activity_logged", _("Partner activity logged <strong>{target}</strong>")
)
CHECKED_OFF = audit_verb(
    "milestone.checked_off", _("Milestone checked off <strong>{target}</strong>")
)
ALERT_ACKNOWLEDGED = audit_verb(
    "alert.acknowledged", _("Alert acknowledged <strong>{target}</strong>")
)
ALERT_SNOOZED = audit_verb("alert.snoozed", _("Alert snoozed <strong>{target}</strong>"))
ALERT_RESOLVED = audit_verb("alert.resolved", _("Alert resolved <strong>{target}</strong>"))
TRACK_CHANGED = audit_verb(
    "milestones.track_changed", _("Milestone track changed <strong>{target}</strong>")
)
TRACK_CREATED = audit_verb(
    "milestones.track_created", _("Milestone track created <strong>{target}</strong>")
)
TRACK_REMOVED = audit_verb(
    "milestones.track_removed", _("Milestone track removed <strong>{target}</strong>")
)

# Partner events ----------------------------------------------------------------------------

CHECKED_OFF_EVENT = event_type("milestone.checked_off", _("Milestone checked off"))
from apps.partners.verbs import PROFILE_COMPLETED_EVENT as PROFILE_COMPLETED_EVENT  # noqa: E402

CALL_LOGGED_EVENT = event_type("call.logged", _("Call logged"))
REVIEW_SCHEDULED_EVENT = event_type("review.scheduled", _("90-day review scheduled"))
REVIEW_HELD_EVENT = event_type("review.held", _("90-day review held"))
PLAN_DOCUMENTED_EVENT = event_type("plan.documented", _("Joint business plan documented"))
# Every certification event type starts with this (an LMS may send others, e.g. ".expired").
CERTIFICATION_PREFIX = "certification."
CERTIFICATION_ATTEMPTED_EVENT = event_type("certification.attempted", _("Certification attempted"))
CERTIFICATION_PASSED_EVENT = event_type("certification.passed", _("Certification passed"))
CERTIFICATION_FAILED_EVENT = event_type("certification.failed", _("Certification failed"))
DEAL_REGISTERED_EVENT = event_type("deal.registered", _("Deal registered"))
DEAL_APPROVED_EVENT = event_type("deal.approved", _("Deal approved"))
DEAL_REJECTED_EVENT = event_type("deal.rejected", _("Deal rejected"))
DEAL_PROGRESSED_EVENT = event_type("deal.progressed", _("Deal progressed"))
# Every deal event type starts with this; the reference is the deal's id in the deal desk.
DEAL_PREFIX = "deal."
# A learning module (an LMS course, an orientation module) completed, per user when sent so.
MODULE_COMPLETED_EVENT = event_type("module.completed", _("Learning module completed"))
MDF_REQUESTED_EVENT = event_type("mdf.requested", _("MDF request submitted"))
CAMPAIGN_STARTED_EVENT = event_type("campaign.started", _("Co-marketing campaign started"))
SOLUTION_DESIGN_HELD_EVENT = event_type(
    "solution_design.held", _("Joint solution design session held")
)
ORDER_WORKFLOW_CONFIRMED_EVENT = event_type(
    "order_workflow.confirmed", _("Order workflow confirmed")
)
RESELLER_ENROLLED_EVENT = event_type("reseller.enrolled", _("Reseller enrolled"))
REFERRAL_PROCESS_COMPLETED_EVENT = event_type(
    "referral_process.completed", _("Referral process completed")
)
LEAD_SUBMITTED_EVENT = event_type("lead.submitted", _("Lead submitted"))
SOLUTION_BRIEF_PUBLISHED_EVENT = event_type(
    "solution_brief.published", _("Solution brief published")
)
