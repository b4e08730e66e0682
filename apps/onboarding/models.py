"""Onboarding pipelines and each partner's progress through them (DOMAIN §4)."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.partners.models import PartnerAccount, PartnerType
from apps.tenancy.models import TenantOwned

if TYPE_CHECKING:
    from django import forms

    from apps.audit.models import AuditEvent


def default_reminder_days() -> list[int]:
    return [3, 7]


class Pipeline(TenantOwned):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Nudges (services/nudges.py): days after an action became open on which its partner's
    # users are reminded, and whether enrolling emails the first stage's actions.
    reminder_days = ArrayField(
        models.PositiveSmallIntegerField(), default=default_reminder_days, blank=True, size=10
    )
    welcome_email = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=models.Q(archived_at__isnull=True),
                name="onboarding_pipeline_name_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PipelineAssignment(TenantOwned):
    """The default pipeline of a partner type (a pipeline may serve several types)."""

    partner_type = models.ForeignKey(PartnerType, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_type"], name="onboarding_one_pipeline_per_type"
            )
        ]


class Stage(TenantOwned):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    # Not columns: set on rows for display by enrollment_stages and by the pipeline
    # page's view (stage_list_with_actions' `live_actions` is typed by its annotations).
    progress: "StageProgress | None"
    edit_form: "forms.Form"
    edit_open: bool

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "pipeline", "position"], name="onb_stage_order")]

    def __str__(self) -> str:
        return self.name


class ActionType(models.TextChoices):
    VIEW_ASSET = "view_asset", "View asset"
    READ_ARTICLE = "read_article", "Read article"
    PROVIDE_INFORMATION = "provide_information", "Provide information"
    UPLOAD_DOCUMENT = "upload_document", "Upload document"


# Types that may ask for a CAM's approval; the others complete on view/read.
APPROVABLE_TYPES = frozenset({ActionType.PROVIDE_INFORMATION, ActionType.UPLOAD_DOCUMENT})


class FieldKind(models.TextChoices):
    TEXT = "text", "Text"
    LONG_TEXT = "long_text", "Long text"
    EMAIL = "email", "Email"
    URL = "url", "URL"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    CHECKBOX = "checkbox", "Checkbox"


class Action(TenantOwned):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="actions")
    type = models.CharField(max_length=24, choices=ActionType)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    requires_approval = models.BooleanField(default=True)
    # View asset / Read article: what to open.
    asset = models.ForeignKey(
        "content.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(
        "content.Article", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Provide information: [{"key", "label", "kind", "required", "choices", "help"}].
    form_fields = models.JSONField(default=list, blank=True)
    # Upload document.
    upload_types = models.JSONField(default=list, blank=True)
    upload_max_mb = models.PositiveIntegerField(default=25)
    upload_max_files = models.PositiveSmallIntegerField(default=5)
    archived_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the pipeline page's one line under the title (set by its view).
    summary: str

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "stage", "position"], name="onb_action_order")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(requires_approval=True)
                | models.Q(type__in=["provide_information", "upload_document"]),
                name="onboarding_action_approval_only_for_submissions",
            )
        ]

    def __str__(self) -> str:
        return self.title


class EnrollmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    # The partner was moved to another pipeline: kept, read-only, as history.
    SUPERSEDED = "superseded", "Moved to another pipeline"


# A partner's current enrollment is its one enrollment in one of these statuses.
CURRENT_ENROLLMENT_STATUSES = frozenset({EnrollmentStatus.IN_PROGRESS, EnrollmentStatus.COMPLETED})


class Enrollment(TenantOwned):
    """One partner account's journey through one pipeline.

    A partner has at most one current enrollment (in progress or completed); the ones it
    left for another pipeline stay as history (superseded)."""

    partner_account = models.ForeignKey(
        PartnerAccount, on_delete=models.CASCADE, related_name="enrollments"
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="enrollments")
    current_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=EnrollmentStatus, default=EnrollmentStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the partner was moved to another pipeline (status superseded).
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant", "current_stage"],
                name="onb_enrollment_in_progress",
                condition=models.Q(status="in_progress"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_account"],
                condition=~models.Q(status="superseded"),
                name="onb_one_current_enrollment",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["in_progress", "completed", "superseded"]),
                name="onb_enrollment_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_account} in {self.pipeline}"

    @property
    def is_completed(self) -> bool:
        return self.status == EnrollmentStatus.COMPLETED

    @property
    def is_superseded(self) -> bool:
        return self.status == EnrollmentStatus.SUPERSEDED


class StageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CURRENT = "current", "Current"
    COMPLETED = "completed", "Completed"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class StageProgress(TenantOwned):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="stages")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=StageStatus, default="pending")
    completed_at = models.DateTimeField(null=True, blank=True)
    # None with a completion date: moved on automatically.
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # When the partner entered the stage (it became current): the Explorer's "stalled" filter.
    entered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "stage"], name="onb_stage_progress_once")
        ]
        indexes = [
            # The Explorer's "in the current stage longer than N days".
            models.Index(
                fields=["tenant", "entered_at"],
                name="onb_stage_current_since",
                condition=models.Q(status="current"),
            ),
        ]

    @property
    def is_completed(self) -> bool:
        return self.status == StageStatus.COMPLETED

    @property
    def is_not_applicable(self) -> bool:
        return self.status == StageStatus.NOT_APPLICABLE


class ActionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    WAITING_FOR_APPROVAL = "waiting_for_approval", "Waiting for approval"
    COMPLETED = "completed", "Completed"
    ACTION_REQUIRED = "action_required", "Action required"
    SKIPPED = "skipped", "Skipped"


# An action in one of these no longer holds its stage open.
DONE_STATUSES = frozenset({ActionStatus.COMPLETED, ActionStatus.SKIPPED})

# The colour of each status's badge (templates/onboarding/_status_badge.html).
STATUS_TONES: dict[str, str] = {
    ActionStatus.PENDING: "blue",
    ActionStatus.WAITING_FOR_APPROVAL: "amber",
    ActionStatus.COMPLETED: "green",
    ActionStatus.ACTION_REQUIRED: "red",
    ActionStatus.SKIPPED: "gray",
}


class ActionProgress(TenantOwned):
    """One action's status for one partner, with the partner's submission."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="actions")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="progress")
    partner_account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=24, choices=ActionStatus, default=ActionStatus.PENDING)
    submission = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission_round = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set when a CAM validated it: only validated actions can be invalidated.
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    # The CAM's comment when asking for changes or invalidating.
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not columns: set on rows for display by stage_action_rows (audit history, files of
    # the current round) and by the console tab's view (the events its buttons offer).
    history: "list[AuditEvent]"
    current_files: "list[ActionFile]"
    events: list[str]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "action"], name="onb_action_progress_once"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ActionStatus]),
                name="onb_action_progress_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "enrollment", "status"], name="onb_progress_status"),
            models.Index(
                fields=["tenant", "updated_at"],
                name="onb_progress_waiting",
                condition=models.Q(status="waiting_for_approval"),
            ),
        ]

    def __str__(self) -> str:
        return self.action.title

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def is_completed(self) -> bool:
        return self.status == ActionStatus.COMPLETED

    @property
    def is_skipped(self) -> bool:
        return self.status == ActionStatus.SKIPPED

    @property
    def is_waiting_for_approval(self) -> bool:
        return self.status == ActionStatus.WAITING_FOR_APPROVAL

    @property
    def is_action_required(self) -> bool:
        return self.status == ActionStatus.ACTION_REQUIRED

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.status, "blue")


class ActionFile(TenantOwned):
    """A file a partner uploaded for an Upload document action (all rounds kept)."""

    progress = models.ForeignKey(ActionProgress, on_delete=models.CASCADE, related_name="files")
    submission_round = models.PositiveIntegerField()
    file = models.FileField(max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ApprovalDigest(TenantOwned):
    """When a CAM was last emailed the actions waiting for their approval."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="onb_digest_once_per_cam")
        ]


class NudgeSent(TenantOwned):
    """One partner user's reminder day (services/nudges.py): the row claims the day, so a
    user gets one reminder email a day at most, even from two sweeps at once. `sent_at`
    stays empty when nothing was left to remind them of at send time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    action_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "day"], name="onb_nudge_once_per_user_day"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "account", "-sent_at"],
                name="onb_nudge_last_sent",
                condition=models.Q(sent_at__isnull=False),
            )
        ]
