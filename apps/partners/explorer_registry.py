"""Filters and columns that higher layers add to the Partner Explorer.

The partners app must not import onboarding or milestones, yet the Explorer filters by stage
and by overdue milestones and shows the current stage. Those apps register here, in their
AppConfig.ready (as `portal_gate_register` in apps/tenancy/access.py):

- a filter is a query-string parameter with a select of choices: `choices(tenant)` lists
  them (at most one query), `apply(queryset, value, tenant=...)` narrows the accounts with a
  subquery (`Exists`), set-based, for the count, the page and the CSV export alike;
- a column is a cell per account: `values(tenant=..., account_ids=...)` returns the cells of
  those accounts in one query (the page's 25 rows, or one chunk of the export).

Values reach `apply` only after the Explorer's form has checked them against `choices`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from apps.partners.models import PartnerAccount
    from apps.tenancy.models import Tenant

Label = str | Promise
# Django choices, the "any" option ("") first; a group is (group label, [(value, label), ...]).
Choices = Sequence[tuple[Any, Any]]
ChoicesFn = Callable[["Tenant"], Choices]
ApplyFn = Callable[..., "QuerySet[PartnerAccount]"]  # (queryset, value, *, tenant) -> queryset


@dataclass(frozen=True)
class ExplorerCell:
    """One account's cell: `text` (also its CSV value), an optional muted `detail` line."""

    text: str
    detail: str = ""


ValuesFn = Callable[..., Mapping[int, ExplorerCell]]  # (*, tenant, account_ids) -> {id: cell}


@dataclass(frozen=True)
class ExplorerFilter:
    name: str  # the query-string parameter
    label: Label  # the select's accessible label and its "any" option
    choices: ChoicesFn
    apply: ApplyFn


@dataclass(frozen=True)
class ExplorerColumn:
    name: str  # the CSV header
    label: Label
    values: ValuesFn


# The Explorer's own parameters: a registered filter cannot take one of these names.
BUILT_IN_PARAMS = frozenset(
    {"q", "type", "tier", "cam", "status", "region", "activation", "sort", "page"}
)
# A page's position (keyset cursors, apps/partners/selectors_explorer.py): reserved too, but
# never part of a saved view.
POSITION_PARAMS = frozenset({"after", "before"})

_filters: dict[str, ExplorerFilter] = {}
_columns: dict[str, ExplorerColumn] = {}


def explorer_filter_register(
    name: str, label: Label, choices_fn: ChoicesFn, apply_fn: ApplyFn
) -> None:
    """Add a filter (idempotent per name: a second `ready()` replaces it, keeping its place)."""
    if name in BUILT_IN_PARAMS | POSITION_PARAMS or not name.isidentifier():
        raise ValueError(f"Explorer filter name not allowed: {name!r}")
    _filters[name] = ExplorerFilter(name=name, label=label, choices=choices_fn, apply=apply_fn)


def explorer_column_register(name: str, label: Label, values_fn: ValuesFn) -> None:
    """Add a column (idempotent per name)."""
    _columns[name] = ExplorerColumn(name=name, label=label, values=values_fn)


def explorer_filters() -> list[ExplorerFilter]:
    """The registered filters, in the order they were registered."""
    return list(_filters.values())


def explorer_filter(name: str) -> ExplorerFilter | None:
    return _filters.get(name)


def explorer_columns() -> list[ExplorerColumn]:
    return list(_columns.values())


def explorer_params() -> frozenset[str]:
    """Every parameter the Explorer understands (a saved view keeps only these)."""
    return BUILT_IN_PARAMS | frozenset(_filters)


def explorer_cells(
    *, tenant: Tenant, account_ids: Sequence[int]
) -> dict[str, Mapping[int, ExplorerCell]]:
    """column name -> {account id: cell} for these accounts: one query per column, none when
    there are no accounts."""
    if not account_ids:
        return {column.name: {} for column in _columns.values()}
    return {
        column.name: column.values(tenant=tenant, account_ids=list(account_ids))
        for column in _columns.values()
    }


def registry_snapshot() -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of the registries (tests register throwaway entries, then restore it)."""
    return dict(_filters), dict(_columns)


def registry_restore(snapshot: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _filters.clear()
    _filters.update(snapshot[0])
    _columns.clear()
    _columns.update(snapshot[1])
