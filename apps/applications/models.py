"""Partner applications (DOMAIN §3): the public form, invitations, and the Pending Partners
queue. Layer 6: reads and writes partner accounts and enrollments through their services."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from apps.partners.models import PartnerAccount, PartnerType
from apps.tenancy.models import TenantOwned

DEFAULT_CONFIRMATION_INTRO = (
    "Thanks for applying to our partner program. Please confirm your email address so we "
    "can review your application."
)
DEFAULT_APPROVAL_INTRO = (
    "Welcome aboard! Your partner account is ready, and your onboarding starts as soon as "
    "you sign in."
)
DEFAULT_REJECTION_INTRO = (
    "Thank you for your interest in our partner program. After reviewing your application, "
    "we are not able to accept it at this time."
)


def default_public_mail_domains() -> list[str]:
    """A program starts with no additions: the maintained list (apps/core/emaildomains.py)
    already holds the public mail providers."""
    return []


class CamAssignment(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round-robin"
    REGION = "region", "By region"


class ProgramSettings(TenantOwned):
    """How a program handles applications. At most one row per tenant; none means defaults."""

    auto_onboarding = models.BooleanField(default=False)
    domain_matching = models.BooleanField(default=False)
    # The program's own free-mail domains, added to the maintained list (emaildomains.py).
    public_mail_domains = models.JSONField(default=default_public_mail_domains, blank=True)
    cam_assignment = models.CharField(
        max_length=12, choices=CamAssignment, default=CamAssignment.ROUND_ROBIN
    )
    # {"emea": user_id, ...}: the channel manager of each region, for CamAssignment.REGION.
    region_cams = models.JSONField(default=dict, blank=True)
    # Extra questions of the public form: [{"key", "label", "kind", "required", "choices",
    # "help"}], the same shape as an onboarding form's fields.
    questions = models.JSONField(default=list, blank=True)
    confirmation_intro = models.TextField(default=DEFAULT_CONFIRMATION_INTRO, blank=True)
    approval_intro = models.TextField(default=DEFAULT_APPROVAL_INTRO, blank=True)
    rejection_intro = models.TextField(default=DEFAULT_REJECTION_INTRO, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "program settings"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="applications_settings_one_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(cam_assignment__in=["round_robin", "region"]),
                name="applications_settings_cam_assignment_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Application settings of {self.tenant_id}"

    @property
    def public_domains(self) -> frozenset[str]:
        """The program's additions only; ask `apps.core.emaildomains.is_free_mail`."""
        return frozenset(d.lower() for d in self.public_mail_domains or [])


class ApplicationStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Awaiting confirmation"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    ADDED = "added", "Added to a partner"
    REJECTED = "rejected", "Rejected"
    DECLINED = "declined", "Declined by the partner"


OPEN_STATUSES = (ApplicationStatus.UNCONFIRMED, ApplicationStatus.PENDING)
DECIDED_STATUSES = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.ADDED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.DECLINED,
)


class ApplicationSource(models.TextChoices):
    SELF = "self", "Self-registered"
    INVITED = "invited", "Invited"


class DecisionRule(models.TextChoices):
    """The row of DOMAIN §3's decision table that applied after confirmation."""

    MANUAL = "manual", "Manual review"
    AUTO_ONBOARDING = "auto_onboarding", "Auto-onboarding"
    DOMAIN_MATCHED = "domain_matched", "Domain matches a partner"
    DOMAIN_UNMATCHED = "domain_unmatched", "New domain"
    PUBLIC_DOMAIN = "public_domain", "Public mail provider"


class DecidedVia(models.TextChoices):
    AUTO = "auto", "Automatically"
    CONSOLE = "console", "Console"
    PORTAL = "portal", "Partner portal"
    API = "api", "API"


