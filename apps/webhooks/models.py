"""Outgoing webhooks: a program's endpoints and the deliveries of its events to them.

A delivery is written in the transaction of the change it reports (apps/webhooks/emission.py),
with one outbox message that sends it; its status is the log the console shows.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenancy.models import TenantOwned


class DisabledReason(models.TextChoices):
    MANUAL = "manual", _("Disabled by an admin")
    FAILING = "failing", _("Disabled after a day of failed deliveries")


class WebhookEndpoint(TenantOwned):
    """A URL of the program's that receives the events it subscribes to, signed with its
    secret (shown once, at creation and when rolled)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event types (`partner.created`) and group patterns (`application.*`, `*`).
    event_types = ArrayField(models.CharField(max_length=60), default=list)
    # Kept to sign each delivery; never shown again after creation (or a roll).
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=10, choices=DisabledReason, blank=True)
    # The first failed attempt since the last success: a day of that disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    # Deleted endpoints stay (their row), so an event racing the deletion never fails on a
    # missing endpoint; they are hidden everywhere and never sent to.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "created_at"],
                name="webhooks_endpoint_live",
                condition=models.Q(deleted_at__isnull=True),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disabled_reason__in=["", *DisabledReason.values]),
                name="webhooks_endpoint_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Retrying")
    GIVEN_UP = "given_up", _("Given up")


class WebhookDelivery(TenantOwned):
    """One event for one endpoint: its payload (sent as is, every attempt) and how its
    attempts went. `event_id` is the same for every attempt (and every endpoint): receivers
    de-duplicate on it."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60)
    partner_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # A replay sends a new outbox message: older messages of the delivery then do nothing.
    generation = models.PositiveIntegerField(default=1)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "event_id"], name="webhooks_delivery_once"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhooks_delivery_status_valid",
            ),
        ]
        indexes = [
            # The delivery log of one endpoint, newest first, and its keyset pages.
            models.Index(
                fields=["tenant", "endpoint", "-created_at", "-id"], name="webhooks_delivery_log"
            ),
            # The log filtered by status (what failed).
            models.Index(
                fields=["tenant", "endpoint", "status", "-created_at", "-id"],
                name="webhooks_delivery_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
