"""The SQL plumbing of the milestones statements: another app's queryset as a subquery with
named parameters, running a statement, and what applying events changed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import QuerySet

Params = dict[str, Any]

_PLACEHOLDER = re.compile(r"%%|%s")


def _subquery(rows: QuerySet[Any, Any], prefix: str) -> tuple[str, Params]:
    """Another app's queryset as SQL for a subquery here, its positional parameters renamed
    `<prefix><n>` so that it can sit in a statement with named ones.

    Raises `EmptyResultSet` when the queryset can match nothing (e.g. `id__in=[]`)."""
    sql, values = rows.query.sql_with_params()
    params: Params = {}

    def rename(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        name = f"{prefix}{len(params)}"
        params[name] = values[len(params)]
        return f"%({name})s"

    named = _PLACEHOLDER.sub(rename, sql)
    if len(params) != len(values):
        raise ValueError("the subquery's parameters do not match its placeholders")
    return named, params


@dataclass
class Applied:
    """What applying events changed."""

    completed: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (partner milestone id, tenant id, account id, milestone id)
    satisfied: list[int] = field(default_factory=list)  # checkpoint ids
    resolved: list[int] = field(default_factory=list)  # alert ids
    resolved_tenants: set[int] = field(default_factory=set)
    activated: list[tuple[int, int]] = field(default_factory=list)  # (account id, tenant id)

    def merge(self, other: Applied) -> Applied:
        self.completed += other.completed
        self.satisfied += other.satisfied
        self.resolved += other.resolved
        self.resolved_tenants |= other.resolved_tenants
        self.activated += other.activated
        return self


def _fetch(sql: str, params: Params | Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
