"""The milestone template every program starts from (seed 004).

Facts from the seed: the nine milestones with their target windows, responsible parties and
CAM alert triggers; the six partner-type tracks with their priority sequences, critical first
milestones and activation windows (the upper bound of the seed's range).

Where a track's critical first milestone is not one of the nine (a distributor's first
reseller sub-enrolled, a referral agent's first lead…), the template adds a milestone for
that track alone, due by the end of its activation window; docs/decisions.md says why.
"""

from dataclasses import dataclass, field

from apps.content import verbs as content_verbs
from apps.milestones import verbs
from apps.milestones.models import AlertKind, CompletionKind, Phase, RuleCondition
from apps.onboarding import verbs as onboarding_verbs
from apps.partners import verbs as partner_verbs


@dataclass(frozen=True)
class RuleSpec:
    day: int
    label: str
    event_types: tuple[str, ...] = ()  # empty: the milestone's completion
    event_reference: str = ""
    kind: str = AlertKind.OVERDUE
    condition: str = RuleCondition.MISSING
    threshold: int | None = None


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    name: str
    phase: int
    window: tuple[int, int]
    responsible: str
    event_types: tuple[str, ...]
    event_reference: str = ""
    rules: tuple[RuleSpec, ...] = ()
    description: str = ""
    completion: str = CompletionKind.EVENT
    content_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrackSpec:
    partner_type: str
    activation_window_days: int
    priority_sequence: tuple[str, ...]
    critical_first_milestone: str
    activation: tuple[str, ...]  # milestone keys that make the partner activated
    excluded: tuple[str, ...] = ()  # standard milestones that do not apply
    extra: tuple[MilestoneSpec, ...] = field(default_factory=tuple)


# The asset categories that hold co-marketing content (the template's choice; each track
# can name others in the tracks editor).
CO_MARKETING_CATEGORIES = ("marketing", "brand")

