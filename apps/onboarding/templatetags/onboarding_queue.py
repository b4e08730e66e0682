"""The work queue's template helpers: the console nav badge and how long a row has waited."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from apps.onboarding.queue_badge import queue_count_cached

register = template.Library()


@register.simple_tag(takes_context=True)
def queue_waiting(context: template.Context) -> int:
    """The console nav badge: actions waiting for the user's partners (cached:
    apps/onboarding/queue_badge.py; the queue page sets it from its own counts)."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if request is None or membership is None or not membership.is_staff_role:
        return 0
    cached: int | None = getattr(request, "_queue_waiting", None)
    if cached is None:
        from apps.core.nav_badges import nav_badges

        cached = nav_badges(request).get("queue")  # one cache GET for every badge
    if cached is None:
        cached = queue_count_cached(tenant=request.tenant, membership=membership)
        request._queue_waiting = cached
    return cached


@register.filter
def waited(moment: datetime | None, now: datetime | None = None) -> str:
    """How long since `moment`, in its largest unit: "3 days", "5 hours", "under a minute"."""
    if moment is None:
        return ""
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return _("under a minute")
    return timesince(moment, now, depth=1)
