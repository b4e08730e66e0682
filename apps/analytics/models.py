"""The analytics rollup: each filter set's computed panels, kept per program and refreshed by
Celery, so /console/analytics/ reads one row instead of recomputing percentiles over every
stage a program's partners ever went through."""

from __future__ import annotations

from django.db import models

from apps.tenancy.models import TenantOwned


class AnalyticsSnapshot(TenantOwned):
    """The panels of /console/analytics/ for one filter set (and language), or the console
    home's program-wide figures (kind "home": its funnel and every stage's p90), as computed at
    `computed_at`. `data_mark` is the program's newest audit entry and partner event at that
    time: the refresh task recomputes a snapshot when the mark moved, or when it is simply old
    (figures such as "stalled past p90" drift with time alone)."""

    class Kind(models.TextChoices):
        PAGE = "page", "Analytics page"
        HOME = "home", "Console home"

    kind = models.CharField(max_length=8, choices=Kind, default=Kind.PAGE)
    key = models.CharField(max_length=64)  # sha256 of the kind, canonical filters and language
    filters = models.JSONField(default=dict)
    language = models.CharField(max_length=16, default="")
    panels = models.JSONField(default=list)  # a page's panels; the home's figures (a dict)
    computed_at = models.DateTimeField()
    compute_ms = models.PositiveIntegerField(default=0)
    data_mark = models.CharField(max_length=80, blank=True)
    viewed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="analytics_snapshot_key"),
        ]
        indexes = [
            # The refresh task walks recently viewed snapshots, oldest first.
            models.Index(fields=["viewed_at", "computed_at"], name="analytics_snapshot_viewed"),
        ]

    def __str__(self) -> str:
        return f"analytics snapshot {self.key[:8]} of tenant {self.tenant_id}"