STANDARD_MILESTONES: tuple[MilestoneSpec, ...] = (
    MilestoneSpec(
        key="profile-complete",
        name="Portal access confirmed and partner profile complete",
        phase=Phase.ADMINISTRATIVE,
        window=(1, 3),
        responsible="Partner admin + automated provisioning",
        # Both: the profile's completion percentage reached 100%, and someone signed in.
        completion=CompletionKind.ALL_EVENTS,
        event_types=(
            partner_verbs.PROFILE_COMPLETED_EVENT,
            partner_verbs.PORTAL_ACCESS_CONFIRMED_EVENT,
        ),
        rules=(RuleSpec(5, "Profile incomplete at day 5"),),
    ),
    MilestoneSpec(
        key="welcome-call",
        name="Welcome call completed",
        phase=Phase.ADMINISTRATIVE,
        window=(1, 5),
        responsible="Channel manager",
        event_types=(verbs.CALL_LOGGED_EVENT,),
        event_reference="welcome",
        rules=(RuleSpec(7, "Welcome call not logged at day 7"),),
        description="A 30-minute call that confirms the onboarding plan and any blockers.",
    ),
    MilestoneSpec(
        key="orientation",
        name="Program orientation modules completed",
        phase=Phase.ORIENTATION,
        window=(3, 14),
        responsible="Partner key stakeholders",
        # The share of the orientation items done: the actions of the stage the track names
        # (completed or skipped) and any learning modules it lists.
        completion=CompletionKind.SHARE,
        event_types=(
            onboarding_verbs.ACTION_COMPLETED_EVENT,
            onboarding_verbs.ACTION_SKIPPED_EVENT,
            verbs.MODULE_COMPLETED_EVENT,
        ),
        rules=(
            RuleSpec(
                14,
                "Less than 50% of orientation completed at day 14",
                condition=RuleCondition.BELOW,
                threshold=50,
            ),
        ),
    ),
    MilestoneSpec(
        key="sales-certification",
        name="Foundational sales certification achieved",
        phase=Phase.ENABLEMENT,
        window=(7, 45),
        responsible="Partner sales representatives",
        event_types=(verbs.CERTIFICATION_PASSED_EVENT,),
        event_reference="sales",
        rules=(
            RuleSpec(
                30,
                "No sales certification attempt at day 30",
                event_types=(verbs.CERTIFICATION_ATTEMPTED_EVENT, verbs.CERTIFICATION_FAILED_EVENT),
                event_reference="sales",
            ),
            RuleSpec(45, "Sales certification not passed at day 45"),
        ),
    ),
    MilestoneSpec(
        key="technical-certification",
        name="Technical certification achieved",
        phase=Phase.ENABLEMENT,
        window=(14, 60),
        responsible="Partner technical contact",
        event_types=(verbs.CERTIFICATION_PASSED_EVENT,),
        event_reference="technical",
        rules=(
            RuleSpec(
                45,
                "No technical certification attempt at day 45",
                event_types=(verbs.CERTIFICATION_ATTEMPTED_EVENT, verbs.CERTIFICATION_FAILED_EVENT),
                event_reference="technical",
            ),
            RuleSpec(60, "Technical certification not passed at day 60"),
        ),
    ),
    MilestoneSpec(
        key="first-deal",
        name="First deal registered",
        phase=Phase.COMMERCIAL,
        window=(21, 75),
        responsible="Partner sales representative + CAM coaching",
        event_types=(verbs.DEAL_REGISTERED_EVENT,),
        rules=(
            RuleSpec(45, "No deal registered at day 45"),
            RuleSpec(
                75,
                "Deal stalled in submission at day 75",
                event_types=(
                    verbs.DEAL_APPROVED_EVENT,
                    verbs.DEAL_REJECTED_EVENT,
                    verbs.DEAL_PROGRESSED_EVENT,
                ),
                condition=RuleCondition.STALLED,
            ),
        ),
    ),
    MilestoneSpec(
        key="first-marketing",
        name="First MDF request submitted or co-marketing asset accessed",
        phase=Phase.COMMERCIAL,
        window=(30, 75),
        responsible="Partner marketing contact + CAM introduction",
        event_types=(
            verbs.MDF_REQUESTED_EVENT,
            content_verbs.ASSET_DOWNLOADED_EVENT,
            verbs.CAMPAIGN_STARTED_EVENT,
        ),
        # Downloads count only for co-marketing content.
        content_categories=CO_MARKETING_CATEGORIES,
        rules=(RuleSpec(60, "No marketing activity at day 60"),),
    ),
    MilestoneSpec(
        key="ninety-day-review",
        name="90-day onboarding review completed",
        phase=Phase.BASELINE,
        window=(75, 90),
        responsible="Channel manager + partner leadership",
        event_types=(verbs.REVIEW_HELD_EVENT,),
        rules=(
            RuleSpec(
                70,
                "90-day review not scheduled at day 70",
                event_types=(verbs.REVIEW_SCHEDULED_EVENT,),
            ),
            RuleSpec(75, "90-day review package ready", kind=AlertKind.REMINDER),
        ),
    ),
    MilestoneSpec(
        key="business-plan",
        name="First joint business plan documented",
        phase=Phase.BASELINE,
        window=(80, 90),
        responsible="Channel manager + partner leadership",
        event_types=(verbs.PLAN_DOCUMENTED_EVENT,),
        rules=(RuleSpec(85, "Business plan not initiated at day 85"),),
    ),
)

