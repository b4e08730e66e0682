"""Milestone tracks by partner type, each partner's milestones, and the CAM's alerts (DOMAIN §5).

Definitions (per program): a `Track` per partner type owns its `Milestone`s (each track its
own copy, so that one can be edited alone), each with its `AlertRule`s.
Per partner: `PartnerTrack` (when milestone tracking started, the activation deadline),
`PartnerMilestone` (due dates computed at enrollment), `AlertCheckpoint` (one row per partner
and rule, with the moment it becomes due: what the sweep reads through a partial index) and
`Alert` (raised at most once per partner milestone and rule: a unique constraint).

What completes a milestone or satisfies a rule is always expressed in terms of the partner
event log (`partners.PartnerEvent`): event types, optionally with a reference. An onboarding
action or stage completing is the event `onboarding.action_completed` / `stage_completed`
with the reference `action:<id>` / `stage:<id>`; a CAM's check-off is the event
`milestone.checked_off` with the reference `milestone:<key>`.

Signals as seed 004 measures them: a milestone completes on any of its events (EVENT), on
every one of them (ALL_EVENTS: profile 100% and first sign-in), or when the share of its items
done reaches 100% (SHARE: orientation; `PartnerMilestone.progress` keeps the percentage). A
rule alerts when its event is missing (MISSING), when progress is under a threshold (BELOW),
or when something registered has had no later event (STALLED: a deal still in submission).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.partners.models import PartnerAccount, PartnerEvent, PartnerType
from apps.tenancy.models import TenantOwned


class Phase(models.IntegerChoices):
    ADMINISTRATIVE = 1, "Administrative activation"
    ORIENTATION = 2, "Program orientation"
    ENABLEMENT = 3, "Product and sales enablement"
    COMMERCIAL = 4, "Commercial activation"
    BASELINE = 5, "Performance baseline"


class CompletionKind(models.TextChoices):
    EVENT = "event", "An event is recorded"
    ALL_EVENTS = "all_events", "Every one of its events is recorded"
    SHARE = "share", "A share of its items is done (100% completes it)"
    ACTION = "action", "An onboarding action is completed"
    STAGE = "stage", "An onboarding stage is completed"
    CHECK_OFF = "check_off", "The channel manager checks it off"


class Milestone(TenantOwned):
    """A milestone of one track, with its target window counted from enrollment.

    Each track owns its milestones (the template gives every track its own copy), so a
    track's windows, rules and completion can be edited without touching another's.
    """

    track = models.ForeignKey("Track", on_delete=models.CASCADE, related_name="milestone_set")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    phase = models.PositiveSmallIntegerField(choices=Phase)
    window_from_day = models.PositiveSmallIntegerField()
    window_to_day = models.PositiveSmallIntegerField()
    responsible = models.CharField(max_length=200, blank=True)
    completion = models.CharField(max_length=12, choices=CompletionKind)
    # The events that complete it (any of them), with a reference when it must match too.
    # For ACTION / STAGE they are derived from `action` / `stage`; empty for CHECK_OFF.
    event_types = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    event_reference = models.CharField(max_length=200, blank=True)
    action = models.ForeignKey(
        "onboarding.Action", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.ForeignKey(
        "onboarding.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # SHARE: the references that make it up (e.g. `action:12`, an LMS module's key), besides
    # every action of `stage`; an event of one of `event_types` with that reference marks the
    # item done. Progress = items done / items.
    items = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    # Content opens (`asset.downloaded`…) count only for assets of these categories
    # (co-marketing content); empty: any asset.
    content_categories = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    counts_for_activation = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["phase", "window_from_day", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "track", "key"], name="milestones_key_unique_per_track"
            ),
            models.CheckConstraint(
                condition=models.Q(phase__gte=1, phase__lte=5), name="milestones_phase_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(window_from_day__lte=models.F("window_to_day")),
                name="milestones_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def window_label(self) -> str:
        if self.window_from_day == self.window_to_day:
            return f"Day {self.window_to_day}"
        return f"Day {self.window_from_day}–{self.window_to_day}"


class AlertKind(models.TextChoices):
    OVERDUE = "overdue", "Overdue"
    REMINDER = "reminder", "Reminder"


class RuleCondition(models.TextChoices):
    MISSING = "missing", "The event has not happened"
    BELOW = "below", "Progress is below the threshold"
    STALLED = "stalled", "An item is stalled (registered, nothing since)"


class AlertRule(TenantOwned):
    """ "At day N, if event E has not happened, alert the CAM."

    MISSING (the default): with no event types of its own, E is the milestone's completion.
    The rule is satisfied by its own events or by the milestone completing: a completed
    milestone raises nothing.
    BELOW: alert when the milestone's progress is under `threshold` percent at day N.
    STALLED: alert when an event completing the milestone (a deal registered) has no later
    event of `event_types` with the same reference (approved, rejected, progressed) at day N;
    nothing is stalled when nothing was registered. Evaluated when due.
    A retired rule (`active` false) keeps its alerts but raises nothing more.
    """

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="rules")
    day = models.PositiveSmallIntegerField()
    event_types = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    event_reference = models.CharField(max_length=200, blank=True)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=AlertKind, default=AlertKind.OVERDUE)
    condition = models.CharField(
        max_length=10, choices=RuleCondition, default=RuleCondition.MISSING
    )
    threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "milestone", "day", "label"], name="milestones_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Track(TenantOwned):
    """The onboarding track of one partner type."""

    partner_type = models.ForeignKey(PartnerType, on_delete=models.CASCADE, related_name="+")
    activation_window_days = models.PositiveSmallIntegerField()
    priority_sequence = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    critical_first_milestone = models.CharField(max_length=300, blank=True)

    # Set only on the rows of `selectors.milestone_tracks_overview`: the milestones that
    # count for activation.
    activation: list[Milestone]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_type"], name="milestones_one_track_per_type"
            ),
            models.CheckConstraint(
                condition=models.Q(activation_window_days__gte=1),
                name="milestones_track_window_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_type} track"


class PartnerTrack(TenantOwned):
    """A partner account's milestone tracking: started at enrollment, one per account."""

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField()
    activation_due_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    dark_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account"], name="milestones_partner_track_once"
            ),
        ]
        indexes = [
            # The sweep's "gone dark" step reads only the windows that ran out.
            models.Index(
                fields=["activation_due_at"],
                name="milestones_pt_dark_due",
                condition=models.Q(activated_at__isnull=True, dark_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.track_id}"


class PartnerMilestone(TenantOwned):
    """One milestone for one partner, with its dates computed at enrollment."""

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    partner_track = models.ForeignKey(
        PartnerTrack, on_delete=models.CASCADE, related_name="milestones"
    )
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    due_at = models.DateTimeField()
    # SHARE and ALL_EVENTS milestones: the percentage done (0–100), kept by the sweep.
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completion_event = models.ForeignKey(
        PartnerEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "milestone"], name="milestones_partner_once"
            ),
        ]
        indexes = [
            # Events look up the open milestones of their partner.
            models.Index(
                fields=["tenant", "account"],
                name="milestones_pm_open",
                condition=models.Q(completed_at__isnull=True),
            ),
            # Overdue counts (console home).
            models.Index(
                fields=["tenant", "due_at"],
                name="milestones_pm_open_due",
                condition=models.Q(completed_at__isnull=True),
            ),
        ]

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class CheckpointOutcome(models.TextChoices):
    RAISED = "raised", "Alert raised"
    SUPPRESSED = "suppressed", "Nothing raised (partner suspended)"
    CLEAR = "clear", "Nothing raised (the signal was there)"
    WAIVED = "waived", "Nothing raised (the rule changed after it was due)"


