"""Keyset pagination for every list of the API: opaque cursors, no OFFSET.

In a router::

    from apps.api.pagination import PageParams, keyset_page, page_of

    PartnerPage = page_of(PartnerOut)          # {"data": [PartnerOut], "next_cursor": ...}

    @router.get("", response={200: PartnerPage, 400: ErrorOut, ...}, auth=scoped(...))
    def partners_list(request, page: Query[PageParams], filters: Query[PartnerFilters]):
        qs = partners_for(tenant=request.tenant).filter(...)
        return keyset_page(qs, cursor=page.cursor, limit=page.limit,
                           order=("-created_at", "-id"))

`keyset_page(queryset, *, cursor, limit, order=("-id",), transform=None) -> dict`:

- `queryset`: the filtered rows (select_related/prefetch as the schema needs; do not
  order it, `order` does).
- `cursor`: the client's `cursor` query parameter (None for the first page). A cursor is
  signed and bound to `order`: a tampered or foreign one raises `ApiError(400,
  "invalid_cursor")` with field `cursor`.
- `limit`: 1–100 (`PageParams` validates it; default 50).
- `order`: model field names, each optionally prefixed with "-" (descending); the last one
  must be unique (the primary key) so the order is total. The fields must not be NULL.
- `transform`: optional callable applied to the list of rows of the page (e.g. to attach
  computed values in one query); it returns the list to serialize.

Returns `{"data": [rows], "next_cursor": "…" or None}`: `next_cursor` is None on the last
page. One query per page (`limit + 1` rows, to know whether there is a next page).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, create_model

from apps.api.errors import INVALID_CURSOR, ApiError
from apps.api.schemas import without_default

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_SALT = "apps.api.pagination"


class PageParams(Schema):
    # Not nullable: a query string cannot say null; absent is the first page.
    cursor: str = Field(  # type: ignore[assignment]
        None,
        max_length=500,
        json_schema_extra=without_default,
        description=("Opaque: the `next_cursor` of the previous page. Omit it for the first page."),
    )
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page, 1–100 (default 50)."
    )


_PAGES: dict[type, type] = {}


def page_of(item: type[Schema], name: str | None = None) -> type[Schema]:
    """The schema of a page of `item`: `{"data": [item], "next_cursor": str | None}`."""
    if item not in _PAGES:
        _PAGES[item] = create_model(  # type: ignore[call-overload]
            name or f"{item.__name__.removesuffix('Out')}Page",
            __base__=Schema,
            data=(list[item], Field(description="The items of this page.")),  # type: ignore[valid-type]
            next_cursor=(
                str | None,
                Field(
                    description=("Pass it as `cursor` to get the next page; null on the last page.")
                ),
            ),
        )
    return _PAGES[item]


def _order_key(order: Sequence[str]) -> str:
    return hashlib.sha256(",".join(order).encode()).hexdigest()[:8]


def _bad_cursor() -> ApiError:
    return ApiError(
        400,
        INVALID_CURSOR,
        _("The cursor is not valid: pass the next_cursor of a previous page, unchanged."),
        fields={"cursor": [_("Not a cursor of this list.")]},
    )


def _decode(queryset: QuerySet, cursor: str, order: Sequence[str]) -> list[Any]:
    try:
        payload = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as exc:
        raise _bad_cursor() from exc
    if (
        not isinstance(payload, dict)
        or payload.get("o") != _order_key(order)
        or not isinstance(payload.get("v"), list)
        or len(payload["v"]) != len(order)
    ):
        raise _bad_cursor()
    values = []
    for name, raw in zip(order, payload["v"], strict=True):
        meta = queryset.model._meta
        fname = name.lstrip("-")
        field = meta.pk if fname == "pk" else meta.get_field(fname)
        try:
            values.append(field.to_python(raw))
        except Exception as exc:  # a signed cursor is ours; this is belt and braces
            raise _bad_cursor() from exc
    return values


def _encode(row: Any, order: Sequence[str]) -> str:
    values = []
    for name in order:
        value = getattr(row, name.lstrip("-"))
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return signing.dumps({"o": _order_key(order), "v": values}, salt=_SALT, compress=True)


def _after(order: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `order`: (a > x) | (a = x & b > y) | …"""
    condition = Q()
    for i, name in enumerate(order):
        field = name.lstrip("-")
        op = "lt" if name.startswith("-") else "gt"
        term = Q(**{f"{field}__{op}": values[i]})
        for prior, value in zip(order[:i], values[:i], strict=True):
            term &= Q(**{prior.lstrip("-"): value})
        condition |= term
    return condition


def keyset_page(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    order: Sequence[str] = ("-id",),
    transform: Callable[[list[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of `queryset` in `order` after `cursor` (see the module docstring)."""
    order = tuple(order)
    limit = max(1, min(MAX_LIMIT, int(limit)))
    rows_qs = queryset.order_by(*order)
    if cursor:
        rows_qs = rows_qs.filter(_after(order, _decode(queryset, cursor, order)))
    rows = list(rows_qs[: limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(rows[-1], order) if has_next and rows else None
    data = transform(rows) if transform is not None else rows
    return {"data": data, "next_cursor": next_cursor}
