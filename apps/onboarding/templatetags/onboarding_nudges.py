"""`{% last_reminded account as when %}`: the Onboarding tab's "last reminded" line."""

from __future__ import annotations

import datetime
from typing import Any

from django import template

from apps.onboarding.selectors_nudges import last_reminded_at

register = template.Library()


@register.simple_tag(takes_context=True)
def last_reminded(context: dict[str, Any], account: Any) -> datetime.datetime | None:
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None or account is None:
        return None
    return last_reminded_at(tenant=tenant, account_id=account.pk)
