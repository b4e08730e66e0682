"""Platform rows below every app: the fallback cache table and the periodic-work heartbeats."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.cache import FALLBACK_CACHE_TABLE


class CacheEntry(models.Model):
    """The table of Django's DatabaseCache, used by `apps.core.cache.FailoverCache` while
    Redis is unreachable. Declared as a model (not `createcachetable`) so migrations create
    it and test databases have it; only DatabaseCache's own SQL reads and writes it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = FALLBACK_CACHE_TABLE
        verbose_name = _("fallback cache entry")
        verbose_name_plural = _("fallback cache entries")

    def __str__(self) -> str:
        return self.cache_key


class Heartbeat(models.Model):
    """When a periodic job (the milestone sweep, the onboarding reconcile, the outbox sweep)
    last finished: one row per job, upserted by `apps.core.heartbeat.heartbeat_beat`, read
    by /healthz."""

    name = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"
