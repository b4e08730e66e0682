from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.http import HttpRequest

from apps.partners.saved_views import SavedViewLink, saved_view_query_clean, saved_views_for

register = template.Library()


def _current_query(request: HttpRequest) -> str | None:
    """The Explorer's filters as a saved view would hold them, on the Explorer; else None."""
    match = request.resolver_match
    if match is None or match.view_name != "partners:explorer":
        return None
    return saved_view_query_clean(request.GET.urlencode())


@dataclass(frozen=True)
class NavSavedViews:
    items: list[tuple[SavedViewLink, bool]]  # (view, whether it is the page shown)

    @property
    def any_current(self) -> bool:
        return any(current for _link, current in self.items)


@register.simple_tag(takes_context=True)
def saved_views(context: template.Context) -> NavSavedViews:
    """The console nav's saved Explorer views of the signed-in staff member, each with
    whether it is the page shown. Cached (apps/partners/saved_views.py): no query on most
    pages; computed once per request however often the nav is rendered."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if request is None or membership is None or not membership.is_staff_role:
        return NavSavedViews(items=[])
    links: list[SavedViewLink] | None = getattr(request, "_saved_views", None)
    if links is None:
        links = saved_views_for(tenant=request.tenant, user=request.user)
        request._saved_views = links  # type: ignore[attr-defined]
    current = _current_query(request)
    return NavSavedViews(
        items=[(link, current is not None and link.query == current) for link in links]
    )
