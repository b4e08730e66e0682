from datetime import datetime

from django import template
from django.utils import timezone

from apps.milestones import verbs
from apps.milestones.alert_badge import open_alert_count_cached
from apps.milestones.models import Alert
from apps.milestones.services.alerts import ALERT_DONE_STATUSES
from apps.milestones.services.alerts import alert_can as alert_can_transition
from apps.partners.models import PartnerEvent
from apps.partners.verbs import event_source_label, event_wording

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alerts(context: template.Context) -> int:
    """The console nav badge: the user's open alerts (cached: apps/milestones/alert_badge.py)."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if request is None or membership is None or not membership.is_staff_role:
        return 0
    cached: int | None = getattr(request, "_open_alerts", None)
    if cached is None:
        from apps.core.nav_badges import nav_badges

        cached = nav_badges(request).get("alerts")  # one cache GET for every badge
    if cached is None:
        cached = open_alert_count_cached(
            tenant=request.tenant, user=request.user, membership=membership
        )
        request._open_alerts = cached
    return cached


@register.filter
def event_label(event: PartnerEvent) -> str:
    """A readable sentence for a partner event (its type's declared label)."""
    return event_wording(event)


@register.filter
def alert_can(alert: Alert, event: str) -> bool:
    """Whether the alert's status allows `event` (ALERT_TRANSITIONS): which buttons show."""
    return alert_can_transition(alert.status, event)


@register.filter
def alert_is_done(alert: Alert) -> bool:
    """Whether no event leads out of the alert's status (resolved)."""
    return alert.status in ALERT_DONE_STATUSES


@register.filter
def days_ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "today", "yesterday", "12 days ago"."""
    if moment is None:
        return ""
    days = ((now or timezone.now()) - moment).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


@register.filter
def days_overdue(moment: datetime, now: datetime | None = None) -> str:
    days = ((now or timezone.now()) - moment).days
    if days <= 0:
        return "Due today"
    return f"{days} day{'s' if days != 1 else ''} overdue"


@register.filter
def due_in(moment: datetime, now: datetime | None = None) -> str:
    days = (moment - (now or timezone.now())).days
    if days <= 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    return f"Due in {days} days"


@register.filter
def source_label(source: str) -> str:
    return event_source_label(source)


@register.filter
def certification_outcome(event_type: str) -> str:
    """ "passed", "failed", or the rest of a certification event's type ("attempted", …)."""
    if event_type == verbs.CERTIFICATION_PASSED_EVENT:
        return "passed"
    if event_type == verbs.CERTIFICATION_FAILED_EVENT:
        return "failed"
    return event_type.removeprefix(verbs.CERTIFICATION_PREFIX)
