"""The Partner Explorer's pages at any size: keyset cursors, a bounded count, indexed search.

- Pages: `?after=<cursor>` shows the rows after a row, `?before=<cursor>` the rows before it,
  in the order of the chosen sort. A cursor holds that row's sort values and id
  (`<lower(name)>,<id>`, `<UTC time>,<id>`; the type and tier sorts start with the type id or
  tier key: `<group>,<lower(name)>,<id>`), so a link keeps showing the same rows when
  partners are added or removed elsewhere, and every page costs one index range scan,
  however deep. `?page=N` (old links) is an OFFSET, honoured up to PAGE_NUMBER_LIMIT.
- The count is exact up to EXACT_COUNT_LIMIT (a `COUNT(*)` over at most that many rows +1);
  above it, PostgreSQL's row estimate of the same filtered query (EXPLAIN), "about 100,000".
- Search reads the two trigram indexes (UPPER(name), UPPER(domain)), then the matching
  accounts by primary key (never a sequential scan of the program's accounts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Lower

from apps.partners.models import PartnerAccount, PartnerDomain
from apps.partners.selectors import (
    ExplorerFilters,
    partner_explorer_filtered,
    partner_explorer_page_rows,
)
from apps.tenancy.models import Tenant

PAGE_SIZE = 25
EXACT_COUNT_LIMIT = 10_000  # settings.PARTNER_EXPLORER_EXACT_COUNT_LIMIT overrides it
PAGE_NUMBER_LIMIT = 20  # ?page=N beyond this falls back to the first page
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_MAX_ID_DIGITS = 19


@dataclass(frozen=True)
class ExplorerSort:
    """A sort the Explorer offers: an optional group column (the type or the tier, walked in
    the program's order of its types or tiers), then a key (name or created), then the id."""

    key: str  # "name" or "created"
    descending: bool = False
    group: str = ""  # "" | "type" | "tier"


SORTS = {
    "name": ExplorerSort("name"),
    "-name": ExplorerSort("name", descending=True),
    "created": ExplorerSort("created"),
    "-created": ExplorerSort("created", descending=True),
    "type": ExplorerSort("name", group="type"),
    "-type": ExplorerSort("name", descending=True, group="type"),
    "tier": ExplorerSort("name", group="tier"),
    "-tier": ExplorerSort("name", descending=True, group="tier"),
}
_GROUP_COLUMN = {"type": "partner_type_id", "tier": "tier"}
_OTHER_TIERS = ""  # the group of accounts whose tier is not in the catalogue (walked last)


@dataclass(frozen=True)
class ExplorerCursor:
    """A row's position in one sort: its group (type id or tier key), key value and id."""

    key: str | datetime
    id: int
    group: str | None = None

    def encode(self) -> str:
        key = (
            self.key.astimezone(UTC).strftime(_TIME_FORMAT)
            if isinstance(self.key, datetime)
            else self.key
        )
        prefix = f"{self.group}," if self.group is not None else ""
        return f"{prefix}{key},{self.id}"

    @classmethod
    def decode(cls, value: str | None, *, sort: ExplorerSort, groups: list[str]) -> ExplorerCursor:
        """The cursor a query-string value holds; ValueError for anything malformed or
        naming a group (type, tier) the program does not have."""
        if not value or len(value) > 400:
            raise ValueError("empty cursor")
        group = None
        rest = value
        if sort.group:
            group, comma, rest = value.partition(",")
            if not comma or group not in groups:
                raise ValueError("unknown group")
        key, comma, ident = rest.rpartition(",")
        if not comma or not ident.isdigit() or len(ident) > _MAX_ID_DIGITS:
            raise ValueError("bad id")
        if sort.key == "created":
            parsed: str | datetime = datetime.strptime(key, _TIME_FORMAT).replace(tzinfo=UTC)
        else:
            parsed = key
        return cls(key=parsed, id=int(ident), group=group)


@dataclass
class ExplorerPage:
    """One page of the Explorer and the cursors of the pages around it (None: no such page)."""

    object_list: list[PartnerAccount]
    count: int
    count_is_estimate: bool
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True
    start: int | None = None  # the 1-based position of the first row, when known
    notes: list[str] = field(default_factory=list)

    @property
    def end(self) -> int | None:
        return self.start + len(self.object_list) - 1 if self.start is not None else None


class _RowCompare(Func):
    """`(a, b, c) > (x, y, z)`: a row comparison PostgreSQL runs as one btree range."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, op: str, left: list[Any], right: list[Any]) -> None:
        self.op = op
        self.width = len(left)
        super().__init__(*left, *right)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(parts[: self.width]), ", ".join(parts[self.width :])
        return f"(({left}) {self.op} ({right}))", params


def _key_expression(sort: ExplorerSort) -> Expression:
    return Lower("name") if sort.key == "name" else F("created_at")


def _ordered(rows: QuerySet[PartnerAccount], sort: ExplorerSort, *, backwards: bool) -> QuerySet:
    key = _key_expression(sort)
    if sort.descending != backwards:
        return rows.order_by(key.desc(), "-id")
    return rows.order_by(key.asc(), "id")


def _beyond(
    rows: QuerySet[PartnerAccount], sort: ExplorerSort, cursor: ExplorerCursor, *, backwards: bool
) -> QuerySet[PartnerAccount]:
    """The rows after the cursor in the walking direction (within its group)."""
    op = "<" if sort.descending != backwards else ">"
    output = TextField() if sort.key == "name" else DateTimeField()
    return rows.filter(
        _RowCompare(
            op,
            [_key_expression(sort), F("id")],
            [Value(cursor.key, output_field=output), Value(cursor.id, output_field=IntegerField())],
        )
    )


def _group_condition(sort: ExplorerSort, group: str, groups: list[str]) -> Q:
    if sort.group == "tier" and group == _OTHER_TIERS:
        return ~Q(tier__in=[g for g in groups if g != _OTHER_TIERS])
    column = _GROUP_COLUMN[sort.group]
    return Q(**{column: int(group) if sort.group == "type" else group})


def _walk(
    *,
    tenant: Tenant,
    rows: QuerySet[PartnerAccount],
    sort: ExplorerSort,
    groups: list[str],
    cursor: ExplorerCursor | None,
    backwards: bool,
    skip: int,
    size: int,
) -> list[PartnerAccount]:
    """Up to `size` rows after `skip` rows, after the cursor (or from the start), walking
    the sort forwards or backwards: one query (plus the domains). A grouped sort is a UNION
    ALL of one short index range per group (the type or tier comes from the account's own
    column, so each range is an index scan), merged by group order."""
    wanted = skip + size
    if not sort.group:
        page = _beyond(rows, sort, cursor, backwards=backwards) if cursor else rows
        page = _ordered(page, sort, backwards=backwards)
        return list(
            partner_explorer_page_rows(tenant=tenant, queryset=page)[skip:wanted].annotate(
                explorer_key=_key_expression(sort)
            )
        )
    walk_groups = groups[::-1] if sort.descending != backwards else list(groups)
    start = walk_groups.index(cursor.group) if cursor and cursor.group is not None else 0
    branches = []
    for index, group in enumerate(walk_groups[start:], start):
        branch = rows.filter(_group_condition(sort, group, groups))
        if cursor is not None and index == start:
            branch = _beyond(branch, sort, cursor, backwards=backwards)
        branches.append(_ordered(branch, sort, backwards=backwards).values("pk")[:wanted])
    if not branches:
        return []
    ids = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    position = Case(
        *(
            When(_group_condition(sort, group, groups), then=Value(index))
            for index, group in enumerate(walk_groups)
        ),
        default=Value(len(walk_groups)),
        output_field=IntegerField(),
    )
    page = PartnerAccount.objects.filter(tenant=tenant, pk__in=ids).annotate(
        explorer_group=position
    )
    key = _key_expression(sort)
    descending = sort.descending != backwards
    page = page.order_by(
        "explorer_group", key.desc() if descending else key.asc(), "-id" if descending else "id"
    )
    return list(
        partner_explorer_page_rows(tenant=tenant, queryset=page)[skip:wanted].annotate(
            explorer_key=key
        )
    )


def _cursor_of(row: PartnerAccount, sort: ExplorerSort, groups: list[str]) -> str:
    group = None
    if sort.group == "type":
        group = str(row.partner_type_id)
    elif sort.group == "tier":
        group = row.tier if row.tier in groups else _OTHER_TIERS
    return ExplorerCursor(key=row.explorer_key, id=row.pk, group=group).encode()  # type: ignore[attr-defined]


def exact_count_limit() -> int:
    return int(getattr(settings, "PARTNER_EXPLORER_EXACT_COUNT_LIMIT", EXACT_COUNT_LIMIT))


def planner_estimate(rows: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of how many rows this query returns (EXPLAIN, nothing runs):
    per tenant and per filter, since it plans the exact filtered query."""
    sql, params = rows.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def about(count: int) -> int:
    """A count rounded to two significant figures (an estimate claims no more)."""
    digits = len(str(count))
    return round(count, -(digits - 2)) if digits > 2 else count


def partner_explorer_page(
    *,
    tenant: Tenant,
    filters: ExplorerFilters,
    type_order: list[int],
    tier_order: list[str],
    after: str | None = None,
    before: str | None = None,
    page_number: str | None = None,
    size: int = PAGE_SIZE,
) -> ExplorerPage:
    """One page of the Explorer: at most 2 queries for the count (a bounded count, and an
    EXPLAIN above the limit) and 2 for the rows (the rows and their domains), at any depth
    (a `?before=` that reaches the top reads the first page: 2 more)."""
    sort = SORTS.get(filters.sort, SORTS["name"])
    groups: list[str] = []
    if sort.group == "type":
        groups = [str(pk) for pk in type_order]
    elif sort.group == "tier":
        groups = [*tier_order, _OTHER_TIERS]
    notes: list[str] = []
    limit = exact_count_limit()

    # The search is a condition on the account's primary key (apps/partners/selectors.py):
    # the count and each page read the trigram indexes, then the matching accounts by key.
    rows = partner_explorer_filtered(tenant=tenant, filters=filters)
    count = rows.order_by()[: limit + 1].count()
    estimate = count > limit
    if estimate:
        count = max(planner_estimate(rows), limit + 1)
    if estimate:
        count = about(count)

    cursor, backwards = None, False
    raw = after or before
    if raw:
        try:
            cursor = ExplorerCursor.decode(raw, sort=sort, groups=groups)
            backwards = not after
        except ValueError:
            notes.append("cursor")
    skip = 0
    if cursor is None and page_number and not raw:
        number = int(page_number) if page_number.isdigit() else 1
        if number > PAGE_NUMBER_LIMIT:
            notes.append("page")
        else:
            skip = (max(number, 1) - 1) * size
            if skip >= count > 0:  # past the end (an old link): the first page
                skip = 0

    walk = dict(tenant=tenant, rows=rows, sort=sort, groups=groups, size=size + 1)
    found = _walk(**walk, cursor=cursor, backwards=backwards, skip=skip)  # type: ignore[arg-type]
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
        if not more:  # nothing before these rows: this is the first page
            cursor = None
            found = _walk(**walk, cursor=None, backwards=False, skip=0)  # type: ignore[arg-type]
            more = len(found) > size
            found = found[:size]
    page = ExplorerPage(object_list=found, count=count, count_is_estimate=estimate, notes=notes)
    if cursor is None:  # the first page, or an old ?page=N
        page.is_first = skip == 0
        page.start = skip + 1
        page.next_cursor = _cursor_of(found[-1], sort, groups) if found and more else None
        page.previous_cursor = _cursor_of(found[0], sort, groups) if found and skip else None
    elif backwards:
        page.is_first = False
        page.next_cursor = _cursor_of(found[-1], sort, groups) if found else None
        page.previous_cursor = _cursor_of(found[0], sort, groups) if found else None
    else:
        page.is_first = False
        page.next_cursor = _cursor_of(found[-1], sort, groups) if found and more else None
        page.previous_cursor = _cursor_of(found[0], sort, groups) if found else raw
    return page


def partner_explorer_after(
    *,
    tenant: Tenant,
    filters: ExplorerFilters,
    after: str | None = None,
    size: int = PAGE_SIZE,
    columns: tuple[str, ...] = (),
    created_since: datetime | None = None,
) -> tuple[list[PartnerAccount], str | None]:
    """Up to `size` accounts the filters select, in the order of `filters.sort`, after the
    row of the cursor `after`, and the cursor of the next page (None: the last page). The
    Explorer's filters, search and keyset ranges without its count: the REST API's pages,
    one query at any depth (each row with its type, CAM and `domain_names`, alphabetical).
    `columns`: read only these fields (e.g. "name", "cam__email"); `created_since`: only
    accounts created at or after it. ValueError for a malformed cursor or a grouped sort."""
    sort = SORTS[filters.sort]
    if sort.group:
        raise ValueError("grouped sort")
    cursor = ExplorerCursor.decode(after, sort=sort, groups=[]) if after is not None else None
    rows = partner_explorer_filtered(tenant=tenant, filters=filters)
    if created_since is not None:
        rows = rows.filter(created_at__gte=created_since)
    if columns:
        rows = rows.only(*columns)
    if cursor is not None:
        rows = _beyond(rows, sort, cursor, backwards=False)
    domains = (
        PartnerDomain.objects.filter(tenant=tenant, account=OuterRef("pk"))
        .order_by("domain")
        .values("domain")
    )
    found = list(
        _ordered(rows, sort, backwards=False)
        .select_related("partner_type", "cam")
        .annotate(explorer_key=_key_expression(sort), domain_names=ArraySubquery(domains))[
            : size + 1
        ]
    )
    more = len(found) > size
    found = found[:size]
    return found, (_cursor_of(found[-1], sort, []) if more and found else None)
