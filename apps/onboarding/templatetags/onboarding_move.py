"""`{% move_pipeline_choices enrollment as choices %}`: the pipelines the Onboarding tab's
"Move to another pipeline" control offers (its partial asks, so the tab's view is unchanged)."""

from __future__ import annotations

from typing import Any

from django import template

from apps.onboarding.models import Enrollment, Pipeline
from apps.onboarding.selectors import pipelines_for

register = template.Library()


@register.simple_tag(takes_context=True)
def move_pipeline_choices(context: dict[str, Any], enrollment: Enrollment | None) -> list[Pipeline]:
    """The program's live pipelines other than the enrollment's own (one query)."""
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if enrollment is None or tenant is None:
        return []
    return list(pipelines_for(tenant=tenant).exclude(pk=enrollment.pipeline_id).only("id", "name"))
