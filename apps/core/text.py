"""Names and short texts: one line, no invisible characters, and a length that always fits.

`single_line_validator` is the form-layer rule of every name and title field (people,
companies, partner types and tiers, pipelines, stages, actions, tracks, milestones, assets):
no line break and no control or format character (Unicode categories Cc and Cf, e.g. a NUL,
a tab, a bidirectional override that makes a name read backwards, a zero-width space), nor a
line or paragraph separator. `truncate` shortens a composed text to a column's length with an
ellipsis, so a long name never turns into a database error.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ELLIPSIS = "…"
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})

SINGLE_LINE_MESSAGE = _(
    "Use one line of plain text: line breaks and invisible control characters are not allowed."
)


def has_control_characters(value: str) -> bool:
    """Whether `value` holds a line break or a control/format character anywhere."""
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value)


def single_line_validator(value: object) -> None:
    """Refuse a name or title with a line break or an invisible control character."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="single_line")


def truncate(text: str, max_length: int) -> str:
    """`text` as it is when it fits in `max_length` characters, else cut (at a word boundary
    when one is near) and ended with "…", the whole within `max_length`."""
    if max_length <= 0:
        return ""
    if len(text) <= max_length:
        return text
    if max_length == 1:
        return ELLIPSIS
    cut = text[: max_length - 1]
    space = cut.rfind(" ")
    if space >= max_length * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS
