from django import template

from apps.onboarding.models import ActionStatus

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def status_label(value):
    try:
        return ActionStatus(value).label
    except ValueError:
        return value or "—"