TRACKS: tuple[TrackSpec, ...] = (
    TrackSpec(
        partner_type="Reseller / VAR",
        activation_window_days=60,
        priority_sequence=(
            "Sales certification",
            "Deal registration orientation",
            "Competitive positioning",
            "MDF program introduction",
            "Technical certification (if solution complexity requires)",
        ),
        critical_first_milestone="Foundational sales certification + first deal registered",
        activation=("sales-certification", "first-deal"),
    ),
    TrackSpec(
        partner_type="Managed Service Provider",
        activation_window_days=90,
        priority_sequence=(
            "Technical certification",
            "Platform deployment training",
            "Service delivery methodology",
            "Co-sell support orientation",
            "Renewal and upsell motion training",
        ),
        critical_first_milestone="Technical deployment certification completed",
        activation=("technical-certification",),
    ),
    TrackSpec(
        partner_type="Systems Integrator",
        activation_window_days=90,
        priority_sequence=(
            "Technical architecture certification",
            "Solution design methodology",
            "Co-sell and co-delivery model orientation",
            "Professional services pricing guidance",
            "Reference architecture access",
        ),
        critical_first_milestone=(
            "Technical architecture certification + first joint solution design session"
        ),
        activation=("technical-certification", "si-solution-design"),
        extra=(
            MilestoneSpec(
                key="si-solution-design",
                name="First joint solution design session held",
                phase=Phase.ENABLEMENT,
                window=(14, 90),
                responsible="Partner solution architect + channel manager",
                event_types=(verbs.SOLUTION_DESIGN_HELD_EVENT,),
            ),
        ),
    ),
    TrackSpec(
        partner_type="Distributor",
        activation_window_days=45,
        priority_sequence=(
            "Program structure and margin model orientation",
            "Deal registration and order management workflow",
            "Reseller recruitment and sub-program setup",
            "Marketing development fund administration",
            "Sell-through reporting setup",
        ),
        critical_first_milestone=(
            "Order management workflow confirmed + first reseller sub-enrolled"
        ),
        activation=("distributor-order-workflow", "distributor-first-reseller"),
        excluded=("technical-certification",),
        extra=(
            MilestoneSpec(
                key="distributor-order-workflow",
                name="Order management workflow confirmed",
                phase=Phase.ORIENTATION,
                window=(3, 45),
                responsible="Distributor operations",
                event_types=(verbs.ORDER_WORKFLOW_CONFIRMED_EVENT,),
            ),
            MilestoneSpec(
                key="distributor-first-reseller",
                name="First reseller sub-enrolled",
                phase=Phase.COMMERCIAL,
                window=(14, 45),
                responsible="Distributor channel team",
                event_types=(verbs.RESELLER_ENROLLED_EVENT,),
            ),
        ),
    ),
    TrackSpec(
        partner_type="Referral / Agent",
        activation_window_days=30,
        priority_sequence=(
            "Referral submission process orientation",
            "Lead quality criteria",
            "Qualification methodology",
            "Commission and reward tracking",
            "Escalation and handoff protocol",
        ),
        critical_first_milestone="Referral submission process completed + first lead submitted",
        activation=("referral-process", "referral-first-lead"),
        excluded=("technical-certification",),
        extra=(
            MilestoneSpec(
                key="referral-process",
                name="Referral submission process completed",
                phase=Phase.ORIENTATION,
                window=(3, 30),
                responsible="Referral partner",
                event_types=(verbs.REFERRAL_PROCESS_COMPLETED_EVENT,),
            ),
            MilestoneSpec(
                key="referral-first-lead",
                name="First lead submitted",
                phase=Phase.COMMERCIAL,
                window=(7, 30),
                responsible="Referral partner",
                event_types=(verbs.LEAD_SUBMITTED_EVENT,),
            ),
        ),
    ),
    TrackSpec(
        partner_type="Technology / Alliance",
        activation_window_days=75,
        priority_sequence=(
            "Integration architecture review",
            "Joint solution positioning",
            "Co-marketing opportunity identification",
            "Joint customer reference program",
            "Co-sell rules of engagement",
        ),
        critical_first_milestone=(
            "Joint solution brief published + first co-marketing activity initiated"
        ),
        activation=("alliance-solution-brief", "first-marketing"),
        extra=(
            MilestoneSpec(
                key="alliance-solution-brief",
                name="Joint solution brief published",
                phase=Phase.COMMERCIAL,
                window=(21, 75),
                responsible="Alliance partner marketing + channel manager",
                event_types=(verbs.SOLUTION_BRIEF_PUBLISHED_EVENT,),
            ),
        ),
    ),
)

STANDARD_KEYS = tuple(m.key for m in STANDARD_MILESTONES)