class AlertCheckpoint(TenantOwned):
    """When one rule becomes due for one partner. The sweep claims due rows exactly once."""

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    partner_milestone = models.ForeignKey(
        PartnerMilestone, on_delete=models.CASCADE, related_name="checkpoints"
    )
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=CheckpointOutcome, blank=True)
    satisfied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_milestone", "rule"], name="milestones_checkpoint_once"
            ),
        ]
        indexes = [
            # What is due: the sweep's cost follows the rows due, not the partners.
            models.Index(
                fields=["due_at"],
                name="milestones_cp_due",
                condition=models.Q(fired_at__isnull=True, satisfied_at__isnull=True),
            ),
            # Events look up the unsatisfied rules of their partner.
            models.Index(
                fields=["tenant", "account"],
                name="milestones_cp_open",
                condition=models.Q(satisfied_at__isnull=True),
            ),
        ]


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(TenantOwned):
    """An alert raised for the partner's CAM. At most one per partner milestone and rule."""

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    partner_milestone = models.ForeignKey(
        PartnerMilestone, on_delete=models.CASCADE, related_name="alerts"
    )
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    checkpoint = models.OneToOneField(
        AlertCheckpoint, on_delete=models.CASCADE, related_name="alert"
    )
    due_at = models.DateTimeField()
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=14, choices=AlertStatus, default=AlertStatus.OPEN)
    # Hidden from the inbox, the counts and the digest before this date.
    snoozed_until = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_milestone", "rule"], name="milestones_alert_once"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "acknowledged", "resolved"]),
                name="milestones_alert_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "account", "-due_at"],
                name="milestones_alert_unresolved",
                condition=models.Q(resolved_at__isnull=True),
            ),
            models.Index(fields=["tenant", "-due_at", "-id"], name="milestones_alert_inbox"),
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk} ({self.status})"


class AlertDigest(TenantOwned):
    """The day a CAM last got the alert digest: one email per CAM per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="milestones_digest_once")
        ]


class QbrCadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly business reviews"
    QUARTERLY = "quarterly", "Quarterly business reviews"
    HALF_YEARLY = "half_yearly", "Half-yearly business reviews"


class BusinessPlan(TenantOwned):
    """The first joint business plan, documented at the 90-day review."""

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    revenue_target = models.CharField(max_length=200)
    certification_goals = models.TextField(blank=True)
    marketing_commitments = models.TextField(blank=True)
    qbr_cadence = models.CharField(max_length=20, choices=QbrCadence, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "account"], name="milestones_plan_account")]


class PlanItemOwner(models.TextChoices):
    PARTNER = "partner", "Partner"
    VENDOR = "vendor", "Our team"
    JOINT = "joint", "Joint"


class BusinessPlanItem(TenantOwned):
    """A mutual action item of a business plan, with its due date."""

    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(max_length=300)
    owner = models.CharField(max_length=10, choices=PlanItemOwner)
    due_on = models.DateField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "position", "id"]


class SweepCursor(models.Model):
    """How far the sweep has read an append-only table (platform row, not tenant-owned).

    The sweep re-reads a short overlap behind the cursor, and every write it makes is
    idempotent, so rows that commit late are still seen and nothing happens twice.
    """

    name = models.CharField(max_length=40, unique=True)
    position_at = models.DateTimeField(null=True, blank=True)
    position_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
