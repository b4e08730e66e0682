"""The transactional outbox: one row per side effect that leaves the database.

A business transaction writes the row (services.outbox_enqueue); after the commit a Celery
task is nudged to deliver it, and a beat sweep delivers whatever the nudge missed. A row is
claimed with a lease, so two workers never deliver it at the same time.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from apps.tenancy.models import Tenant


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    GIVEN_UP = "given_up", _("Given up")


class OutboxMessage(models.Model):
    """One side effect to deliver: `kind` names its handler (registry.py), `payload` its
    arguments (ids, or a rendered email)."""

    # Null only for messages of no program: allauth's emails on the platform host.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    # Who or what it is for, shown in the console ("peter@initech.example").
    summary = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=OutboxStatus, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A deliverer holds the row until then; a lost deliverer's lease simply runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Failing deliveries stop here (48 hours after creation, or after a Resend).
    give_up_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Set by callers that must not queue the same thing twice (a digest window).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="outbox_dedupe_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in OutboxStatus]),
                name="outbox_status_valid",
            ),
        ]
        indexes = [
            # The sweep: due pending rows.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=models.Q(status="pending"),
            ),
            # The console: a program's failing and given-up messages.
            models.Index(
                fields=["tenant", "status", "-created_at"],
                name="outbox_tenant_undelivered",
                condition=~models.Q(status="delivered"),
            ),
            # The purge of delivered rows.
            models.Index(
                fields=["delivered_at"],
                name="outbox_delivered",
                condition=models.Q(status="delivered"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.summary or self.kind} (#{self.pk})"

    @property
    def kind_label(self) -> str:
        from apps.outbox.registry import outbox_kind_label

        return outbox_kind_label(self.kind)
