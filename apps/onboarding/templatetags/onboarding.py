from __future__ import annotations

from django import template

from apps.onboarding.models import ActionStatus

register = template.Library()


@register.filter
def get_item(mapping: object, key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def status_label(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return ActionStatus(value).label
    except ValueError:
        return value or "—"