class Application(TenantOwned):
    email = models.EmailField(max_length=254)
    email_domain = models.CharField(max_length=253)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    company = models.CharField(max_length=200)
    website = models.URLField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True)
    partner_type = models.ForeignKey(PartnerType, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(blank=True)
    # [{"key", "label", "value"}]: the extra questions as they were asked, with the answers.
    answers = models.JSONField(default=list, blank=True)
    source = models.CharField(
        max_length=10, choices=ApplicationSource, default=ApplicationSource.SELF
    )
    invitation = models.ForeignKey(
        "Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    status = models.CharField(
        max_length=12, choices=ApplicationStatus, default=ApplicationStatus.UNCONFIRMED
    )
    rule = models.CharField(max_length=20, choices=DecisionRule, blank=True)
    # The partner account that owns the applicant's email domain (domain matching).
    matched_account = models.ForeignKey(
        PartnerAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The account the applicant joined (approved: the new one; added: the existing one).
    partner_account = models.ForeignKey(
        PartnerAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_via = models.CharField(max_length=10, choices=DecidedVia, blank=True)
    decision_reason = models.TextField(blank=True)
    # Why an automatic approval did not go through (left for a person to decide).
    review_note = models.CharField(max_length=300, blank=True)
    # Email confirmation: sha256 of the link's secret; the link itself is only in the email.
    confirm_token_hash = models.CharField(max_length=64, null=True, blank=True)
    confirm_expires_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Re-applying while an application is open never creates a second one.
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=models.Q(status__in=["unconfirmed", "pending"]),
                name="applications_one_open_per_email",
            ),
            models.UniqueConstraint(
                fields=["confirm_token_hash"],
                condition=models.Q(confirm_token_hash__isnull=False),
                name="applications_confirm_token_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "unconfirmed",
                        "pending",
                        "approved",
                        "added",
                        "rejected",
                        "declined",
                    ]
                ),
                name="applications_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=["self", "invited"]),
                name="applications_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email"))
                & models.Q(email_domain=Lower("email_domain")),
                name="applications_email_lowercase",
            ),
            # Decided only after the email was confirmed, and every decision has a date.
            models.CheckConstraint(
                condition=models.Q(status="unconfirmed") | models.Q(confirmed_at__isnull=False),
                name="applications_confirmed_before_review",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["unconfirmed", "pending"])
                | models.Q(decided_at__isnull=False),
                name="applications_decided_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "added"])
                | models.Q(partner_account__isnull=False),
                name="applications_accepted_has_account",
            ),
        ]
        indexes = [
            # The queue: one status, newest first (and its per-status counts).
            models.Index(fields=["tenant", "status", "-created_at", "-id"], name="app_queue"),
            models.Index(
                fields=["tenant", "status", "partner_type", "-created_at"], name="app_queue_type"
            ),
            models.Index(
                fields=["tenant", "status", "-created_at"],
                condition=models.Q(source="invited"),
                name="app_queue_invited",
            ),
            # Partner admins' team requests, and the queue's "matched" filter.
            models.Index(
                fields=["tenant", "matched_account", "status"],
                condition=models.Q(matched_account__isnull=False),
                name="app_matched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.email})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class Invitation(TenantOwned):
    """A CAM's invitation to apply: a link to the form, prefilled and marked invited."""

    email = models.EmailField(max_length=254)
    partner_type = models.ForeignKey(PartnerType, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus, default=InvitationStatus.PENDING
    )
    token_hash = models.CharField(max_length=64, null=True, blank=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="applications_one_open_invitation_per_email",
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=models.Q(token_hash__isnull=False),
                name="applications_invitation_token_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "revoked"]),
                name="applications_invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="applications_invitation_email_lowercase",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="app_invitations"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """pending / expired / accepted / revoked, for display and filters."""
        return "expired" if self.is_expired else self.status


class CamRotation(TenantOwned):
    """When each channel manager was last given a new partner (round-robin assignment)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="applications_rotation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} last assigned {self.last_assigned_at}"
