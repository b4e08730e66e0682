from django import template
from django.utils import timezone

from apps.milestones.counts import open_alert_count_cached

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alerts(context) -> int:
    """The console nav badge: the user's open alerts (cached, see apps/milestones/counts.py)."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_staff_role:
        return 0
    cached = getattr(request, "_open_alerts", None)
    if cached is None:
        cached = open_alert_count_cached(
            tenant=request.tenant, user=request.user, membership=membership
        )
        request._open_alerts = cached
    return cached


EVENT_LABELS = {
    "onboarding.enrolled": "Enrolled in onboarding",
    "onboarding.action_completed": "Completed an onboarding action",
    "onboarding.stage_completed": "Completed an onboarding stage",
    "onboarding.completed": "Completed onboarding",
    "asset.downloaded": "Downloaded an asset",
    "asset.viewed": "Opened an asset",
    "article.read": "Read a help article",
    "profile.completed": "Completed the partner profile",
    "call.logged": "Call logged",
    "review.scheduled": "90-day review scheduled",
    "review.held": "90-day review held",
    "plan.documented": "Joint business plan documented",
    "certification.attempted": "Certification attempted",
    "certification.passed": "Certification passed",
    "certification.failed": "Certification failed",
    "deal.registered": "Deal registered",
    "mdf.requested": "MDF request submitted",
    "campaign.started": "Co-marketing campaign started",
}


@register.filter
def event_label(event) -> str:
    """A readable sentence for a partner event."""
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("label"):
        return data["label"]
    label = EVENT_LABELS.get(event.type, event.type)
    title = data.get("title") or data.get("stage")
    if title:
        return f"{label}: {title}"
    if event.type.startswith("certification.") and event.reference:
        return f"{label} ({event.reference})"
    return label


@register.filter
def days_ago(moment, now=None) -> str:
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
def days_overdue(moment, now=None) -> str:
    days = ((now or timezone.now()) - moment).days
    if days <= 0:
        return "Due today"
    return f"{days} day{'s' if days != 1 else ''} overdue"


@register.filter
def due_in(moment, now=None) -> str:
    days = (moment - (now or timezone.now())).days
    if days <= 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    return f"Due in {days} days"


SOURCES = {"api": "API", "console": "Console", "onboarding": "Onboarding", "content": "Library"}


@register.filter
def source_label(source: str) -> str:
    return SOURCES.get(source, (source or "").capitalize())
