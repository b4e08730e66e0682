"""Reads of a staff member's saved Partner Explorer views, and the rule of what a saved
query may hold. The list is cached per user (the console nav shows it on every page) and
dropped whenever one of their views changes (apps/partners/services/saved_views.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.partners.explorer_registry import explorer_params
from apps.partners.models import SavedView

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

CACHE_TTL = 24 * 3600
QUERY_MAX_LENGTH = 2000


@dataclass(frozen=True)
class SavedViewLink:
    id: int
    name: str
    query: str

    @property
    def url(self) -> str:
        return reverse("partners:explorer") + (f"?{self.query}" if self.query else "")


def saved_view_query_clean(query: str) -> str:
    """The Explorer's known filter parameters of `query` (a query string), each with its
    first non-empty value, in a stable order; anything else (unknown names, `page`, empty
    values) is dropped. Values are checked when the Explorer reads them, as for any URL."""
    params = QueryDict(query or "")
    known = explorer_params() - {"page"}
    pairs: list[tuple[str, str]] = []
    for key in sorted(params):
        if key not in known:
            continue
        value = next((v.strip() for v in params.getlist(key) if v.strip()), "")
        if value:
            pairs.append((key, value[:200]))
    return urlencode(pairs)


def _cache_key(tenant_id: int, user_id: int) -> str:
    return f"partners:saved-views:{tenant_id}:{user_id}"


def saved_views_changed(*, tenant_id: int, user_id: int) -> None:
    """Drop the user's cached list now and again after commit (a page rendered meanwhile
    may have cached the list as it was before)."""
    key = _cache_key(tenant_id, user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)  # logged, never raised


def saved_views_for(*, tenant: Tenant, user: Any) -> list[SavedViewLink]:
    """The user's saved views in this program, in their order: cached, else one query."""
    key = _cache_key(tenant.pk, user.pk)
    cached: list[tuple[int, str, str]] | None = cache.get(key)
    if cached is None:
        cached = list(
            SavedView.objects.filter(tenant=tenant, user_id=user.pk)
            .order_by("position", "id")
            .values_list("id", "name", "query")
        )
        cache.set(key, cached, CACHE_TTL)
    return [SavedViewLink(id=pk, name=name, query=query) for pk, name, query in cached]


def saved_view_get_or_404(*, tenant: Tenant, user: Any, pk: int) -> SavedView:
    """One of the user's own views; another user's (or program's) id is a 404."""
    return get_object_or_404(SavedView, tenant=tenant, user_id=user.pk, pk=pk)
