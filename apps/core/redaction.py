"""Replacing a person's email and names in text columns, set-based (personal-data erasure).

Framework helpers only: each app applies them to its own rows (apps/audit/erasure.py) and
the privacy service (apps/home/services_privacy.py) to the rest. A replacement is a pair
`(needle, pseudonym)`; needles match case-insensitively, as literal text, inside plain text
and inside JSON (compared on the JSON's text form).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Cast
from django.db.models.lookups import IContains

# The characters a PostgreSQL regular expression (ARE) gives a meaning to.
_ARE_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")

Replacements = Sequence[tuple[str, str]]


class RegexpReplace(Func):
    function = "regexp_replace"
    output_field = TextField()


def are_literal(text: str) -> str:
    """`text` as a PostgreSQL regular expression matching itself."""
    return _ARE_SPECIAL.sub(r"\\\1", text)


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The model's columns that can hold a person's email or name: text and JSON."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and not f.primary_key
    ]


def _as_text(field: models.Field[Any, Any]) -> Any:
    if isinstance(field, models.JSONField):
        return Cast(F(field.attname), TextField())
    return F(field.attname)


def mentions_q(fields: Iterable[models.Field[Any, Any]], needles: Iterable[str]) -> Q:
    """Rows whose text columns contain any of the needles (case-insensitive)."""
    query = Q()
    for field in fields:
        for needle in needles:
            query |= Q(IContains(_as_text(field), needle))
    return query


def redacted(field: models.Field[Any, Any], replacements: Replacements) -> Any:
    """An expression: the column with every needle replaced by its pseudonym."""
    expression: Any = _as_text(field)
    for needle, pseudonym in replacements:
        expression = RegexpReplace(
            expression, Value(are_literal(needle)), Value(pseudonym), Value("gi")
        )
    if isinstance(field, models.JSONField):
        return Cast(expression, models.JSONField())
    return expression


def rows_redact(
    queryset: models.QuerySet[Any],
    replacements: Replacements,
    *,
    fields: Sequence[models.Field[Any, Any]] | None = None,
) -> int:
    """One UPDATE: in the rows of `queryset` that mention a needle, replace it in every text
    column. Returns the number of rows changed."""
    replacements = [(n, p) for n, p in replacements if n]
    columns = list(fields if fields is not None else text_fields(queryset.model))
    if not replacements or not columns:
        return 0
    matching = queryset.filter(mentions_q(columns, [n for n, _ in replacements]))
    return matching.update(**{f.name: redacted(f, replacements) for f in columns})
