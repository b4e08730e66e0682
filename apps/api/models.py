from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenancy.models import TenantOwned


class ApiScope(models.TextChoices):
    """What a key may do. `scoped(scope)` (apps/api/auth.py) checks one per operation."""

    PARTNERS_READ = "partners:read", _("Read partners, their domains, users and events")
    PARTNERS_WRITE = "partners:write", _("Create, update, suspend and reactivate partners")
    EVENTS_WRITE = "events:write", _("Send partner events (certifications, deals, …)")
    ONBOARDING_READ = "onboarding:read", _("Read onboarding, milestones and alerts")
    ONBOARDING_WRITE = (
        "onboarding:write",
        _("Complete, validate, skip onboarding actions; acknowledge alerts"),
    )
    APPLICATIONS_READ = "applications:read", _("Read partner applications")
    APPLICATIONS_WRITE = "applications:write", _("Approve and reject partner applications")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhook endpoints and deliveries")


class ApiKeyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class ApiKey(TenantOwned):
    """A program's key for the REST API. Only a hash of the secret is stored.

    The full key is `onr_<prefix>_<secret>`; the prefix identifies the row and is shown in
    the console, the secret is shown once, when the key is created. A key acts as itself:
    services get it as `actor` and the audit log names it by `audit_label`.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="api_key_tenant_created")]

    def __str__(self) -> str:
        return f"{self.name} (onr_{self.prefix}_…)"

    @property
    def audit_label(self) -> str:
        """How the audit log and timelines name this key when it acts."""
        return str(_("API key {name} (onr_{prefix}…)")).format(name=self.name, prefix=self.prefix)

    def status_at(self, moment: datetime) -> str:
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= moment:
            return ApiKeyStatus.EXPIRED
        return ApiKeyStatus.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def is_active(self) -> bool:
        return self.status == ApiKeyStatus.ACTIVE

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def scope_items(self) -> list[tuple[str, str]]:
        """(scope, its label) for each of the key's scopes."""
        labels = dict(ApiScope.choices)
        return [(scope, str(labels.get(scope, scope))) for scope in self.scopes]


class ApiRequestLog(TenantOwned):
    """One API request made with a key: what and how it went, never a body.

    Written once per request (one INSERT, after the response is built); purged after
    API_REQUEST_LOG_DAYS by a beat task.
    """

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=7)
    # The route's template (/partners/{partner_id}), not the concrete path: no ids or
    # query strings (which may hold personal data) end up in the log.
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    latency_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The per-key log page: newest first.
            models.Index(fields=["key", "-created_at", "-id"], name="api_log_key_created"),
            # The retention purge: append-only rows in time order, a tiny BRIN index.
            BrinIndex(fields=["created_at"], name="api_log_created_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
