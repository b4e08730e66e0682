from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.tenancy.selectors import ProgramLink, memberships_of_user_all_tenants


def _other_programs(request: HttpRequest) -> list[ProgramLink]:
    """The signed-in user's other programs, read once per request (one query)."""
    cached: list[ProgramLink] | None = getattr(request, "_other_programs", None)
    if cached is None:
        membership = getattr(request, "membership", None)
        if membership is None or not getattr(membership, "has_other_programs", True):
            # Not a member here, or (annotated by `membership_get`) a one-program user.
            request._other_programs = []  # type: ignore[attr-defined]
            return []
        cached = memberships_of_user_all_tenants(
            user=getattr(request, "user", None), exclude=getattr(request, "tenant", None)
        )
        request._other_programs = cached  # type: ignore[attr-defined]
    return cached


def tenancy(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        # Lazy: queried only by templates that render the program switcher.
        "other_programs": SimpleLazyObject(lambda: _other_programs(request)),
    }
